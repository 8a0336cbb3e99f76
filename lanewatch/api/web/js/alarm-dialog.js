// One alarm in detail: device, audit trail, the device's recent history, linked fire lanes with their
// status and latest picture.

import { api, pictureUrl } from "./api.js";
import { badge, formatTime, h, replaceChildren } from "./dom.js";
import { makeDialog, openDialog } from "./dialog.js";
import { alarmActions } from "./alarm-actions.js";

function deviceFacts(alarm, device) {
  const rows = [["Alarm", `${alarm.alarm_type.replace(/_/g, " ")} (${alarm.severity})`], ["State", badge(alarm.state, `state-${alarm.state}`)],
    ["Device", `${alarm.device_name || alarm.device_id} (${alarm.device_type})`],
    ["Where", [alarm.enterprise, alarm.building, alarm.location].filter(Boolean).join(" · ") || "—"],
    ["Received", formatTime(alarm.received_at)], ["Detail", alarm.detail || "—"], ["Repeats", String(alarm.count)]];
  if (alarm.outcome) rows.push(["Outcome", alarm.outcome.replace(/_/g, " ")]);
  if (device) {
    rows.push(["Last seen", formatTime(device.last_seen_at)], ["Online", device.offline ? `no, offline since ${formatTime(device.offline_since)}` : "yes"]);
    if (device.battery_pct !== null && device.battery_pct !== undefined) rows.push(["Battery", `${device.battery_pct} %`]);
    if (device.maintenance) rows.push(["Maintenance", device.maintenance_reason || "flagged"]);
  }
  return h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

function lanes(list) {
  if (!list.length) return h("p", { class: "muted" }, "No fire lanes are linked to this device.");
  return h("ul", { class: "feed", id: "alarm-lanes" }, list.map((lane) => {
    const img = h("img", { class: "snapshot", alt: `Fire lane ${lane.zone_name || lane.camera_name}` });
    const url = lane.latest_violation && lane.latest_violation.active ? lane.latest_violation.snapshot_url : lane.frame_url;
    if (url) pictureUrl(url).then((src) => { img.src = src; }).catch(() => img.remove());
    return h("li", { dataset: { camera: lane.camera } }, h("div", {},
      h("div", { class: "what" }, `${lane.camera_name || lane.camera}${lane.zone_name ? ` · ${lane.zone_name}` : ""}: `,
        lane.blocked ? badge("blocked", "state-new") : badge("clear", "state-online")), img));
  }));
}

function historyList(title, items, line) {
  return [h("h3", {}, title), items.length ? h("ol", { class: "feed" }, items.map((item) => h("li", {}, line(item))))
    : h("p", { class: "muted" }, "Nothing recorded.")];
}

/** Show alarm `id`; `onChange(alarm)` after an operator step. */
export async function showAlarm(id, who, onChange = () => {}) {
  const content = h("div", {}, h("p", {}, "Loading…"));
  const dialog = makeDialog("alarm-dialog", "Alarm", content);
  const error = h("p", { class: "error", role: "alert" });
  const closed = openDialog(dialog);
  async function load() {
    const alarm = await api(`/api/alarms/${encodeURIComponent(id)}`);
    const past = await api(`/api/alarms/devices/${encodeURIComponent(alarm.device_id)}/history?limit=20`).catch(() => ({ messages: [] }));
    dialog.querySelector("h2").textContent = `${alarm.alarm_type.replace(/_/g, " ")} · ${alarm.device_name || alarm.device_id}`;
    replaceChildren(content, deviceFacts(alarm, alarm.device),
      alarmActions(alarm, who, (updated) => { onChange(updated); load(); dialog.querySelector(".close").focus(); }, error), error,
      h("h3", {}, "Linked fire lanes"), lanes(alarm.lanes || []),
      historyList("What happened", alarm.audit || [], (step) => `${formatTime(step.at)} · ${step.action} by ${step.by}` + (step.comment ? `: “${step.comment}”` : "")),
      historyList("Device history", past.messages || [], (m) => `${formatTime(m.at)} · ${m.kind}${m.alarm_type ? ` ${m.alarm_type}` : ""}` +
        (m.value !== null && m.value !== undefined ? ` = ${m.value}` : "") + (m.detail ? ` (${m.detail})` : "")));
  }
  try { await load(); } catch (failure) { replaceChildren(content, h("p", { class: "error", role: "alert" }, failure.message)); }
  await closed;
  dialog.remove();
}
