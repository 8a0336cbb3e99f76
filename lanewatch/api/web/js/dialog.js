// Modal dialogs on the native <dialog>: showModal() makes the rest of the page inert (focus stays
// inside), Esc closes it, and focus goes back to the control that opened it.

import { h } from "./dom.js";
import { t } from "./words.js";

const FOCUSABLE = "button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), " +
  "textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

/** Tab and Shift+Tab cycle inside the dialog instead of leaving for the browser's own controls. */
function trapFocus(event) {
  if (event.key !== "Tab") return;
  const dialog = event.currentTarget;
  const items = [...dialog.querySelectorAll(FOCUSABLE)].filter((el) => !el.closest("[hidden]") && el.getClientRects().length);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
    event.preventDefault();
    first.focus();
  }
}

/** Open `dialog` modally; returns a promise of its returnValue when it closes. */
export function openDialog(dialog, { focus } = {}) {
  const opener = document.activeElement;
  if (!dialog.isConnected) document.body.append(dialog);
  dialog.returnValue = "";
  dialog.showModal();
  dialog.addEventListener("keydown", trapFocus);
  const first = focus || dialog.querySelector("[autofocus], input, textarea, select, button:not(.close)");
  if (first) first.focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.removeEventListener("keydown", trapFocus);
      if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
      resolve(dialog.returnValue);
    }, { once: true });
  });
}

/** A labelled dialog shell with a close button; `body` is appended inside. */
export function makeDialog(id, title, ...body) {
  const heading = h("h2", { id: `${id}-title` }, title);
  const close = h("button", { type: "button", class: "close", "aria-label": t("web.close") }, "✕");
  const dialog = h("dialog", { id, "aria-labelledby": `${id}-title` }, close, heading, ...body);
  close.addEventListener("click", () => dialog.close("cancel"));
  // A click on the backdrop (outside the box) closes too.
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close("cancel"); });
  return dialog;
}

/** Ask a yes/no question; resolves true on the confirming button. */
export async function confirmDialog(title, message, confirmLabel = t("web.dialog.confirm")) {
  const ok = h("button", { type: "button", class: "danger primary", value: "ok" }, confirmLabel);
  const cancel = h("button", { type: "button", value: "cancel" }, t("web.cancel"));
  const dialog = makeDialog("confirm-dialog", title, h("p", {}, message), h("div", { class: "actions" }, cancel, ok));
  ok.addEventListener("click", () => dialog.close("ok"));
  cancel.addEventListener("click", () => dialog.close("cancel"));
  const answer = await openDialog(dialog, { focus: cancel });
  dialog.remove();
  return answer === "ok";
}
