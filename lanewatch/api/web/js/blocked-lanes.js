// "Blocked now": every lane (camera + zone) with a violation still in it, one line per lane however
// many vehicles stand there, with how long it has been blocked (counted live, every second). It opens
// with GET /api/violations?active=true and follows the live stream: a lane goes when its last
// violation ends (or is resolved by an operator).

import { formatDuration, h, replaceChildren } from "./dom.js";
import { unreliableBadge } from "./unreliable.js";
import { t } from "./words.js";

// end_s is null while a vehicle is in the lane (in API records and in events alike). Events carry the
// operator state only on an operator's step, so the page remembers which ones were resolved.
const blocking = (v) => (v.end_s === null || v.end_s === undefined) && v.state !== "resolved";

/**
 * Show the blocked lanes in `list` (`empty` says when there are none); `cameraName(id)` names a camera.
 * Returns {handle(type, payload), show(items)}: handle is given to connectLive(); show() takes the
 * active violations (GET /api/violations?active=true), at the start and after each reconnect, since
 * events may have been missed meanwhile.
 */
export function blockedLanes(list, empty, cameraName = (id) => id) {
  let violations = new Map();  // id -> violation still blocking its lane
  let resolved = new Set();  // ids an operator resolved: the pipeline's later updates do not bring them back
  const items = new Map();  // "camera/zone" -> {li, what, since}

  function render() {
    const lanes = new Map();
    for (const v of violations.values()) {
      const key = `${v.camera}/${v.zone}`;
      const lane = lanes.get(key) || { camera: v.camera, zone: v.zone, zoneName: v.zone_name, since: Infinity, count: 0, unreliable: null };
      lane.since = Math.min(lane.since, new Date(v.violation_at).getTime());
      lane.count += 1;
      if (v.unreliable && !lane.unreliable) lane.unreliable = v;  // the lane shows the mark while any of its violations has it
      lanes.set(key, lane);
    }
    for (const [key, item] of items) if (!lanes.has(key)) { item.li.remove(); items.delete(key); }
    const order = [...lanes.entries()].sort((a, b) => a[1].since - b[1].since);  // longest blocked first
    order.forEach(([key, lane], i) => {
      let item = items.get(key);
      if (!item) {
        const what = h("span", { class: "what", title: lane.camera });  // the camera's id, its name in the text
        const how = h("span", { class: "how-long" });
        item = { li: h("li", { dataset: { camera: lane.camera, zone: lane.zone } }, what, how), what, how };
        items.set(key, item);
      }
      item.since = lane.since;
      item.li.dataset.count = String(lane.count);
      replaceChildren(item.what, t("web.blocked.lane", { camera: cameraName(lane.camera), zone: lane.zoneName }),
        lane.count > 1 ? h("span", { class: "count-active" }, t("web.blocked.vehicles", { count: lane.count })) : null,
        unreliableBadge(lane.unreliable));
      if (list.children[i] !== item.li) list.insertBefore(item.li, list.children[i] || null);
    });
    tick();
    empty.hidden = items.size > 0;
  }

  function tick() {
    const now = Date.now();
    for (const item of items.values()) item.how.textContent = t("web.blocked.for", { duration: formatDuration((now - item.since) / 1000) });
  }

  function handle(type, payload) {
    if (!type.startsWith("violation.") || !payload.after) return;
    const v = { ...violations.get(payload.after.id), ...payload.after };
    if (v.state === "resolved") resolved.add(v.id);
    if (type !== "violation.end" && blocking(v) && !resolved.has(v.id)) violations.set(v.id, v);
    else violations.delete(v.id);
    render();
  }

  function show(items) {
    violations = new Map(items.filter(blocking).map((v) => [v.id, v]));
    resolved = new Set(items.filter((v) => v.state === "resolved").map((v) => v.id));
    render();
  }

  setInterval(tick, 1000);
  return { handle, show };
}
