// The dashboard's camera grid: latest frame with zones, live state, last frame time, active violations per zone.

import { api, pictureUrl } from "./api.js";
import { badge, formatAgo, h, replaceChildren } from "./dom.js";
import { label, t } from "./words.js";

const FRAME_REFRESH_MS = 5000;

function card(camera) {
  const img = h("img", { alt: t("web.grid.frame-alt", { camera: camera.name }) });
  const frame = h("div", { class: "frame" }, h("span", { class: "placeholder" }, t("web.grid.no-frame")));
  const state = h("span", {});
  const seen = h("p", { class: "muted" });
  const zones = h("ul", { "aria-label": t("web.grid.zones-label", { camera: camera.name }) });
  const li = h("li", { class: "card", dataset: { camera: camera.id } }, frame,
    h("div", { class: "body" }, h("div", { class: "head" }, h("h3", {}, camera.name), state), seen, zones));
  return { li, img, frame, state, seen, zones, hasFrame: false };
}

/** Active (still in the lane, not resolved) violations counted by "camera/zone". */
async function activeCounts() {
  const page = await api("/api/violations?active=true&limit=500");
  const counts = new Map();
  for (const v of page.items) {
    if (v.state === "resolved") continue;
    const key = `${v.camera}/${v.zone}`;
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  return counts;
}

/**
 * The grid in `list`; `onCall(ok)` hears whether its calls reached the server. While they do not,
 * each camera's state shows as unknown (its last known state would be stale, and "online" a lie).
 */
export function cameraGrid(list, status, onCall = () => {}) {
  const cards = new Map();

  function unknown() {
    for (const entry of cards.values()) replaceChildren(entry.state, badge(t("web.state.unknown"), "state-unknown"));
  }

  async function refreshFrame(camera, entry) {
    try {
      entry.img.src = await pictureUrl(`/api/cameras/${encodeURIComponent(camera.id)}/frame.jpg?zones=true&quality=70`, entry.img.src);
      if (!entry.hasFrame) { replaceChildren(entry.frame, entry.img); entry.hasFrame = true; }
    } catch (error) {
      if (!entry.hasFrame) replaceChildren(entry.frame, h("span", {}, error.status === 503 ? t("web.grid.no-frame") : error.message));
    }
  }

  async function refresh() {
    let cameras;
    let counts;
    try {
      [cameras, counts] = await Promise.all([api("/api/cameras"), activeCounts()]);
    } catch (error) {
      status.textContent = t("web.grid.load-failed", { error: error.message });
      onCall(error.status !== 0);
      if (error.status === 0) unknown();
      return;
    }
    onCall(true);
    status.textContent = cameras.length ? "" : t("web.grid.no-cameras");
    for (const id of [...cards.keys()]) {
      if (!cameras.some((c) => c.id === id)) { cards.get(id).li.remove(); cards.delete(id); }
    }
    for (const camera of cameras) {
      let entry = cards.get(camera.id);
      if (!entry) { entry = card(camera); cards.set(camera.id, entry); list.append(entry.li); }
      const s = camera.status;
      replaceChildren(entry.state, camera.enabled ? badge(label("state", s.state), `state-${s.state}`) : badge(label("state", "disabled"), "state-stopped"));
      entry.seen.textContent = t("web.grid.last-frame", { ago: formatAgo(s.last_frame_at) });
      const zones = await api(`/api/cameras/${encodeURIComponent(camera.id)}/zones`).catch(() => []);
      replaceChildren(entry.zones, zones.length ? zones.map((zone) => {
        const n = counts.get(`${camera.id}/${zone.id}`) || 0;
        return h("li", { dataset: { zone: zone.id } }, t("web.grid.zone-line", { name: zone.name }),
          h("span", { class: n ? "count-active" : "" }, n === 1 ? t("web.grid.active-one") : t("web.grid.active-many", { count: n })));
      }) : h("li", { class: "muted" }, t("web.grid.no-zones")));
      if (s.frames > 0) refreshFrame(camera, entry);  // analysed frames: only then is there a picture to show
    }
  }

  let pending = null;
  /** Refresh soon (several live events in a burst cause one refresh). */
  function soon() {
    if (!pending) pending = setTimeout(() => { pending = null; refresh(); }, 500);
  }

  refresh();
  setInterval(refresh, FRAME_REFRESH_MS);
  return { refresh, soon, unknown };
}
