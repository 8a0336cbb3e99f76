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
  const link = connectionBanner(document.querySelector("main"), (lost) => { if (lost) grid.unknown(); else grid.soon(); });
  const grid = cameraGrid($("camera-grid"), $("cameras-status"), link.call);
  const past = history({ form: $("history-form"), table: $("history-table"), pager: $("history-pager"),
    status: $("history-status"), exportButton: $("history-export") }, (id) => open(id));
  function open(id) {
    showViolation(id, who, () => { grid.soon(); past.reload(); });
  }
  const blocked = blockedLanes($("blocked-lanes"), $("blocked-empty"), (id) => names.get(id) || id);
  const feed = liveFeed($("live-feed"), $("live-empty"), open);
  let feedLoaded = false;
  connectLive((type, payload) => {
    feed.handle(type, payload);
    blocked.handle(type, payload);
    if (type.startsWith("violation.") || type.startsWith("camera.")) grid.soon();
  }, (state) => {
    $("live-state").textContent = LIVE_STATES[state] ? t(LIVE_STATES[state]) : state;
    link.stream(state !== "reconnecting");
    if (state !== "live") return;
    // Once listening: what is blocked now (again after a drop: events may have been missed meanwhile).
    blocked.load().catch(() => {});
    if (!feedLoaded) feed.load().then(() => { feedLoaded = true; }).catch(() => {});
  });
  $("history-camera").append(...cameras.map((c) => h("option", { value: c.id }, t("web.camera-option", { name: c.name, id: c.id }))));
}

main();
