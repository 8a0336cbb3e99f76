"""`--sweep imgsz=640,960 --sweep confidence=0.2,0.3`: every combination run and scored, the best named.

Each combination is a full eval into OUT/sweep/<name>/ (its own violations,
score.json and report), so any of them can be opened on its own afterwards;
OUT/sweep.csv and OUT/sweep.png put them side by side. The best is the one
with the highest F1 (precision and recall weighed alike), then recall, then
precision, then the lowest p95 time to alert.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from lanewatch.evaluate.plots import png_bytes  # also selects the off-screen backend
from lanewatch.words import t

_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
SWEEPABLE: dict[str, type] = {
    "imgsz": int,
    "confidence": float,
    "sample_fps": float,
    "refresh": float,
    "gate": bool,
    "crop": bool,
}
CSV_FIGURES = ("precision", "recall", "f1", "true_positives", "false_positives", "false_negatives", "duplicates")


def _value(name: str, text: str) -> Any:
    kind = SWEEPABLE[name]
    if kind is bool:
        if text.lower() not in _BOOLS:
            raise ValueError(t("eval.sweep.not_bool", name=name, value=repr(text)))
        return _BOOLS[text.lower()]
    try:
        return kind(text)
    except ValueError:
        key = "eval.sweep.not_int" if kind is int else "eval.sweep.not_number"
        raise ValueError(t(key, name=name, value=repr(text))) from None


def parse_sweep(specs: list[str]) -> list[dict[str, Any]]:
    """Every combination of ``NAME=V1,V2`` options, in the order given ([{}] without any)."""
    axes: dict[str, list[Any]] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not values.strip():
            raise ValueError(t("eval.sweep.unreadable", spec=repr(spec)))
        if name not in SWEEPABLE:
            raise ValueError(t("eval.sweep.not_sweepable", name=repr(name), names=", ".join(SWEEPABLE)))
        if name in axes:
            raise ValueError(t("eval.sweep.twice", name=name))
        axes[name] = [_value(name, v.strip()) for v in values.split(",") if v.strip()]
    return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]


def folder_name(combo: dict[str, Any]) -> str:
    return "_".join(f"{k}-{str(v).lower()}" for k, v in combo.items()) or "default"


def f1(score: dict[str, Any]) -> float:
    p, r = score["precision"], score["recall"]
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def best_index(scores: list[dict[str, Any]]) -> int:
    def key(i: int) -> tuple[float, ...]:
        s = scores[i]
        p95 = s["time_to_alert_s"]["p95"]
        return (f1(s), s["recall"], s["precision"], -(p95 if p95 is not None else float("inf")))

    return max(range(len(scores)), key=key)


def write_sweep(out: Path, combos: list[dict[str, Any]], scores: list[dict[str, Any]]) -> tuple[Path, Path, int]:
    """OUT/sweep.csv (one row per combination) and OUT/sweep.png (precision and recall per combination)."""
    names = list(combos[0]) if combos else []
    path = out / "sweep.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*names, *CSV_FIGURES, "time_to_alert_p95_s", "false_alert_minutes", "folder"])
        for combo, s in zip(combos, scores, strict=True):
            figures = [f1(s) if c == "f1" else s[c] for c in CSV_FIGURES]
            tail = [s["time_to_alert_s"]["p95"], s["false_alert_minutes"], f"sweep/{folder_name(combo)}"]
            writer.writerow([combo[n] for n in names] + figures + tail)
    best = best_index(scores)
    fig, ax = plt.subplots(figsize=(max(4, 1.1 * len(combos) + 2), 3.5))
    xs = range(len(combos))
    ax.bar([x - 0.2 for x in xs], [s["precision"] for s in scores], width=0.4, label="precision", color="#1565c0")
    ax.bar([x + 0.2 for x in xs], [s["recall"] for s in scores], width=0.4, label="recall", color="#2e7d32")
    labels = [
        ", ".join(f"{k}={v}" for k, v in c.items()) + (" (best)" if i == best else "") for i, c in enumerate(combos)
    ]
    ax.set_xticks(list(xs), labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower right")
    png = out / "sweep.png"
    png.write_bytes(png_bytes(fig))
    return path, png, best
