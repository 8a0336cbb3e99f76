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

import matplotlib

matplotlib.use("Agg")  # no display: the report is written by a command or in CI
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

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


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def timeline_png(title: str, lanes: list[Lane], dwell_s: float) -> bytes:
    """Truth stays vs violations for one zone, the dwell marked on every stay."""
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
    ax.set_yticks(range(len(lanes)), [f"{lane.label} ({lane.status.replace('_', ' ')})" for lane in lanes])
    ax.invert_yaxis()
    ax.set_xlabel("stream time (s)")
    ax.set_title(f"{title} — wide bar: truth stay, tick: dwell {dwell_s:g} s up, thin bar: violation, dot: alert")
    ax.title.set_fontsize(9)
    ax.grid(axis="x", alpha=0.3)
    return png_bytes(fig)


def histogram_png(values: list[float]) -> bytes:
    """Time to alert of every true positive (seconds after the dwell was up)."""
    fig, ax = plt.subplots(figsize=(6, 3))
    if values:
        ax.hist(values, bins=min(max(len(values), 1), 20), color="#1565c0", edgecolor="white")
    else:
        ax.text(0.5, 0.5, "no true positives", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("time to alert (s): alert − (truth start + dwell)")
    ax.set_ylabel("alerts")
    ax.grid(axis="y", alpha=0.3)
    return png_bytes(fig)
