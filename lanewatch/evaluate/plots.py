"""The report's pictures (matplotlib, drawn off-screen to PNG bytes).

A zone's timeline puts the truth stays and the violations found on one axis
of stream seconds: one line per truth row (its stay as a bar, the moment the
dwell is up as a tick, the violation that matched it as a thinner bar on top,
its alert as a dot), then one line per violation that matched no row, so a
person sees at a glance which car was missed, which alert came late and which
one had no car behind it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")  # no display: the report is written by a command or in CI
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

from lanewatch.events.text import font_path
from lanewatch.words import t

COLOURS = {
    "hit": "#2e7d32",
    "miss": "#c62828",
    "not_expected": "#9e9e9e",
    "duplicate": "#ef6c00",
    "false_positive": "#c62828",
}


@dataclass(frozen=True)
class Lane:
    """One line of a timeline: a truth stay and/or a violation (times in stream seconds)."""

    label: str
    status: str
    truth: tuple[float, float] | None = None  # (start_s, end_s or the last analysed second)
    dwell_up_s: float | None = None
    found: tuple[float, float] | None = None  # (start_s, end_s or the last analysed second)
    alert_s: float | None = None


@lru_cache(maxsize=1)
def use_cjk_font() -> None:
    """Draw the labels with the stamps' CJK font (Noto Sans CJK), so Chinese words do not come out as boxes."""
    path = font_path()
    if path is None:
        return
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.sans-serif"] = [family, *matplotlib.rcParams["font.sans-serif"]]
    matplotlib.rcParams["axes.unicode_minus"] = False


def status_words(status: str, lang: str | None) -> str:
    """A truth row's or violation's match status (hit, miss, …) in `lang`."""
    return t(f"eval.status.{status}", lang)


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def timeline_png(title: str, lanes: list[Lane], dwell_s: float, lang: str | None = None) -> bytes:
    """Truth stays vs violations for one zone, the dwell marked on every stay; labels in `lang`."""
    use_cjk_font()
    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(lanes), 2) + 1.2))
    for y, lane in enumerate(lanes):
        colour = COLOURS.get(lane.status, "#555555")
        if lane.truth is not None:
            start, end = lane.truth
            ax.barh(y, end - start, left=start, height=0.6, color=colour, alpha=0.35, edgecolor=colour)
        if lane.dwell_up_s is not None:
            ax.plot([lane.dwell_up_s] * 2, [y - 0.4, y + 0.4], color="black", linewidth=1.5)
        if lane.found is not None:
            start, end = lane.found
            ax.barh(y, end - start, left=start, height=0.2, color=colour)
        if lane.alert_s is not None:
            ax.plot(lane.alert_s, y, "o", color=colour, markeredgecolor="black", markersize=6)
    ax.set_yticks(range(len(lanes)), [f"{lane.label} ({status_words(lane.status, lang)})" for lane in lanes])
    ax.invert_yaxis()
    ax.set_xlabel(t("eval.plot.stream_time", lang))
    ax.set_title(t("eval.plot.timeline_title", lang, title=title, dwell=f"{dwell_s:g}"))
    ax.title.set_fontsize(9)
    ax.grid(axis="x", alpha=0.3)
    return png_bytes(fig)


def histogram_png(values: list[float], lang: str | None = None) -> bytes:
    """Time to alert of every true positive (seconds after the dwell was up); labels in `lang`."""
    use_cjk_font()
    fig, ax = plt.subplots(figsize=(6, 3))
    if values:
        ax.hist(values, bins=min(max(len(values), 1), 20), color="#1565c0", edgecolor="white")
    else:
        ax.text(0.5, 0.5, t("eval.plot.no_true_positives", lang), ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel(t("eval.plot.time_to_alert", lang))
    ax.set_ylabel(t("eval.plot.alerts", lang))
    ax.grid(axis="y", alpha=0.3)
    return png_bytes(fig)
