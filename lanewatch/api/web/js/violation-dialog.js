// One violation in detail: the evidence picture (click toggles annotated/clean), times, dwell, zone,
// camera; acknowledge / resolve with a comment for operators.

import { api, hasRole, pictureUrl } from "./api.js";
import { badge, formatDuration, formatTime, h, replaceChildren } from "./dom.js";
import { makeDialog, openDialog } from "./dialog.js";

/** POST ack or resolve; resolves to the updated violation or throws ApiError (e.g. 409 already done). */
export function act(id, action, comment) {
  const body = comment && comment.trim() ? { comment: comment.trim() } : undefined;
  return api(`/api/violations/${encodeURIComponent(id)}/${action}`, { method: "POST", body });
}

function facts(v) {
  const rows = [
    ["Camera", v.camera], ["Zone", `${v.zone_name} (${v.zone})`], ["What", `${v.label}, confidence ${Math.round(v.confidence * 100)} %`],
    ["State", badge(v.state, `state-${v.state}`)], ["In the lane", v.active ? "yes, still there" : "no, left"],
    ["Stopped since", formatTime(v.started_at)], ["Violation from", formatTime(v.violation_at)],
    ["Left", formatTime(v.ended_at)], ["Dwell", formatDuration(v.dwell_s)],
  ];
  if (v.acknowledged_by) rows.push(["Acknowledged", `${formatTime(v.acknowledged_at)} by ${v.acknowledged_by}` + (v.ack_comment ? `: “${v.ack_comment}”` : "")]);
  if (v.resolved_by) rows.push(["Resolved", `${formatTime(v.resolved_at)} by ${v.resolved_by}` + (v.resolve_comment ? `: “${v.resolve_comment}”` : "")]);
  return h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

function snapshotToggle(v) {
  const img = h("img", { class: "snapshot", alt: `Evidence picture of violation ${v.id}` });
  const caption = h("p", { class: "hint", id: "snapshot-caption" });
  const button = h("button", { type: "button", class: "snapshot-button", "aria-describedby": "snapshot-caption",
    "aria-pressed": "true", "aria-label": "Evidence picture: toggle boxes and zone" }, img);
  let annotated = true;
  const show = async () => {
    const url = annotated ? v.snapshot_url : v.clean_snapshot_url;
    caption.textContent = annotated ? "Annotated picture (zone and box). Click it for the clean frame."
      : "Clean frame. Click it for the annotated picture.";
    button.setAttribute("aria-pressed", String(annotated));
    if (!url) { img.removeAttribute("src"); caption.textContent = "No picture was stored."; return; }
    try { img.src = await pictureUrl(url, img.src); } catch (error) { caption.textContent = `Picture unavailable: ${error.message}`; }
  };
  button.addEventListener("click", () => { annotated = !annotated; show(); });
  show();
  return [button, caption];
}

function actions(v, who, onDone, error) {
  if (!hasRole(who, "operator") || v.state === "resolved") return null;
  const comment = h("textarea", { id: "violation-comment", rows: "2", maxlength: "2000" });
  const run = (action) => async () => {
    error.textContent = "";
    try { onDone(await act(v.id, action, comment.value)); } catch (failure) { error.textContent = failure.message; }
  };
  const buttons = [];
  if (v.state === "new") buttons.push(h("button", { type: "button", class: "primary", onclick: run("ack") }, "Acknowledge"));
  buttons.push(h("button", { type: "button", class: "danger", onclick: run("resolve") }, "Resolve"));
  return [h("div", { class: "field" }, h("label", { for: "violation-comment" }, "Comment (optional)"), comment),
    h("div", { class: "actions" }, buttons)];
}

/** Open the detail dialog; `onChange(violation)` is called after an acknowledgement or resolution. */
export async function showViolation(id, who, onChange = () => {}) {
  const content = h("div", {}, h("p", {}, "Loading…"));
  const dialog = makeDialog("violation-dialog", "Violation", content);
  const error = h("p", { class: "error", role: "alert" });
  const render = (v) => {
    dialog.querySelector("h2").textContent = `${v.label} in ${v.zone_name}`;
    const hadFocus = content.contains(document.activeElement);
    replaceChildren(content, snapshotToggle(v), facts(v), actions(v, who, (updated) => { onChange(updated); render(updated); }, error), error);
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
