// "Passed through today" (今日通行): per lane, how many vehicles drove through it since local midnight
// without becoming a violation, and how long they typically took (the median; the 95th percentile and
// how many were lost inside are in the line's title). Issue 20: a fire lane that is a through road is
// worth knowing about. GET /api/lanes/passages?since=<midnight>, once at the start and every minute;
// the page's own script (dashboard.js) applies the static words, this module fills the list.

import { api, query } from "./api.js";
import { formatDuration, h, replaceChildren } from "./dom.js";
import { loadWords, t } from "./words.js";

const REFRESH_MS = 60_000;

/** Local midnight of `now` as an ISO time with its zone (the API wants an aware time). */
export function midnight(now = new Date()) {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString();
}

/** The line of one lane: "camera · zone", then "12 辆 · 通常 8 秒" (or "无车辆通过"). */
function line(lane, cameraName) {
  const what = h("span", { class: "what" }, t("web.passages.lane", { camera: cameraName(lane.camera), zone: lane.zone_name }));
  const how = lane.count
    ? t("web.passages.count", { count: lane.count, typical: formatDuration(lane.median_s) })
    : t("web.passages.none-through");
  const title = lane.count
    ? t("web.passages.detail", { p95: formatDuration(lane.p95_s), lost: lane.lost })
    : "";
  return h("li", { dataset: { camera: lane.camera, zone: lane.zone, count: String(lane.count) }, title },
    what, h("span", { class: "how" }, how));
}

/** Fill `list` with today's lanes; `status` says when it could not be loaded. Returns {refresh()}. */
export function lanePassages(list, empty, status, cameraName = (id) => id) {
  async function refresh() {
    try {
      const body = await api(`/api/lanes/passages${query({ since: midnight() })}`, { quiet: true });
      replaceChildren(list, ...body.lanes.map((lane) => line(lane, cameraName)));
      empty.hidden = body.lanes.length > 0;
      status.textContent = "";
    } catch (error) {
      status.textContent = t("web.passages.failed", { detail: error.message });
    }
  }
  refresh();
  setInterval(refresh, REFRESH_MS);
  return { refresh };
}

async function main() {
  const list = document.getElementById("passages-lanes");
  if (!list) return;
  await loadWords();
  const cameras = await api("/api/cameras", { quiet: true }).catch(() => []);
  const names = new Map(cameras.map((c) => [c.id, c.name]));
  lanePassages(list, document.getElementById("passages-empty"), document.getElementById("passages-status"),
    (id) => names.get(id) || id);
}

main();
