// The lane speaker's warning for one violation: a stop button while it is running, for those who may stop it.
// "Running" means the speaker has called at least once and calls may go on (the violation lasts, nobody
// acknowledged, resolved or stopped it); the server decides, this only asks GET .../speaker.

import { api, can } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { t } from "./words.js";

/** A box that fills itself with the stop button when the warning runs and `who` may handle violations. */
export function speakerStop(id, who) {
  const box = h("div", { class: "speaker-stop" });
  if (!can(who, "violations.handle")) return box;
  const path = `/api/violations/${encodeURIComponent(id)}/speaker`;
  const said = (key, role = "status") => h("p", { class: "hint", role }, t(key));
  api(path).then((log) => {
    if (!log.calling || !log.calls.length) return;
    const button = h("button", { type: "button", class: "danger" }, t("view.speaker.stop"));
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await api(`${path}/stop`, { method: "POST" });
        replaceChildren(box, said("view.speaker.stopped"));
      } catch (failure) {
        button.disabled = false;
        replaceChildren(box, button, h("p", { class: "error", role: "alert" }, failure.message));
      }
    });
    replaceChildren(box, h("p", { class: "hint" }, t("view.speaker.running", { calls: log.calls.length })), button);
  }).catch(() => {});  // no speaker log to read: nothing to stop
  return box;
}
