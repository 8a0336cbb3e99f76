// The zone editor's view check for a knocked camera: its reference picture beside the current one, the
// zones carried through the estimated homography (a preview drawn on the frame), saved zone by zone
// (each PUT is audited), and "confirm zones", which makes the current view the reference and ends `moved`.

import { api, can, pictureUrl } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { t } from "./words.js";

const base = (camera) => `/api/cameras/${encodeURIComponent(camera)}`;

/**
 * Fill `panel` for `camera`; `zones()` gives the saved zones, `preview(list|null)` draws carried zones
 * on the editor's frame (null: back to the saved ones), `saved()` reloads the zones after saving.
 */
export function viewCheck(panel, camera, who, { zones, preview, saved }) {
  const status = h("p", { class: "hint", role: "status", id: "view-status" });
  const reference = h("img", { id: "reference-picture", alt: t("view.editor.reference-alt") });
  const currentPicture = h("img", { id: "current-picture", alt: t("view.editor.current-alt") });
  const figure = (img, key) => h("figure", {}, img, h("figcaption", { class: "hint" }, t(key)));
  let carried = null;
  const say = (key, params) => { status.textContent = t(key, params); };
  const previewButton = h("button", { type: "button", id: "carry-preview" }, t("view.editor.preview"));
  const saveButton = h("button", { type: "button", class: "primary", id: "carry-save", hidden: true }, t("view.editor.save"));
  const confirmButton = h("button", { type: "button", id: "confirm-zones" }, t("view.editor.confirm"));
  const editor = can(who, "zones.edit");
  previewButton.addEventListener("click", async () => {
    try {
      const shift = await api(`${base(camera)}/view/shift`);
      if (!shift.homography) { say("view.editor.no-homography"); return; }
      carried = await api(`${base(camera)}/view/carry`, { method: "POST", body: { homography: shift.homography } });
      preview(carried);
      saveButton.hidden = false;
      say("view.editor.previewing", { shift: Math.round((shift.shift || 0) * 100) });
    } catch (failure) { say("view.editor.failed", { error: failure.message }); }
  });
  saveButton.addEventListener("click", async () => {
    saveButton.disabled = true;
    try {
      for (const zone of carried) await api(`${base(camera)}/zones/${encodeURIComponent(zone.id)}`, { method: "PUT", body: zone });
      carried = null;
      saveButton.hidden = true;
      preview(null);
      await saved();
      say("view.editor.saved", { count: zones().length });
    } catch (failure) { say("view.editor.failed", { error: failure.message }); } finally { saveButton.disabled = false; }
  });
  confirmButton.addEventListener("click", async () => {
    try {
      await api(`${base(camera)}/view/confirm`, { method: "POST" });
      say("view.editor.confirmed");
    } catch (failure) { say("view.editor.failed", { error: failure.message }); }
  });
  const pair = h("div", { class: "side-by-side" }, figure(reference, "view.editor.reference"), figure(currentPicture, "view.editor.current"));
  Object.assign(pair.style, { display: "grid", gridTemplateColumns: "1fr 1fr", gap: ".5rem" });
  for (const img of [reference, currentPicture]) img.style.width = "100%";
  replaceChildren(panel, h("h2", {}, t("view.editor.title")), h("p", { class: "hint" }, t("view.editor.hint")), pair,
    editor ? h("div", { class: "tools" }, previewButton, saveButton, confirmButton) : null, status);
  (async () => {
    try {
      const state = await api(base(camera) + "/view");
      if (!state.reference) { say("view.editor.no-reference"); for (const b of [previewButton, confirmButton]) b.disabled = true; return; }
      if (state.moved) say("view.editor.moved");
      currentPicture.src = await pictureUrl(`${base(camera)}/frame.jpg?zones=true`, currentPicture.src);
      reference.src = await pictureUrl(`${base(camera)}/view/reference.jpg`, reference.src);
    } catch (failure) { say("view.editor.failed", { error: failure.message }); }
  })();
}
