// The duty console: active alarms, fire first, with sound; steps in two clicks; offline devices; live.
// Each alarm is reported as shown (POST /shown) the first time this console displays it, which is
// how the centre measures the time from an alarm to a person seeing it.

import { api, can } from "./api.js";
import { badge, formatAgo, formatTime, h, replaceChildren } from "./dom.js";
import { cue, soundToggle } from "./cue.js";
import { alarmActions } from "./alarm-actions.js";
import { showAlarm } from "./alarm-dialog.js";
import { connectionBanner, unreachable } from "./connection.js";
import { mayTestDevices, showDeviceTests } from "./device-test.js";
import { connectLive } from "./live.js";
import { startPage } from "./shell.js";
import { applyWords, label, loadWords, t } from "./words.js";

const $ = (id) => document.getElementById(id);
const REPEAT_FIRE_CUE_MS = 15000;
let who = null;
let fireUnacknowledged = false;
const reportedShown = new Set();
let link = null;  // the connection banner

function reportShown(alarm) {
  if (alarm.shown_at || reportedShown.has(alarm.id) || !can(who, "alarms.handle")) return;
  reportedShown.add(alarm.id);
  api(`/api/alarms/${encodeURIComponent(alarm.id)}/shown`, { method: "POST" }).catch(() => reportedShown.delete(alarm.id));
}

function item(alarm) {
  const error = h("p", { class: "error", role: "alert" });
  const type = label("alarm_type", alarm.alarm_type);
  const device = alarm.device_name || alarm.device_id;
  return h("li", { class: `sev-${alarm.severity}`, dataset: { alarm: alarm.id, type: alarm.alarm_type, state: alarm.state } },
    h("div", { class: "head" },
      h("span", { class: "title" }, `${type.toUpperCase()} · ${device}`),
      h("span", {}, badge(label("severity", alarm.severity), `sev-${alarm.severity}`), " ", badge(label("state", alarm.state), `state-${alarm.state}`))),
    h("div", { class: "muted" }, [alarm.enterprise, alarm.building, alarm.location].filter(Boolean).join(" · ") || alarm.device_id,
      ` · ${formatTime(alarm.received_at)}${t("web.aside", { text: formatAgo(alarm.received_at) })}`, alarm.count > 1 ? ` · ${t("web.console.repeats", { count: alarm.count })}` : "",
      alarm.test ? ` · ${t("web.console.test")}` : ""),
    alarm.detail ? h("div", {}, alarm.detail) : null,
    h("div", { class: "actions" }, alarmActions(alarm, who, refresh, error),
      h("button", { type: "button", onclick: () => showAlarm(alarm.id, who, refresh), "aria-label": t("web.console.details-of", { type, device }) }, t("web.details"))),
    error);
}

/** A fire in the banner: its device, and where (the enterprise too, so the desk knows whose it is). */
function fireWhere(alarm) {
  const where = [alarm.enterprise, alarm.location].filter(Boolean).join(" · ");
  return `${alarm.device_name || alarm.device_id}${where ? t("web.aside", { text: where }) : ""}`;
}

const rendered = new Map();  // alarm id -> {li, updatedAt}

/**
 * Keep an unchanged alarm's element as it is, so a refresh never pulls a button away from under
 * the operator's finger (or closes the outcome choice they just opened).
 */
function showList(alarms) {
  const list = $("alarm-list");
  const wanted = alarms.map((alarm) => {
    const known = rendered.get(alarm.id);
    if (known && known.updatedAt === alarm.updated_at) return known.li;
    const li = item(alarm);
    if (known) known.li.replaceWith(li);
    rendered.set(alarm.id, { li, updatedAt: alarm.updated_at });
    return li;
  });
  const ids = new Set(alarms.map((a) => a.id));
  for (const [id, { li }] of rendered) if (!ids.has(id)) { li.remove(); rendered.delete(id); }
  wanted.forEach((li, i) => { if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null); });
}

let refreshes = 0;  // the latest refresh asked for: an older one's answer must not overwrite a newer one's

async function refresh() {
  const asked = ++refreshes;
  try {
    const page = await api("/api/alarms?active=true&limit=200");
    // A list read before a step and answered after the step's own refresh would show the alarm as it was
    // (active again after "acknowledge") until the next event or the 30 s tick: only the latest counts.
    if (asked !== refreshes) return;
    showList(page.items);
    page.items.forEach(reportShown);
    const fires = page.items.filter((a) => a.alarm_type === "fire" && !a.test);
    fireUnacknowledged = fires.some((a) => a.state === "active");
    $("fire-banner").hidden = !fires.length;
    $("fire-banner").textContent = fires.length ? t("web.console.fire", { devices: fires.map(fireWhere).join(t("web.list-sep")) }) : "";
    $("alarms-status").textContent = page.items.length ? t("web.console.active", { count: page.items.length }) : t("web.console.none");
    link.call(true);
  } catch (error) {
    $("alarms-status").textContent = error.message;
    if (unreachable(error)) { link.call(false); devicesUnknown(); return; }
  }
  try {
    const offline = await api("/api/alarms/devices?offline=true&limit=200");
    replaceChildren($("offline-list"), offline.items.map((d) => h("li", { dataset: { device: d.id } },
      h("div", {}, h("div", { class: "what" }, d.name || d.id), h("div", { class: "when" },
        t("web.console.offline-since", { where: [d.building, d.location].filter(Boolean).join(" · "), at: formatTime(d.offline_since) }))))));
    $("offline-status").textContent = offline.items.length ? "" : t("web.console.all-reporting");
  } catch (error) {
    $("offline-status").textContent = error.message;
    if (unreachable(error)) { link.call(false); devicesUnknown(); return; }
  }
  if (mayTestDevices(who)) await showDeviceTests($("device-test-list"), $("device-test-status"), refresh).catch((error) => { $("device-test-status").textContent = error.message; });
}

/** Without the server, "all devices reporting" (or the last list) would be stale: say it is unknown. */
function devicesUnknown() {
  replaceChildren($("offline-list"));
  $("offline-status").textContent = t("web.console.devices-unknown");
}

async function main() {
  await loadWords();
  applyWords(document);
  who = await startPage("console");
  $("device-test").hidden = !mayTestDevices(who);
  $("sound-slot").append(soundToggle());
  link = connectionBanner(document.querySelector("main"), (lost) => { if (lost) devicesUnknown(); else refresh(); });
  let pending = null;
  connectLive((type, payload) => {
    if (type === "alarm.new") cue(payload.after && payload.after.alarm_type === "fire" ? "fire" : "alarm", $("alarm-list"));
    if (!pending) pending = setTimeout(() => { pending = null; refresh(); }, 300);
  }, (state) => {
    $("console-live-state").textContent = t(state === "live" ? "web.live.connected" : `web.live.${state}`);
    if (state === "live" && link.lost()) refresh();  // back: the lists at once, not at the next 30 s tick
    link.stream(state !== "reconnecting");
  },
  { types: ["alarm.*", "device.*"] });
  setInterval(() => { if (fireUnacknowledged) cue("fire", $("fire-banner")); }, REPEAT_FIRE_CUE_MS);
  setInterval(refresh, 30000);  // ages and offline devices also change without events
  await refresh();  // after opening the stream: nothing between the two is missed
}

main();
