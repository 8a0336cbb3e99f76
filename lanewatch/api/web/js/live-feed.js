// The live feed: violations and camera health from the event stream, newest first, without reloading.
// It opens with the violations still in their lanes (GET /api/violations?active=true), and each
// violation keeps one line: its later updates (acknowledged, resolved, ended) rewrite that line in
// place instead of adding a new one each time.

import { formatTime, h, replaceChildren } from "./dom.js";
import { cue } from "./cue.js";
import { unreliableBadge } from "./unreliable.js";
import { label, t } from "./words.js";

const MAX_ITEMS = 200;
const ACTIONS = { acknowledged: "web.feed.acknowledged", resolved: "web.feed.resolved" };

/** A line of text for an event, or null for events not worth a line (a violation's routine updates). */
function describe(type, payload, cameraName) {
  const v = payload.after;
  const names = v ? { label: label("label", v.label), zone: v.zone_name } : {};
  switch (type) {
    case "violation.new":
      return { what: t("web.feed.new", names), camera: v.camera, at: v.violation_at, violation: v };
    case "violation.update":
      if (!ACTIONS[payload.action]) return null;
      return { what: t(ACTIONS[payload.action], { by: payload.by, ...names }), camera: v.camera, at: payload.published_at, violation: v };
    case "violation.end":
      return { what: t("web.feed.end", names), camera: v.camera, at: v.ended_at, violation: v };
    case "camera.online":
    case "camera.offline":
    case "camera.frozen":
    case "camera.covered":
    case "camera.dark":
    case "camera.blurred":
    case "camera.moved":
      return { what: t("web.feed.camera", { camera: cameraName(payload.camera), state: label("state", type.slice(7)) }) + (payload.detail ? t("web.aside", { text: payload.detail }) : ""),
        camera: payload.camera, at: payload.at, health: type.slice(7) };
    default:
      return null;
  }
}

/**
 * Feed `list` from live events; `openViolation(id)` shows a violation's detail; `cameraName(id)` names
 * a camera (the line shows the name, the id is its tooltip).
 * Returns {handle(type, payload), seed(items)}: handle is given to connectLive(); seed() adds the
 * active violations (GET /api/violations?active=true, asked once the stream is opening, so that
 * nothing between the two is missed) below the lines already shown.
 */
export function liveFeed(list, empty, openViolation, cameraName = (id) => id) {
  const lines = new Map();  // violation id -> its <li>

  function fill(item, type, line) {
    const kind = line.health ? `state-${line.health}` : type === "violation.new" ? "state-new" : "";
    item.className = `fresh ${kind}`;
    item.dataset.type = type;
    replaceChildren(item,
      h("div", {}, h("div", { class: "what" }, line.what, unreliableBadge(line.violation)), h("div", { class: "when" },
        h("span", { class: "camera", title: line.camera }, cameraName(line.camera)), ` · ${formatTime(line.at)}`)),
      line.violation ? h("button", { type: "button", onclick: () => openViolation(line.violation.id),
        "aria-label": t("web.feed.details-of", { what: line.what }) }, t("web.details")) : null);
  }

  function show(type, line, { atEnd = false } = {}) {
    empty.hidden = true;
    const id = line.violation ? line.violation.id : null;
    let item = id ? lines.get(id) : null;
    if (item) {  // the violation's own line, rewritten where it is
      fill(item, type, line);
      return;
    }
    item = h("li", { dataset: id ? { violation: id } : {} });
    fill(item, type, line);
    if (id) lines.set(id, item);
    if (atEnd) list.append(item);
    else list.prepend(item);
    while (list.children.length > MAX_ITEMS) {
      const last = list.lastElementChild;
      if (last.dataset.violation) lines.delete(last.dataset.violation);
      last.remove();
    }
  }

  function handle(type, payload) {
    const line = describe(type, payload, cameraName);
    if (!line) return;
    show(type, line);
    if (type === "violation.new") cue("violation", list.closest("section"));
  }

  function seed(items) {
    for (const v of items) {  // newest first: each goes below the lines already shown
      if (lines.has(v.id)) continue;  // already came live
      const type = v.state === "new" ? "violation.new" : "violation.update";
      const what = v.state === "new" ? t("web.feed.new", { label: label("label", v.label), zone: v.zone_name })
        : t(ACTIONS[v.state] || "web.feed.new", { by: v.state === "resolved" ? v.resolved_by : v.acknowledged_by, label: label("label", v.label), zone: v.zone_name });
      show(type, { what, camera: v.camera, at: v.violation_at, violation: v }, { atEnd: true });
    }
  }

  return { handle, seed };
}
