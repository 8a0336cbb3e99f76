// Alarm steps for the duty desk, each reachable in at most two clicks:
// Acknowledge (1), Confirm → outcome (2), Resolve (1; a fire must be confirmed first).

import { api, can } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { label, t } from "./words.js";

const OUTCOMES = [["real_fire", "web.alarm.real-fire", "danger primary"], ["false_alarm", "web.alarm.false-alarm", ""], ["test", "web.alarm.test", ""]];

export function alarmStep(id, step, body) {
  return api(`/api/alarms/${encodeURIComponent(id)}/${step}`, { method: "POST", body });
}

/** The action buttons of one alarm; `done(alarm)` after a step succeeds, errors go to `error`. */
export function alarmActions(alarm, who, done, error) {
  if (!can(who, "alarms.handle") || alarm.state === "resolved") return null;
  const box = h("div", { class: "actions" });
  const run = (step, body) => async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    error.textContent = "";
    try { done(await alarmStep(alarm.id, step, body)); } catch (failure) { error.textContent = failure.message; button.disabled = false; }
  };
  const which = t("web.alarm.which", { type: label("alarm_type", alarm.alarm_type), device: alarm.device_name || alarm.device_id });
  function showSteps() {
    const buttons = [];
    if (alarm.state === "active") {
      buttons.push(h("button", { type: "button", class: "primary", onclick: run("ack"), "aria-label": t("web.alarm.acknowledge-label", { alarm: which }) }, t("web.acknowledge")));
    }
    if (alarm.state === "active" || alarm.state === "acknowledged") {
      buttons.push(h("button", { type: "button", "aria-label": t("web.alarm.confirm-label", { alarm: which }), onclick: showOutcomes }, t("web.alarm.confirm")));
    }
    const fireUnconfirmed = alarm.alarm_type === "fire" && alarm.state !== "confirmed";
    if (alarm.state !== "active" && !fireUnconfirmed) {
      buttons.push(h("button", { type: "button", class: "danger", onclick: run("resolve"), "aria-label": t("web.alarm.resolve-label", { alarm: which }) }, t("web.resolve")));
    }
    replaceChildren(box, buttons);
  }
  function showOutcomes() {
    const choices = OUTCOMES.map(([outcome, text, kind]) =>
      h("button", { type: "button", class: kind, onclick: run("confirm", { outcome }) }, t(text)));
    const back = h("button", { type: "button", onclick: () => { showSteps(); box.querySelector("button").focus(); } }, t("web.back"));
    replaceChildren(box, h("span", { class: "muted" }, t("web.alarm.outcome")), choices, back);
    choices[0].focus();
  }
  showSteps();
  return box;
}
