// The phone view: active violations with thumbnails and one-tap acknowledge; refreshed by live events.

import { api, can, pictureUrl } from "./api.js";
import { badge, formatAgo, formatDuration, h, replaceChildren } from "./dom.js";
import { cue, soundToggle } from "./cue.js";
import { connectionBanner, unreachable } from "./connection.js";
import { connectLive } from "./live.js";
import { startPage } from "./shell.js";
import { act, showViolation } from "./violation-dialog.js";
import { applyWords, label, loadWords, t } from "./words.js";

const $ = (id) => document.getElementById(id);
let who = null;
let link = null;  // the connection banner
const thumbnails = new Map();  // violation id -> blob URL, fetched once

async function thumbnail(v, img) {
  if (!v.snapshot_url) return;
  if (!thumbnails.has(v.id)) {
    thumbnails.set(v.id, pictureUrl(`/api/violations/${encodeURIComponent(v.id)}/snapshot.jpg?annotated=true&crop=true&quality=70`)
      .catch(() => null));
  }
  const url = await thumbnails.get(v.id);
  if (url) img.src = url;
}

function item(v) {
  const what = { label: label("label", v.label), zone: v.zone_name };
  const img = h("img", { alt: t("web.phone.item", what) });
  thumbnail(v, img);
  const error = h("p", { class: "error", role: "alert" });
  const ack = can(who, "violations.handle") && v.state === "new"
    ? h("button", { type: "button", class: "primary", "aria-label": t("web.phone.acknowledge-label", what) }, t("web.acknowledge")) : null;
  if (ack) {
    ack.addEventListener("click", async () => {
      ack.disabled = true;
      try { await act(v.id, "ack"); await refresh(); } catch (failure) { error.textContent = failure.message; ack.disabled = false; }
    });
  }
  return h("li", { dataset: { violation: v.id } }, img,
    h("div", {}, h("div", { class: "what" }, h("strong", {}, t("web.phone.item", what))),
      h("div", { class: "muted" }, t("web.phone.line", { camera: v.camera, ago: formatAgo(v.violation_at), dwell: formatDuration(v.dwell_s) })),
      badge(label("state", v.state), `state-${v.state}`)),
    h("div", { class: "actions" }, ack,
      h("button", { type: "button", onclick: () => showViolation(v.id, who, refresh) }, t("web.details"))),
    error);
}

async function refresh() {
  try {
    const page = await api("/api/violations?active=true&limit=100");
    const open = page.items.filter((v) => v.state !== "resolved");
    replaceChildren($("active-list"), open.map(item));
    $("phone-status").textContent = open.length ? t("web.phone.active", { count: open.length }) : t("web.phone.none");
    link.call(true);
  } catch (error) {
    $("phone-status").textContent = error.message;
    if (unreachable(error)) link.call(false);
  }
}

async function main() {
  await loadWords();
  applyWords(document);
  who = await startPage("phone");
  $("sound-slot").append(soundToggle());
  link = connectionBanner(document.querySelector("main"));
  let pending = null;
  connectLive((type) => {
    if (!type.startsWith("violation.")) return;
    if (type === "violation.new") cue("violation", $("active-list"));
    if (!pending) pending = setTimeout(() => { pending = null; refresh(); }, 300);
  }, (state) => {
    if (state === "live" && link.lost()) refresh();  // back: the list at once
    link.stream(state !== "reconnecting");
  }, { types: ["violation.*"] });
  await refresh();  // after opening the stream: nothing between the two is missed
}

main();
