// Violation history: filter by camera / zone (by its name, among the chosen camera's zones) / state /
// dates, page through with the API's cursors, export what the filter matches as CSV (headings in the
// page's language, a UTF-8 BOM so that Excel opens Chinese ungarbled, local times with their offset).

import { api, query } from "./api.js";
import { badge, formatDuration, formatTime, h, replaceChildren } from "./dom.js";
import { unreliableBadge } from "./unreliable.js";
import { label, t } from "./words.js";

const PAGE_SIZE = 25;
const EXPORT_PAGE = 500;
const EXPORT_MAX_ROWS = 50000;
const CSV_COLUMNS = ["id", "camera", "zone", "zone_name", "label", "state", "active", "started_at", "violation_at",
  "ended_at", "dwell_s", "confidence", "acknowledged_by", "acknowledged_at", "ack_comment", "resolved_by",
  "resolved_at", "resolve_comment", "unreliable", "unreliable_reason"];

/** Local calendar dates to the API's aware times: from the start of `from` to the end of `to`. */
function filters(form) {
  const data = new FormData(form);
  const day = (value, plusDays) => {
    if (!value) return null;
    const [y, m, d] = value.split("-").map(Number);
    return new Date(y, m - 1, d + plusDays).toISOString();
  };
  return { camera: data.get("camera"), zone: data.get("camera") ? data.get("zone") : "", state: data.get("state"),
    since: day(data.get("from"), 0), until: day(data.get("to"), 1) };
}

/** One CSV cell; a leading = + - @ is defused so a spreadsheet never runs it as a formula. */
function cell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const TIME_COLUMNS = new Set(["started_at", "violation_at", "ended_at", "acknowledged_at", "resolved_at"]);
const pad = (n) => String(n).padStart(2, "0");

/** "2026-06-01 16:00:00+08:00": the browser's local time with its offset, as a spreadsheet shows it. */
export function localTimestamp(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:` +
    `${pad(d.getSeconds())}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

/** Why a violation is in doubt, in words; a reason without words of its own is named as such. */
function unreliableReason(reason) {
  if (!reason) return "";
  const key = `report.unreliable.${reason}`;
  const text = t(key);
  return text === key ? t("report.unreliable.unknown", { reason }) : text;
}

function csvValue(v, column) {
  if (TIME_COLUMNS.has(column)) return localTimestamp(v[column]);
  if (column === "state") return label("state", v.state);
  if (column === "label") return label("label", v.label);
  if (column === "unreliable") return t(v.unreliable ? "report.yes" : "report.no");
  if (column === "unreliable_reason") return unreliableReason(v.unreliable_reason);
  return v[column];
}

/** The CSV text, headings in the page's language (report.column.* words, shared with `lanewatch report`). */
export function toCsv(rows) {
  return [CSV_COLUMNS.map((c) => cell(t(`report.column.${c}`))).join(","),
    ...rows.map((v) => CSV_COLUMNS.map((c) => cell(csvValue(v, c))).join(","))].join("\r\n") + "\r\n";
}

/** The zone select offers the chosen camera's zones by name (their ids are internal). */
function zoneChoices(form) {
  const camera = form.elements.namedItem("camera");
  const zone = form.elements.namedItem("zone");
  let asked = 0;
  async function fill() {
    const mine = ++asked;
    const all = h("option", { value: "" }, t("web.history.all-zones"));
    if (!camera.value) {
      replaceChildren(zone, all);
      zone.disabled = true;
      zone.title = t("web.history.zone-pick-camera");
      return;
    }
    const zones = await api(`/api/cameras/${encodeURIComponent(camera.value)}/zones`).catch(() => []);
    if (mine !== asked) return;
    replaceChildren(zone, all, zones.map((z) => h("option", { value: z.id }, z.name)));
    zone.disabled = false;
    zone.removeAttribute("title");
  }
  camera.addEventListener("change", fill);
  return fill;
}

/** `cameraName(id)` names a camera in the table (its id is the cell's tooltip). */
export function history({ form, table, pager, status, exportButton }, openViolation, cameraName = (id) => id) {
  const cursors = [null];  // cursors[i] = the `after` that loads page i
  let page = 0;

  let generation = 0;  // a slower earlier answer must not overwrite a newer one

  async function load() {
    const mine = ++generation;
    status.textContent = t("web.loading");
    try {
      const result = await api("/api/violations" + query({ ...filters(form), after: cursors[page], limit: PAGE_SIZE }));
      if (mine !== generation) return;
      cursors[page + 1] = result.next;
      render(result.items, result.next);
      status.textContent = result.items.length ? "" : t("web.history.none");
    } catch (error) {
      if (mine === generation) status.textContent = error.message;
    }
  }

  function render(items, next) {
    replaceChildren(table.tBodies[0], items.map((v) => h("tr", { dataset: { violation: v.id } },
      h("td", {}, formatTime(v.violation_at)), h("td", { title: v.camera }, cameraName(v.camera)), h("td", {}, v.zone_name), h("td", {}, label("label", v.label)),
      h("td", {}, formatDuration(v.dwell_s)), h("td", {}, badge(label("state", v.state), `state-${v.state}`), unreliableBadge(v)),
      h("td", {}, h("button", { type: "button", onclick: () => openViolation(v.id), "aria-label": t("web.history.details-of", { id: v.id }) }, t("web.details"))))));
    replaceChildren(pager,
      h("button", { type: "button", disabled: page === 0, onclick: () => { page -= 1; load(); } }, t("web.history.previous")),
      h("span", {}, t("web.history.page", { page: page + 1 })),
      h("button", { type: "button", disabled: !next, onclick: () => { page += 1; load(); } }, t("web.history.next")));
  }

  async function exportCsv() {
    exportButton.disabled = true;
    const rows = [];
    let after = null;
    try {
      do {
        status.textContent = t("web.history.exporting", { count: rows.length });
        const result = await api("/api/violations" + query({ ...filters(form), after, limit: EXPORT_PAGE }));
        rows.push(...result.items);
        after = result.next;
      } while (after && rows.length < EXPORT_MAX_ROWS);
      const blob = new Blob(["\ufeff", toCsv(rows)], { type: "text/csv;charset=utf-8" });  // the BOM: Excel reads UTF-8
      const link = h("a", { href: URL.createObjectURL(blob),
        download: t("web.history.file", { date: localTimestamp(new Date().toISOString()).slice(0, 10) }) });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      status.textContent = after ? t("web.history.exported-capped", { count: rows.length, max: EXPORT_MAX_ROWS })
        : t("web.history.exported", { count: rows.length });
    } catch (error) {
      status.textContent = t("web.history.export-failed", { error: error.message });
    } finally {
      exportButton.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); cursors.length = 1; page = 0; load(); });
  exportButton.addEventListener("click", exportCsv);
  const fillZones = zoneChoices(form);
  fillZones();
  load();
  return { reload: load, fillZones };
}
