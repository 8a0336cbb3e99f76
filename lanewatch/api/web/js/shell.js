// What every page shares: the top bar (navigation, who is signed in, language, sign-out), the sign-in
// check, the service worker. Nobody signed in (or a sign-in that ended meanwhile): the page goes to
// /signin and comes back here afterwards; one sign-in serves every page and tab (it is a cookie).

import { api, can, cookie, forgetMe, me, onSignedOutElsewhere, signInUrl, signOut } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { SUPPORTED, language, loadWords, setLanguage, t } from "./words.js";

export { can };

// [page, address, word, the permission the page is for (null: anyone who may read)]. A link to a page
// the signed-in role cannot use is not shown (an enterprise never sees the zone editor or the phone
// view); until /api/me answers only the pages for everyone are. The sites page is linked only where
// the caller has sites to watch (a centre that edges report to): an edge or a single machine has none.
const PAGES = [
  ["dashboard", "/", "people.shell.page.dashboard", null],
  ["editor", "/editor", "people.shell.page.editor", "zones.edit"],
  ["phone", "/phone", "people.shell.page.phone", "violations.handle"],
  ["console", "/console", "people.shell.page.console", null],
  ["sites", "/sites", "people.shell.page.sites", null],
  ["people", "/people", "people.shell.page.people", "people.manage"],
];
export const LANGUAGE_NAMES = { "zh-CN": "中文", en: "English" };
let hasSites = false;

/** The links of the pages `who` may use (`who` null: not known yet). */
function navLinks(current, who) {
  return PAGES.filter(([name, , , permission]) => (permission === null || can(who, permission))
      && (name !== "sites" || hasSites || current === "sites"))
    .map(([name, href, key]) => h("a", { href, "aria-current": name === current ? "page" : null }, t(key)));
}

function topBar(current) {
  const links = navLinks(current, null);
  const who = h("span", { class: "who", id: "who", role: "status" }, t("people.shell.checking"));
  return h("header", { class: "topbar" },
    h("a", { class: "brand", href: "/" }, "lanewatch"),
    h("nav", { "aria-label": t("people.shell.pages") }, links),
    who);
}

/** Go to the sign-in page; the promise never settles, so a page's script stops where it waited. */
function toSignIn(extra) {
  location.replace(signInUrl(extra));
  return new Promise(() => {});
}

function languageSwitch(who) {
  const select = h("select", { id: "language", "aria-label": t("people.shell.language") },
    SUPPORTED.map((lang) => h("option", { value: lang, selected: lang === language() }, LANGUAGE_NAMES[lang] || lang)));
  select.addEventListener("change", async () => {
    select.disabled = true;
    try {
      if (who.kind === "person") await api("/api/me", { method: "PATCH", body: { language: select.value } });
      setLanguage(select.value);
      forgetMe();
      location.reload();
    } catch (error) {
      select.disabled = false;
      select.title = error.message;
    }
  });
  return select;
}

function showWho(who, current) {
  replaceChildren(document.querySelector(".topbar nav"), navLinks(current, who));
  const slot = document.getElementById("who");
  const signOutButton = h("button", { type: "button", id: "sign-out" }, t("people.shell.sign-out"));
  signOutButton.addEventListener("click", () => { signOutButton.disabled = true; signOut(); });
  const org = who.org ? h("span", { id: "who-org", class: "org" }, who.org.name) : null;
  replaceChildren(slot,
    h("span", { id: "who-name" }, who.display_name || who.name),
    org ? " · " : null, org,
    h("strong", { id: "role", class: "sr-only" }, who.role),
    languageSwitch(who),
    who.kind === "person" ? signOutButton : null);
  slot.removeAttribute("role");
  document.body.dataset.role = who.role;
}

/** Link the sites page once /api/sites names any in the caller's scope; a failure just leaves it out. */
function linkSites(who, current) {
  api("/api/sites", { quiet: true }).then((sites) => {
    if (!sites.length) return;
    hasSites = true;
    replaceChildren(document.querySelector(".topbar nav"), navLinks(current, who));
  }).catch(() => { /* left out of the bar; /sites itself still answers */ });
}

/**
 * Mount the shell and make sure someone is signed in; resolves to /api/me's answer once the page may
 * load data. Not signed in: goes to /signin (and never resolves).
 */
export async function startPage(current) {
  await loadWords();  // costs nothing when the page loaded them already
  document.body.prepend(topBar(current));
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js").catch(() => { /* installability only; pages work without it */ });
  }
  if (!cookie("lw_csrf")) return toSignIn();  // never signed in in this browser: no need to ask the server
  let who;
  try {
    who = await me({ quiet: true });
  } catch (error) {
    if (error.status === 401) return toSignIn();
    replaceChildren(document.getElementById("who"), h("span", { class: "error" }, error.message));
    throw error;
  }
  if (who.must_change_password) return toSignIn({ change: "1" });
  if (who.language && setLanguage(who.language) && who.language !== language()) {
    location.reload();  // the person's own language, kept in this browser from now on
    return new Promise(() => {});
  }
  showWho(who, current);
  if (current !== "sites") linkSites(who, current);
  // From now on a 401 means the sign-in ended meanwhile (signed out in another tab, expired, disabled).
  window.addEventListener("lanewatch:unauthorized", () => { forgetMe(); toSignIn(); });
  onSignedOutElsewhere(() => { forgetMe(); toSignIn(); });
  return who;
}

/** A line of status for a region of the page (role=status is read out by screen readers). */
export function showStatus(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle("error", isError);
}
