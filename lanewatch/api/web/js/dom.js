// Small DOM and formatting helpers. Text always goes in as text (never HTML), so API data cannot inject markup.
// Dates, durations and ages are written in the language of the loaded words (words.js).

import { language, t } from "./words.js";

/** h("li", {class: "x", onclick: f}, "text", child) */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** A local date and time in the page's language, e.g. "6月14日 08:03:12" or "14 Jun, 08:03:12". */
export function formatTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  return date.toLocaleString(language(), { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** "42 秒", "3 分 5 秒", "2 小时 10 分" (or "42 s", "3 min 5 s", "2 h 10 min"). */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t("web.time.seconds", { s });
  if (s < 3600) return t("web.time.minutes", { m: Math.floor(s / 60), s: s % 60 });
  return t("web.time.hours", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

/** "12 秒前" / "12 s ago" from an ISO time. */
export function formatAgo(iso, now = Date.now()) {
  if (!iso) return t("web.time.never");
  const seconds = (now - new Date(iso).getTime()) / 1000;
  return seconds < 1 ? t("web.time.just-now") : t("web.time.ago", { duration: formatDuration(seconds) });
}

export function badge(text, kind) {
  return h("span", { class: `badge ${kind}` }, text);
}
