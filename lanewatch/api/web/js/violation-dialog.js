// One violation in detail: the evidence picture (click toggles annotated/clean), times, dwell, zone,
// camera; acknowledge / resolve with a comment for operators.

import { api, can, pictureUrl } from "./api.js";
import { badge, formatDuration, formatTime, h, replaceChildren } from "./dom.js";
import { makeDialog, openDialog } from "./dialog.js";
import { speakerStop } from "./speaker-stop.js";
import { label, t } from "./words.js";

/** POST ack or resolve; resolves to the updated violation or throws ApiError (e.g. 409 already done). */
export function act(id, action, comment) {
  const body = comment && comment.trim() ? { comment: comment.trim() } : undefined;
  return api(`/api/violations/${encodeURIComponent(id)}/${action}`, { method: "POST", body });
}

function facts(v, cameraName) {
  const who = (at, by, comment) => comment ? t("web.violation.by-comment", { at: formatTime(at), by, comment })
    : t("web.violation.by", { at: formatTime(at), by });
  const rows = [
    ["web.violation.camera", cameraName(v.camera) === v.camera ? v.camera : t("web.camera-option", { name: cameraName(v.camera), id: v.camera })], ["web.violation.zone", t("web.camera-option", { name: v.zone_name, id: v.zone })],
    ["web.violation.what", t("web.violation.what-value", { label: label("label", v.label), confidence: Math.round(v.confidence * 100) })],
    ["web.violation.state", badge(label("state", v.state), `state-${v.state}`)],
    ["web.violation.in-lane", t(v.active ? "web.violation.still-there" : "web.violation.left")],
    ["web.violation.stopped-since", formatTime(v.started_at)], ["web.violation.violation-from", formatTime(v.violation_at)],
    ["web.violation.ended", formatTime(v.ended_at)], ["web.violation.dwell", formatDuration(v.dwell_s)],
  ];
  if (v.acknowledged_by) rows.push(["web.violation.acknowledged", who(v.acknowledged_at, v.acknowledged_by, v.ack_comment)]);
  if (v.resolved_by) rows.push(["web.violation.resolved", who(v.resolved_at, v.resolved_by, v.resolve_comment)]);
  return h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", {}, t(term)), h("dd", {}, value)]));
}

/** Raised while the camera's view had moved off its zones: say so above everything else. */
function unreliable(v) {
  if (!v.unreliable) return null;
  return h("p", { class: "error unreliable", role: "note" }, t(`view.unreliable.${v.unreliable_reason || "unknown"}`));
}

function snapshotToggle(v) {
  const img = h("img", { class: "snapshot", alt: t("web.violation.picture-alt", { id: v.id }) });
  const caption = h("p", { class: "hint", id: "snapshot-caption" });
  const button = h("button", { type: "button", class: "snapshot-button", "aria-describedby": "snapshot-caption",
    "aria-pressed": "true", "aria-label": t("web.violation.picture-toggle") }, img);
  let annotated = true;
  const show = async () => {
    const url = annotated ? v.snapshot_url : v.clean_snapshot_url;
    caption.textContent = t(annotated ? "web.violation.annotated" : "web.violation.clean");
    button.setAttribute("aria-pressed", String(annotated));
    if (!url) { img.removeAttribute("src"); caption.textContent = t("web.violation.no-picture"); return; }
    try { img.src = await pictureUrl(url, img.src); } catch (error) { caption.textContent = t("web.violation.picture-failed", { error: error.message }); }
  };
  button.addEventListener("click", () => { annotated = !annotated; show(); });
  show();
  return [button, caption];
}

function actions(v, who, onDone, error) {
  if (!can(who, "violations.handle") || v.state === "resolved") return null;
  const comment = h("textarea", { id: "violation-comment", rows: "2", maxlength: "2000" });
  const run = (action) => async () => {
    error.textContent = "";
    try { onDone(await act(v.id, action, comment.value)); } catch (failure) { error.textContent = failure.message; }
  };
  const buttons = [];
  if (v.state === "new") buttons.push(h("button", { type: "button", class: "primary", onclick: run("ack") }, t("web.acknowledge")));
  buttons.push(h("button", { type: "button", class: "danger", onclick: run("resolve") }, t("web.resolve")));
  return [h("div", { class: "field" }, h("label", { for: "violation-comment" }, t("web.violation.comment")), comment),
    h("div", { class: "actions" }, buttons)];
}

/**
 * Open the detail dialog; `onChange(violation)` is called after an acknowledgement or resolution;
 * `cameraName(id)` names the camera (the dashboard knows the names; without it the id is shown).
 */
export async function showViolation(id, who, onChange = () => {}, cameraName = (camera) => camera) {
  const content = h("div", {}, h("p", {}, t("web.loading")));
  const dialog = makeDialog("violation-dialog", t("web.violation.title"), content);
  const error = h("p", { class: "error", role: "alert" });
  const render = (v) => {
    dialog.querySelector("h2").textContent = t("web.violation.heading", { label: label("label", v.label), zone: v.zone_name });
    const hadFocus = content.contains(document.activeElement);
    // Picture beside the facts and buttons (one column on a narrow screen): the whole dialog fits a
    // 1440×900 screen, its buttons reachable without scrolling.
    replaceChildren(content, h("div", { class: "detail-columns" }, h("div", {}, snapshotToggle(v)),
      h("div", {}, unreliable(v), facts(v, cameraName), speakerStop(v.id, who),
        actions(v, who, (updated) => { onChange(updated); render(updated); }, error), error)));
    if (hadFocus) dialog.querySelector(".close").focus();  // the pressed button is gone: keep focus in the dialog
  };
  const closed = openDialog(dialog);
  try {
    render(await api(`/api/violations/${encodeURIComponent(id)}`));
  } catch (failure) {
    replaceChildren(content, h("p", { class: "error", role: "alert" }, failure.message));
  }
  await closed;
  dialog.remove();
}
