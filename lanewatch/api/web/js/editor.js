// The zone editor page: pick a camera, see its latest frame and detections, draw and save lane zones.
// Each save is one API call that either stores the whole zone or nothing; the API's words for a
// refused zone (crossed edges, too small, ...) are shown next to the zone.

import { ApiError, api, can, pictureUrl } from "./api.js";
import { formatTime, h, replaceChildren } from "./dom.js";
import { confirmDialog } from "./dialog.js";
import { startPage } from "./shell.js";
import { COLOURS, zoneCanvas } from "./zone-canvas.js";
import { zoneForm } from "./zone-form.js";
import { viewCheck } from "./view-check.js";
import { applyWords, label, loadWords, t } from "./words.js";

const $ = (id) => document.getElementById(id);
const path = (camera, zoneId) => `/api/cameras/${encodeURIComponent(camera)}/zones` + (zoneId ? `/${encodeURIComponent(zoneId)}` : "");

let who = null;
let camera = null;
let zones = [];
let current = null;  // {zone: saved zone or null for a new one}
let lastDetections = [];
const PREVIEW_COLOUR = "#ff00ff";  // zones carried by the view's homography, not yet saved
const form = zoneForm($("zone-form"));
const canvas = zoneCanvas($("canvas"), { onChange: (points, canUndo) => {
  $("undo").disabled = !canUndo;
  const count = points.length === 1 ? t("web.editor.points-one") : t("web.editor.points-many", { count: points.length });
  $("point-count").textContent = t(points.length < 3 ? "web.editor.points-more" : "web.editor.points-enough", { points: count });
}, onRefuse: (text) => { $("point-count").textContent = text; } });

function drawOthers() {
  const others = zones.map((zone, i) => ({ zone, colour: COLOURS[i % COLOURS.length] }))
    .filter(({ zone }) => !current || !current.zone || zone.id !== current.zone.id);
  canvas.setOthers(others);
}

function renderZoneList() {
  const canEdit = can(who, "zones.edit");
  replaceChildren($("zone-list"), zones.length ? zones.map((zone, i) => h("li", { dataset: { zone: zone.id } },
    h("span", { class: "swatch", "aria-hidden": "true", dataset: { colour: i % COLOURS.length } }),
    h("span", {}, zone.name),
    canEdit ? h("button", { type: "button", onclick: () => startEditing(zone), "aria-label": t("web.editor.edit-zone", { name: zone.name }) }, t("web.editor.edit")) : null,
  )) : h("li", { class: "muted" }, t("web.editor.no-zones")));
  for (const swatch of $("zone-list").querySelectorAll(".swatch")) swatch.style.background = COLOURS[Number(swatch.dataset.colour)];
}

function showError(text) {
  $("zone-error").textContent = text ? t("web.editor.not-saved", { error: text }) : "";
  canvas.setProblem(text || "");
}

function startEditing(zone) {
  current = { zone };
  form.load(zone);
  canvas.edit(zone ? zone.polygon : []);
  showError("");
  $("zone-saved").textContent = "";
  $("zone-form-title").textContent = zone ? t("web.editor.zone-named", { name: zone.name }) : t("web.editor.new-zone");
  $("zone-panel").hidden = false;
  drawOthers();
  $("zone-name").focus();
}

function stopEditing() {
  current = null;
  canvas.stop();
  $("zone-panel").hidden = true;
  drawOthers();
}

async function loadZones() {
  zones = await api(path(camera));
  renderZoneList();
  drawOthers();
}

async function loadFrame() {
  const img = $("frame");
  $("frame-status").textContent = t("web.editor.loading-frame");
  try {
    const status = (await api(`/api/cameras/${encodeURIComponent(camera)}`)).status;
    if (!status.frames) throw new ApiError(503, t("web.editor.no-analysed-frame", { state: label("state", status.state) }));
    const [url, found] = await Promise.all([
      pictureUrl(`/api/cameras/${encodeURIComponent(camera)}/frame.jpg`, img.src),
      api(`/api/cameras/${encodeURIComponent(camera)}/detections`),
    ]);
    img.src = url;
    await img.decode().catch(() => {});
    img.hidden = false;
    $("blank").hidden = true;
    canvas.setFrameSize(found.width, found.height);
    canvas.setDetections($("show-detections").checked ? found.detections : []);
    lastDetections = found.detections;
    $("frame-status").textContent = t("web.editor.frame-of", { at: formatTime(found.timestamp), count: found.detections.length });
  } catch (error) {
    img.hidden = true;
    $("blank").hidden = false;
    canvas.setDetections([]);
    $("frame-status").textContent = error instanceof ApiError && error.status === 503
      ? t("web.editor.draw-anyway", { reason: error.detail }) : t("web.editor.no-frame", { error: error.message });
  }
}
async function selectCamera(id) {
  camera = id;
  stopEditing();
  await Promise.all([loadZones(), loadFrame()]);
  viewCheck($("view-panel"), id, who, {
    zones: () => zones,
    preview: (carried) => carried ? canvas.setOthers(carried.map((zone) => ({ zone, colour: PREVIEW_COLOUR }))) : drawOthers(),
    saved: loadZones,
  });
}

async function save(event) {
  event.preventDefault();
  showError("");
  const zone = form.read(canvas.points());
  const isNew = !current.zone;
  $("save-zone").disabled = true;
  try {
    const saved = await api(isNew ? path(camera) : path(camera, current.zone.id), { method: isNew ? "POST" : "PUT", body: zone });
    await loadZones();
    startEditing(saved);
    $("zone-saved").textContent = t("web.editor.saved", { name: saved.name });
  } catch (error) {
    showError(error.message);
  } finally {
    $("save-zone").disabled = false;
  }
}

async function deleteZone() {
  if (!current.zone) { stopEditing(); return; }
  const zone = current.zone;
  if (!(await confirmDialog(t("web.editor.delete-zone"), t("web.editor.delete-question", { name: zone.name }), t("web.editor.delete-zone")))) return;
  try {
    await api(path(camera, zone.id), { method: "DELETE" });
    stopEditing();
    await loadZones();
    $("frame-status").textContent = t("web.editor.deleted", { name: zone.name });
  } catch (error) {
    showError(error.message);
  }
}

async function main() {
  await loadWords();
  applyWords(document);
  who = await startPage("editor");
  const canEdit = can(who, "zones.edit");
  if (!canEdit) $("zones-title").after(h("p", { class: "hint" }, t("web.editor.admins-only")));
  $("new-zone").addEventListener("click", () => startEditing(null));
  $("zone-form").addEventListener("submit", save);
  $("cancel-zone").addEventListener("click", stopEditing);
  $("delete-zone").addEventListener("click", deleteZone);
  $("undo").addEventListener("click", () => canvas.undo());
  $("delete-point").addEventListener("click", () => canvas.deletePoint());
  $("clear-points").addEventListener("click", () => canvas.edit([]));
  $("refresh-frame").addEventListener("click", loadFrame);
  $("show-detections").addEventListener("change", (e) => canvas.setDetections(e.target.checked ? lastDetections : []));
  document.addEventListener("keydown", (event) => {
    const typing = event.target.matches("input, textarea, select");
    if (current && !typing && (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      canvas.undo();
    }
  });
  const cameras = await api("/api/cameras");
  const select = $("camera-select");
  select.append(...cameras.map((c) => h("option", { value: c.id }, t("web.camera-option", { name: c.name, id: c.id }))));
  select.addEventListener("change", () => selectCamera(select.value));
  const wanted = new URLSearchParams(location.search).get("camera");
  if (wanted && cameras.some((c) => c.id === wanted)) select.value = wanted;
  if (cameras.length) await selectCamera(select.value);
  else $("frame-status").textContent = t("web.editor.no-cameras");
  // Shown only now, once its handler exists and the first camera is selected: selecting a camera
  // closes the zone form, so an earlier click opened a form that then vanished (a flaky browser test
  // on a busy machine). With no camera there is nothing to draw on.
  $("new-zone").hidden = !canEdit || !cameras.length;
}

main();
