// The centre's sites (duty desks): each site's link to the centre, offline first, read from /api/sites
// (already limited to the caller's organisations) and read again every REFRESH_MS. The centre judges
// online / offline / never from the stored message and heartbeat times when asked, so a site turns
// offline on this page at the next refresh without anything running at the centre.

import { api } from "./api.js";
import { badge, formatAgo, formatDuration, formatTime, h, replaceChildren } from "./dom.js";
import { showStatus, startPage } from "./shell.js";
import { applyWords, language, loadWords, t } from "./words.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 15000;
const STATES = {
  offline: "web.sites.state.offline", never: "web.sites.state.never", online: "web.sites.state.online",
};
const ORDER = { offline: 0, never: 1, online: 2 };  // what needs a person first

const count = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString(language()));

/** A time as the local date and time, with how long ago in a tooltip. */
function when(iso) {
  return h("td", { title: iso ? formatAgo(iso) : null }, formatTime(iso));
}

/** Centre − edge in seconds, signed ("+6.2 秒", "−1 小时 0 分"); a positive skew is an edge clock behind. */
function skew(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const size = Math.abs(seconds);
  const sign = seconds > 0 ? "+" : seconds < 0 ? "\u2212" : "";
  return sign + (size < 60 ? t("web.time.seconds", { s: size.toFixed(1) }) : formatDuration(size));
}

function siteRow(site) {
  const org = site.org_name
    ? h("td", { title: site.org_code }, site.org_name)
    : h("td", { class: "muted" }, t("web.sites.no-org"));
  return h("tr", { dataset: { site: site.site, state: site.state } },
    h("td", {}, site.site), org,
    h("td", { class: "state" }, badge(t(STATES[site.state] || site.state), `state-${site.state}`)),
    when(site.last_message_at), when(site.last_heartbeat_at),
    h("td", { class: "backlog" }, count(site.backlog)),
    h("td", { class: "lag" }, site.lag_s === null ? "—" : formatDuration(site.lag_s)),
    h("td", { class: "skew" }, skew(site.clock_skew_s)),
    h("td", {}, count(site.messages)), h("td", {}, count(site.duplicates)),
    h("td", { class: "dead-letters" }, count(site.dead_letters)),
    h("td", {}, site.edge_version || "—"));
}

/** Offline first, then the sites never heard from, then the online ones; by site code within each. */
export function ordered(sites) {
  return [...sites].sort((a, b) => (ORDER[a.state] ?? 3) - (ORDER[b.state] ?? 3) || a.site.localeCompare(b.site));
}

async function refresh() {
  const status = $("sites-status");
  try {
    const sites = ordered(await api("/api/sites"));
    replaceChildren($("sites-table").querySelector("tbody"), sites.map(siteRow));
    const offline = sites.filter((site) => site.state === "offline").length;
    showStatus(status, sites.length
      ? t("web.sites.count", { count: sites.length, offline, at: formatTime(new Date().toISOString()) })
      : t("web.sites.none"));
  } catch (failure) {
    showStatus(status, t("web.sites.failed", { error: failure.message }), true);  // the last table stays
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

async function main() {
  await loadWords();
  applyWords(document);
  await startPage("sites");
  await refresh();
}

main();
