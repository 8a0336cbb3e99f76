// The dashboard page: the lanes blocked now, camera grid, live feed, history, violation detail.

import { api } from "./api.js";
import { blockedLanes } from "./blocked-lanes.js";
import { h } from "./dom.js";
import { cameraGrid } from "./camera-grid.js";
import { connectionBanner } from "./connection.js";
import { soundToggle } from "./cue.js";
import { history } from "./history.js";
import { liveFeed } from "./live-feed.js";
import { connectLive } from "./live.js";
import { startPage } from "./shell.js";
import { showViolation } from "./violation-dialog.js";
import { applyWords, loadWords, t } from "./words.js";

const $ = (id) => document.getElementById(id);

const LIVE_STATES = { live: "web.live.connected", reconnecting: "web.live.reconnecting", "signed-out": "web.live.signed-out" };

async function main() {
  await loadWords();
  applyWords(document);
  const who = await startPage("dashboard");
  $("sound-slot").append(soundToggle());
  const cameras = await api("/api/cameras").catch(() => []);
  const names = new Map(cameras.map((c) => [c.id, c.name]));
  const cameraName = (id) => names.get(id) || id;  // the camera's name wherever a person reads it; the id in tooltips
  const link = connectionBanner(document.querySelector("main"), (lost) => { if (lost) grid.unknown(); else grid.soon(); });
  const grid = cameraGrid($("camera-grid"), $("cameras-status"), link.call);
  const past = history({ form: $("history-form"), table: $("history-table"), pager: $("history-pager"),
    status: $("history-status"), exportButton: $("history-export") }, (id) => open(id), cameraName);
  function open(id) {
    showViolation(id, who, () => { grid.soon(); past.reload(); }, cameraName);
  }
  const blocked = blockedLanes($("blocked-lanes"), $("blocked-empty"), cameraName);
  const feed = liveFeed($("live-feed"), $("live-empty"), open, cameraName);
  const active = () => api("/api/violations?active=true&limit=500").then((page) => page.items);
  let dropped = false;
  connectLive((type, payload) => {
    feed.handle(type, payload);
    blocked.handle(type, payload);
    if (type.startsWith("violation.") || type.startsWith("camera.")) grid.soon();
  }, (state) => {
    $("live-state").textContent = LIVE_STATES[state] ? t(LIVE_STATES[state]) : state;
    link.stream(state !== "reconnecting");
    if (state === "reconnecting") dropped = true;
    // Back after a drop: what is blocked now again, since events may have been missed meanwhile.
    if (state === "live" && dropped) { dropped = false; active().then(blocked.show).catch(() => {}); }
  });
  // After opening the stream, so that nothing between the two is missed: the lanes blocked now and
  // the feed's first lines.
  active().then((items) => { blocked.show(items); feed.seed(items); }).catch(() => {});
  $("history-camera").append(...cameras.map((c) => h("option", { value: c.id }, t("web.camera-option", { name: c.name, id: c.id }))));
}

main();
