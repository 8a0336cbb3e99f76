// People and organisations (administrators): the organisation tree with add, rename, move and delete
// (org-tree.js), the people with add, role, organisation, disable/enable and a temporary password, and
// the latest audit entries. Everything goes through
// /api/orgs, /api/people and /api/audit, which keep an administrator inside its own subtree.

import { api, can } from "./api.js";
import { formatAgo, h, replaceChildren } from "./dom.js";
import { orgRows } from "./org-tree.js";
import { startPage } from "./shell.js";
import { applyWords, label, loadWords, t } from "./words.js";

const $ = (id) => document.getElementById(id);
const ROLES = {
  admin: "people.role.admin", duty_operator: "people.role.duty_operator", property_manager: "people.role.property_manager",
  viewer: "people.role.viewer", enterprise: "people.role.enterprise", maintainer: "people.role.maintainer",
};
const KINDS = {
  district: "people.kind.district", street: "people.kind.street", community: "people.kind.community",
  enterprise: "people.kind.enterprise", agency: "people.kind.agency",
};
const named = (table, value) => (table[value] ? t(table[value]) : value);
let orgs = [];
let who = null;

function state(person) {
  if (person.disabled) return t("people.cli.state.disabled");
  if (person.locked_until) return t("people.cli.state.locked");
  if (person.must_change_password) return t("people.cli.state.must_change");
  return t("people.cli.state.active");
}

async function change(person, body, error) {
  error.textContent = "";
  try {
    await api(`/api/people/${person.pk}`, { method: "PATCH", body });
  } catch (failure) {
    error.textContent = failure.message;
    return false;
  }
  await refresh();
  return true;
}

function personRow(person) {
  const error = h("span", { class: "error", role: "alert" });
  const toggle = h("button", { type: "button" }, t(person.disabled ? "people.page.enable" : "people.page.disable"));
  toggle.addEventListener("click", () => change(person, { disabled: !person.disabled }, error));
  const reset = h("button", { type: "button" }, t("people.page.reset"));
  reset.addEventListener("click", () => {
    const password = window.prompt(t("people.page.reset-prompt", { name: person.display_name }));
    if (password) change(person, { password }, error);
  });
  const mine = who.kind === "person" && who.name === person.username;
  const role = h("select", { class: "role", "aria-label": t("people.page.change-role", { name: person.display_name }) },
    ...Object.keys(ROLES).map((r) => h("option", { value: r, selected: r === person.role }, named(ROLES, r))));
  role.addEventListener("change", async () => {
    if (!(await change(person, { role: role.value }, error))) role.value = person.role;
  });
  const org = h("select", { class: "org", "aria-label": t("people.page.change-org", { name: person.display_name }) },
    ...orgs.map((o) => h("option", { value: o.code, selected: o.pk === person.org_pk }, "\u2003".repeat(o.depth) + o.name)));
  org.addEventListener("change", async () => {
    if (!(await change(person, { org: org.value }, error))) org.value = person.org_code;
  });
  role.disabled = org.disabled = mine; // nobody changes their own role or organisation
  return h("tr", { dataset: { person: person.username } },
    h("td", {}, person.username), h("td", {}, person.display_name), h("td", {}, role),
    h("td", {}, org), h("td", { class: "state" }, state(person)),
    h("td", {}, mine ? null : toggle, " ", reset, error));
}

async function refresh() {
  const [people, tree, audit] = await Promise.all([api("/api/people"), api("/api/orgs"),
    can(who, "audit.read") ? api("/api/audit?limit=20") : []]);
  orgs = tree;
  $("org-error").textContent = "";
  replaceChildren($("people-table").querySelector("tbody"), people.map(personRow));
  $("people-status").textContent = t("people.page.count", { count: people.length });
  replaceChildren($("org-tree"), orgRows(orgs, { error: $("org-error"), refresh, manage: can(who, "orgs.manage"),
    kindName: (kind) => named(KINDS, kind) }));
  const options = () => orgs.map((org) => h("option", { value: org.code }, "\u2003".repeat(org.depth) + org.name));
  replaceChildren($("person-org"), options());
  replaceChildren($("org-parent"), orgs.map((org) => h("option", { value: String(org.pk) }, "\u2003".repeat(org.depth) + org.name)));
  replaceChildren($("audit-table").querySelector("tbody"), audit.map((a) => h("tr", {},
    h("td", { title: new Date(a.at).toLocaleString() }, formatAgo(a.at)), h("td", {}, a.actor_name),
    h("td", {}, label("audit", a.action)), h("td", {}, `${label("target", a.target_kind)} ${a.target_id}`))));
}

function submitter(form, error, send) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const values = Object.fromEntries(new FormData(form));
    try {
      await send(values);
      form.reset();
      await refresh();
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
}

async function main() {
  await loadWords();
  applyWords(document);
  who = await startPage("people");
  if (!can(who, "people.manage")) {
    replaceChildren(document.querySelector("main"), h("p", { class: "error", role: "alert" }, t("people.page.not-allowed")));
    return;
  }
  replaceChildren($("person-role"), Object.keys(ROLES).map((role) => h("option", { value: role }, named(ROLES, role))));
  replaceChildren($("org-kind"), Object.keys(KINDS).map((kind) => h("option", { value: kind }, named(KINDS, kind))));
  submitter($("person-form"), $("person-error"), (v) => api("/api/people", { method: "POST",
    body: { username: v.username.trim(), display_name: v.display_name.trim() || null, role: v.role, org: v.org, password: v.password } }));
  submitter($("org-form"), $("org-error"), (v) => api("/api/orgs", { method: "POST",
    body: { code: v.code.trim(), name: v.name.trim(), kind: v.kind, parent_pk: v.parent_pk ? Number(v.parent_pk) : null } }));
  await refresh();
}

main();
