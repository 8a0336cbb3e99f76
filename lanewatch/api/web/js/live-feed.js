// The live feed: violations and camera health from the event stream, newest first, without reloading.

import { formatTime, h } from "./dom.js";
import { cue } from "./cue.js";
import { label, t } from "./words.js";

const MAX_ITEMS = 200;

/** A line of text for an event, or null for events not worth a line (a violation's routine updates). */
function describe(type, payload) {
  const v = payload.after;
  switch (type) {
    case "violation.new":
      return { what: t("web.feed.new", { label: label("label", v.label), zone: v.zone_name }), where: v.camera, at: v.violation_at, violation: v };
    case "violation.update":
      if (!payload.action) return null;
      return { what: t(payload.action === "acknowledged" ? "web.feed.acknowledged" : "web.feed.resolved",
        { by: payload.by, label: label("label", v.label), zone: v.zone_name }),
        where: v.camera, at: payload.published_at, violation: v };
    case "violation.end":
      return { what: t("web.feed.end", { label: label("label", v.label), zone: v.zone_name }), where: v.camera, at: v.ended_at, violation: v };
    case "camera.online":
    case "camera.offline":
    case "camera.frozen":
    case "camera.covered":
    case "camera.dark":
    case "camera.blurred":
    case "camera.moved":
      return { what: t("web.feed.camera", { camera: payload.camera, state: label("state", type.slice(7)) }) + (payload.detail ? ` (${payload.detail})` : ""),
        where: payload.camera, at: payload.at, health: type.slice(7) };
    default:
      return null;
  }
}

/**
 * Feed `list` from live events; `openViolation(id)` shows a violation's detail.
 * Returns handle(type, payload), to be given to connectLive().
 */
export function liveFeed(list, empty, openViolation) {
  return function handle(type, payload) {
    const line = describe(type, payload);
    if (!line) return;
    empty.hidden = true;
    const kind = line.health ? `state-${line.health}` : type === "violation.new" ? "state-new" : "";
    const item = h("li", { class: `fresh ${kind}`, dataset: { type, violation: line.violation ? line.violation.id : null } },
      h("div", {}, h("div", { class: "what" }, line.what),
        h("div", { class: "when" }, `${line.where} · ${formatTime(line.at)}`)),
      line.violation ? h("button", { type: "button", onclick: () => openViolation(line.violation.id),
        "aria-label": t("web.feed.details-of", { what: line.what }) }, t("web.details")) : null);
    list.prepend(item);
    while (list.children.length > MAX_ITEMS) list.lastElementChild.remove();
    if (type === "violation.new") cue("violation", list.closest("section"));
  };
}
