// The organisation tree on /people, each organisation with its actions: rename, move under another
// parent, delete. The API decides what is allowed (the caller's subtree, no loops, a kind that fits,
// only an empty organisation deleted) and says why not; the reason is shown under the tree.

import { api } from "./api.js";
import { h } from "./dom.js";
import { t } from "./words.js";

const indent = (org) => "\u2003".repeat(org.depth);

async function act(send, error, refresh) {
  error.textContent = "";
  try {
    await send();
    await refresh();
  } catch (failure) {
    error.textContent = failure.message;
  }
}

function renameButton(org, error, refresh) {
  return h("button", { type: "button", class: "rename", onclick: () => {
    const name = window.prompt(t("people.page.rename-prompt", { name: org.name }), org.name);
    if (name && name.trim() && name.trim() !== org.name) {
      act(() => api(`/api/orgs/${org.pk}`, { method: "PATCH", body: { name: name.trim() } }), error, refresh);
    }
  } }, t("people.page.rename"));
}

function moveSelect(org, orgs, error, refresh) {
  const parents = orgs.filter((other) => other.pk !== org.pk && other.pk !== org.parent_pk);
  const select = h("select", { class: "move", "aria-label": t("people.page.move-label", { name: org.name }) },
    h("option", { value: "" }, t("people.page.move")),
    ...parents.map((other) => h("option", { value: String(other.pk) }, indent(other) + other.name)));
  select.disabled = parents.length === 0;
  select.addEventListener("change", () => {
    if (!select.value) return;
    const parent = Number(select.value);
    act(() => api(`/api/orgs/${org.pk}`, { method: "PATCH", body: { parent_pk: parent } }), error, refresh);
  });
  return select;
}

function deleteButton(org, error, refresh) {
  return h("button", { type: "button", class: "delete", onclick: () => {
    if (window.confirm(t("people.page.delete-confirm", { name: org.name }))) {
      act(() => api(`/api/orgs/${org.pk}`, { method: "DELETE" }), error, refresh);
    }
  } }, t("people.page.delete"));
}

/** The tree's rows: `orgs` in the API's order (each after its parent), `error` the element for refusals,
 * `refresh` reloads the page's lists, `manage` offers the actions, `kindName` words a kind. */
export function orgRows(orgs, { error, refresh, manage, kindName }) {
  return orgs.map((org) => h("li", { dataset: { org: org.code } }, indent(org),
    h("strong", { class: "name" }, org.name), " ",
    h("span", { class: "muted" }, `${org.code} · ${kindName(org.kind)}`),
    manage ? h("span", { class: "org-actions" }, " ", renameButton(org, error, refresh), " ",
      moveSelect(org, orgs, error, refresh), " ", deleteButton(org, error, refresh)) : null));
}
