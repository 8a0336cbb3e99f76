// Violation history: filter by camera / zone / state / dates, page through with the API's cursors,
// export what the filter matches as CSV.

import { api, query } from "./api.js";
import { badge, formatDuration, formatTime, h, replaceChildren } from "./dom.js";

const PAGE_SIZE = 25;
const EXPORT_PAGE = 500;
const EXPORT_MAX_ROWS = 50000;
const CSV_COLUMNS = ["id", "camera", "zone", "zone_name", "label", "state", "active", "started_at", "violation_at",
  "ended_at", "dwell_s", "confidence", "acknowledged_by", "acknowledged_at", "ack_comment", "resolved_by",
  "resolved_at", "resolve_comment"];

/** Local calendar dates to the API's aware times: from the start of `from` to the end of `to`. */
function filters(form) {
  const data = new FormData(form);
  const day = (value, plusDays) => {
    if (!value) return null;
    const [y, m, d] = value.split("-").map(Number);
    return new Date(y, m - 1, d + plusDays).toISOString();
  };
  return { camera: data.get("camera"), zone: data.get("zone").trim(), state: data.get("state"),
    since: day(data.get("from"), 0), until: day(data.get("to"), 1) };
}

/** One CSV cell; a leading = + - @ is defused so a spreadsheet never runs it as a formula. */
function cell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows) {
  return [CSV_COLUMNS.join(","), ...rows.map((v) => CSV_COLUMNS.map((c) => cell(v[c])).join(","))].join("\r\n") + "\r\n";
}

export function history({ form, table, pager, status, exportButton }, openViolation) {
  const cursors = [null];  // cursors[i] = the `after` that loads page i
  let page = 0;

  let generation = 0;  // a slower earlier answer must not overwrite a newer one

  async function load() {
    const mine = ++generation;
    status.textContent = "Loading…";
    try {
      const result = await api("/api/violations" + query({ ...filters(form), after: cursors[page], limit: PAGE_SIZE }));
      if (mine !== generation) return;
      cursors[page + 1] = result.next;
      render(result.items, result.next);
      status.textContent = result.items.length ? "" : "No violations match these filters.";
    } catch (error) {
      if (mine === generation) status.textContent = error.message;
    }
  }

  function render(items, next) {
    replaceChildren(table.tBodies[0], items.map((v) => h("tr", { dataset: { violation: v.id } },
      h("td", {}, formatTime(v.violation_at)), h("td", {}, v.camera), h("td", {}, v.zone_name), h("td", {}, v.label),
      h("td", {}, formatDuration(v.dwell_s)), h("td", {}, badge(v.state, `state-${v.state}`)),
      h("td", {}, h("button", { type: "button", onclick: () => openViolation(v.id), "aria-label": `Details of violation ${v.id}` }, "Details")))));
    replaceChildren(pager,
      h("button", { type: "button", disabled: page === 0, onclick: () => { page -= 1; load(); } }, "Previous page"),
      h("span", {}, `Page ${page + 1}`),
      h("button", { type: "button", disabled: !next, onclick: () => { page += 1; load(); } }, "Next page"));
  }

  async function exportCsv() {
    exportButton.disabled = true;
    const rows = [];
    let after = null;
    try {
      do {
        status.textContent = `Exporting… ${rows.length} rows`;
        const result = await api("/api/violations" + query({ ...filters(form), after, limit: EXPORT_PAGE }));
        rows.push(...result.items);
        after = result.next;
      } while (after && rows.length < EXPORT_MAX_ROWS);
      const link = h("a", { href: URL.createObjectURL(new Blob([toCsv(rows)], { type: "text/csv" })),
        download: `lanewatch-violations-${new Date().toISOString().slice(0, 10)}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      status.textContent = `Exported ${rows.length} violations` + (after ? ` (stopped at ${EXPORT_MAX_ROWS}; narrow the filters)` : ".");
    } catch (error) {
      status.textContent = `Export failed: ${error.message}`;
    } finally {
      exportButton.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); cursors.length = 1; page = 0; load(); });
  exportButton.addEventListener("click", exportCsv);
  load();
  return { reload: load };
}
