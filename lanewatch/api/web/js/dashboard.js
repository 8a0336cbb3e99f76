// The dashboard page: camera grid, live feed, history, violation detail.

import { api } from "./api.js";
import { h } from "./dom.js";
import { cameraGrid } from "./camera-grid.js";
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
  const grid = cameraGrid($("camera-grid"), $("cameras-status"));
  const past = history({ form: $("history-form"), table: $("history-table"), pager: $("history-pager"),
    status: $("history-status"), exportButton: $("history-export") }, (id) => open(id));
  function open(id) {
    showViolation(id, who, () => { grid.soon(); past.reload(); });
  }
  const feed = liveFeed($("live-feed"), $("live-empty"), open);
  connectLive((type, payload) => {
    feed(type, payload);
    if (type.startsWith("violation.") || type.startsWith("camera.")) grid.soon();
  }, (state) => { $("live-state").textContent = LIVE_STATES[state] ? t(LIVE_STATES[state]) : state; });
  const cameras = await api("/api/cameras").catch(() => []);
  $("history-camera").append(...cameras.map((c) => h("option", { value: c.id }, t("web.camera-option", { name: c.name, id: c.id }))));
}

main();
