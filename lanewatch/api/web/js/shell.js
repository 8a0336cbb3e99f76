// What every page shares: the top bar with navigation, sign-in with an API key, the service worker.

import { ApiError, clearKey, forgetMe, getKey, me, setKey } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { makeDialog, openDialog } from "./dialog.js";

const PAGES = [
  ["dashboard", "/", "Dashboard"],
  ["editor", "/editor", "Zone editor"],
  ["phone", "/phone", "Phone view"],
  ["console", "/console", "Duty console"],
];

function topBar(current) {
  const links = PAGES.map(([name, href, label]) =>
    h("a", { href, "aria-current": name === current ? "page" : null }, label));
  const who = h("span", { class: "who", id: "who" });
  return h("header", { class: "topbar" },
    h("a", { class: "brand", href: "/" }, "lanewatch"),
    h("nav", { "aria-label": "Pages" }, links),
    who);
}

function signInDialog() {
  const input = h("input", { id: "signin-key", name: "key", type: "password", autocomplete: "off", required: true,
    spellcheck: "false", "aria-describedby": "signin-help signin-error" });
  const error = h("p", { id: "signin-error", class: "error", role: "alert" });
  const form = h("form", { method: "dialog" },
    h("div", { class: "field" }, h("label", { for: "signin-key" }, "API key"), input),
    h("p", { id: "signin-help", class: "hint" },
      "Ask an administrator for a key (lanewatch keys create --role viewer|operator|admin). ",
      "It is kept only in this browser tab and forgotten when the tab closes."),
    error,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")));
  const dialog = makeDialog("signin-dialog", "Sign in to lanewatch", form);
  return { dialog, form, input, error };
}

/** Ask for a key until one works; resolves to {name, role}. */
async function askForKey() {
  const { dialog, form, input, error } = signInDialog();
  return new Promise((resolve) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      setKey(input.value.trim());
      forgetMe();
      try {
        const who = await me();
        dialog.close("ok");
        dialog.remove();
        resolve(who);
      } catch (failure) {
        clearKey();
        error.textContent = failure instanceof ApiError && failure.status === 401
          ? `That key was refused: ${failure.detail}.` : `Could not sign in: ${failure.message}`;
        input.focus();
        input.select();
      }
    });
    dialog.addEventListener("cancel", (event) => event.preventDefault());  // there is nothing to show without a key
    openDialog(dialog, { focus: input });
  });
}

function showWho(who) {
  const slot = document.getElementById("who");
  const signOut = h("button", { type: "button", id: "sign-out" }, "Sign out");
  signOut.addEventListener("click", () => { clearKey(); forgetMe(); location.reload(); });
  replaceChildren(slot, h("span", {}, `${who.name} · `, h("strong", { id: "role" }, who.role)), signOut);
  document.body.dataset.role = who.role;
}

/** Mount the shell and sign in; resolves to the caller {name, role} once the page may load data. */
export async function startPage(current) {
  document.body.prepend(topBar(current));
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js").catch(() => { /* installability only; pages work without it */ });
  }
  let who = null;
  if (getKey()) {
    try { who = await me(); } catch { clearKey(); }
  }
  if (!who) who = await askForKey();
  showWho(who);
  // From now on a 401 means the key was revoked meanwhile: ask again from a clean page.
  window.addEventListener("lanewatch:unauthorized", () => {
    if (!getKey()) return;
    clearKey();
    forgetMe();
    location.reload();
  });
  return who;
}

/** A line of status for a region of the page (role=status is read out by screen readers). */
export function showStatus(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle("error", isError);
}
