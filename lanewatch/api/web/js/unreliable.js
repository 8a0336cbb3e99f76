// The small "unreliable" badge that lists (history, live feed, blocked lanes) show beside a violation
// raised while its camera's view had moved; the reason in full is its tooltip (the dialog says it at length).

import { badge } from "./dom.js";
import { t } from "./words.js";

/** The badge for an unreliable violation, or null for a reliable one (so it can go straight into h()). */
export function unreliableBadge(v) {
  if (!v || !v.unreliable) return null;
  const mark = badge(t("view.unreliable.badge"), "unreliable");
  mark.title = t(`view.unreliable.${v.unreliable_reason || "unknown"}`);
  return mark;
}
