"""The tables `lanewatch eval` prints: what each camera did, and how it scored against the truth."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from lanewatch.evaluate.run import EvalResult
from lanewatch.words import t

HEALTH_KINDS = ("offline", "frozen", "covered", "dark", "blurred", "moved")
"""Every camera health state but online: each counted, per camera, by how often it began."""


def stdout_console() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=120)  # logs and pipes: no squeezed columns


def print_run_summary(result: EvalResult, out: Path) -> None:
    stats, report, health = result.stats, result.report, result.health
    console = stdout_console()
    table = Table(title="lanewatch eval")
    for column in ("camera", "looks", "inferred", "skipped", "dropped", "violations", "active", *HEALTH_KINDS):
        table.add_column(t(f"cli.run.col.{column}"), justify="right" if column != "camera" else "left")
    for camera, looks in stats.frames.items():
        mine = [v for v in report.violations.values() if v.camera == camera]
        states = [e.state.value for e in health if e.camera == camera]
        skipped = stats.skipped.get(camera, 0)
        table.add_row(
            camera,
            str(looks),
            str(looks - skipped),
            str(skipped),
            str(stats.dropped.get(camera, 0)),
            str(len(mine)),
            str(sum(v.active for v in mine)),
            *(str(states.count(kind)) for kind in HEALTH_KINDS),
        )
    console.print(table)
    per_frame = stats.detector_seconds / stats.inferences * 1000 if stats.inferences else 0.0
    console.print(
        t(
            "cli.run.note",
            inferences=stats.inferences,
            ms=f"{per_frame:.0f}",
            wall=f"{stats.wall_seconds:.1f}",
            errors=stats.detector_errors,
            out=f"{out}/",
        )
    )


_SCORE_COLUMNS = ("precision", "recall", "true_positives", "false_positives", "false_negatives", "duplicates")


def _cells(figures: dict[str, Any]) -> list[str]:
    tta = figures["time_to_alert_s"]
    return [
        *(f"{figures[c]:g}" for c in _SCORE_COLUMNS),
        str(figures["not_expected"]),
        "-" if tta["p95"] is None else f"{tta['p50']:g} / {tta['p95']:g} / {tta['max']:g}",
        f"{figures['false_alert_minutes']:g}",
    ]


def print_score(score: dict[str, Any], out: Path) -> None:
    """One row for everything, then one per zone (camera/zone)."""
    table = Table(title=t("cli.score.title"))
    table.add_column(t("eval.col.scope"))
    for column in ("precision", "recall", "tp", "fp", "fn", "dup", "not_expected", "tta", "false_min"):
        table.add_column(t(f"cli.score.col.{column}"), justify="right")
    table.add_row(t("eval.scope.all"), *_cells(score))
    for camera, zones in score["per_zone"].items():
        for zone, figures in zones.items():
            table.add_row(f"{camera}/{zone}", *_cells(figures))
    console = stdout_console()
    console.print(table)
    console.print(t("cli.score.note", path=str(out / "score.json")))
