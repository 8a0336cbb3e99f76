// One alarm in detail: device, audit trail, the device's recent history, linked fire lanes with their
// status and latest picture.

import { api, pictureUrl } from "./api.js";
import { badge, formatTime, h, replaceChildren } from "./dom.js";
import { makeDialog, openDialog } from "./dialog.js";
import { alarmActions } from "./alarm-actions.js";
import { label, t } from "./words.js";

function deviceFacts(alarm, device) {
  const rows = [
    ["alarm", t("web.alarm.fact.alarm-value", { type: label("alarm_type", alarm.alarm_type), severity: label("severity", alarm.severity) })],
    ["state", badge(label("state", alarm.state), `state-${alarm.state}`)],
    ["device", t("web.camera-option", { name: alarm.device_name || alarm.device_id, id: label("device_type", alarm.device_type) })],
    ["where", [alarm.enterprise, alarm.building, alarm.location].filter(Boolean).join(" · ") || "—"],
    ["received", formatTime(alarm.received_at)], ["detail", alarm.detail || "—"], ["repeats", String(alarm.count)]];
  if (alarm.outcome) rows.push(["outcome", label("outcome", alarm.outcome)]);
  if (device) {
    rows.push(["last-seen", formatTime(device.last_seen_at)],
      ["online", device.offline ? t("web.alarm.fact.offline-since", { at: formatTime(device.offline_since) }) : t("web.alarm.fact.yes")]);
    if (device.battery_pct !== null && device.battery_pct !== undefined) rows.push(["battery", `${device.battery_pct} %`]);
    if (device.maintenance) rows.push(["maintenance", device.maintenance_reason || t("web.alarm.fact.flagged")]);
  }
  return h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", {}, t(`web.alarm.fact.${term}`)), h("dd", {}, value)]));
}

function lanes(list) {
  if (!list.length) return h("p", { class: "muted" }, t("web.alarm.no-lanes"));
  return h("ul", { class: "feed", id: "alarm-lanes" }, list.map((lane) => {
    const img = h("img", { class: "snapshot", alt: t("web.alarm.lane-alt", { lane: lane.zone_name || lane.camera_name }) });
    const url = lane.latest_violation && lane.latest_violation.active ? lane.latest_violation.snapshot_url : lane.frame_url;
    if (url) pictureUrl(url).then((src) => { img.src = src; }).catch(() => img.remove());
    return h("li", { dataset: { camera: lane.camera } }, h("div", {},
      h("div", { class: "what" }, `${lane.camera_name || lane.camera}${lane.zone_name ? ` · ${lane.zone_name}` : ""}: `,
        lane.blocked ? badge(t("web.alarm.blocked"), "state-new") : badge(t("web.alarm.clear"), "state-online")), img));
  }));
}

function historyList(title, items, line, id = null) {
  return [h("h3", {}, title), items.length ? h("ol", { class: "feed history-list", id }, items.map((item) => h("li", {}, line(item))))
    : h("p", { class: "muted" }, t("web.alarm.nothing"))];
}

/** Show alarm `id`; `onChange(alarm)` after an operator step. */
export async function showAlarm(id, who, onChange = () => {}) {
  const content = h("div", {}, h("p", {}, t("web.loading")));
  const dialog = makeDialog("alarm-dialog", t("web.alarm.title"), content);
  const error = h("p", { class: "error", role: "alert" });
  const closed = openDialog(dialog);
  async function load() {
    const alarm = await api(`/api/alarms/${encodeURIComponent(id)}`);
    const past = await api(`/api/alarms/devices/${encodeURIComponent(alarm.device_id)}/history?limit=20`).catch(() => ({ messages: [] }));
    dialog.querySelector("h2").textContent = `${label("alarm_type", alarm.alarm_type)} · ${alarm.device_name || alarm.device_id}`;
    // Facts and steps in one column, lanes and histories (which scroll within themselves) in the
    // other: the dialog fits a 1440×900 screen, its buttons reachable without scrolling.
    replaceChildren(content, h("div", { class: "detail-columns" },
      h("div", {}, deviceFacts(alarm, alarm.device),
        alarmActions(alarm, who, (updated) => { onChange(updated); load(); dialog.querySelector(".close").focus(); }, error), error,
        historyList(t("web.alarm.audit"), alarm.audit || [], (step) => t("web.alarm.audit-line",
          { at: formatTime(step.at), action: label("action", step.action), by: step.by }) + (step.comment ? t("web.quote", { text: step.comment }) : ""))),
      h("div", {}, h("h3", {}, t("web.alarm.lanes")), lanes(alarm.lanes || []),
        historyList(t("web.alarm.device-history"), past.messages || [], (m) =>
          `${formatTime(m.received_at)} · ${label("message_kind", m.kind)}${m.alarm_type ? ` ${label("alarm_type", m.alarm_type)}` : ""}` +
          (m.value !== null && m.value !== undefined ? ` = ${m.value}` : "") + (m.detail ? t("web.aside", { text: m.detail }) : ""), "device-history"))));
  }
  try { await load(); } catch (failure) { replaceChildren(content, h("p", { class: "error", role: "alert" }, failure.message)); }
  await closed;
  dialog.remove();
}
