"""One `lanewatch eval` invocation: plan every run (one, or one per --sweep combination), run, score.

Everything that can be wrong with the options is found while planning,
before any detector loads; the command line only turns errors into exit
codes. Camera specs come from a callable the command line passes in
(`build_cameras`), so this package does not import the command line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from lanewatch.config import DetectorConfig, LookConfig
from lanewatch.evaluate.acceptance import Scoring, score_and_judge
from lanewatch.evaluate.report import write_report
from lanewatch.evaluate.run import check_sources_exist, detector_config, run_pipeline
from lanewatch.evaluate.summary import print_run_summary, print_score, stdout_console
from lanewatch.evaluate.sweep import f1, folder_name, parse_sweep, write_sweep
from lanewatch.words import t

if TYPE_CHECKING:
    from lanewatch.pipeline import CameraSpec


@dataclass(frozen=True)
class Settings:
    """The run settings `lanewatch eval` takes as options; a --sweep combination replaces some."""

    weights: str | None
    imgsz: int
    sample_fps: float
    duration: float | None
    confidence: float
    classes: str | None
    decode: str
    gate: bool
    crop: bool
    refresh: float


@dataclass(frozen=True)
class Plan:
    """One run: where it writes, what it runs with."""

    out: Path
    combo: dict[str, Any]
    settings: Settings
    specs: list[CameraSpec]
    detector: DetectorConfig
    look: LookConfig

    @property
    def cameras(self) -> list[str]:
        return [s.source.camera for s in self.specs]


def plan_runs(
    out: Path, settings: Settings, sweep: list[str], make_specs: Callable[[Settings], list[CameraSpec]]
) -> list[Plan]:
    """The run, or one run per --sweep combination (each in OUT/sweep/<name>/); raises ValueError."""
    plans = []
    for combo in parse_sweep(sweep):
        s = dataclasses.replace(settings, **combo)
        specs = make_specs(s)
        check_sources_exist(specs)
        plans.append(
            Plan(
                out=out / "sweep" / folder_name(combo) if sweep else out,
                combo=combo,
                settings=s,
                specs=specs,
                detector=detector_config(specs, s.weights, s.imgsz, s.confidence, s.classes),
                look=LookConfig(change_gate=s.gate, crop_to_zones=s.crop, refresh_s=s.refresh),
            )
        )
    return plans


def run_plan(plan: Plan, console: Console) -> None:
    """Load the detector and run the pipeline; prints the per-camera summary."""
    from lanewatch.detect.factory import build_detector

    plan.out.mkdir(parents=True, exist_ok=True)
    what = ", ".join(f"{k}={v}" for k, v in plan.combo.items())
    sweep = t("cli.eval.sweep_combo", combo=what) if what else ""
    console.print(t("cli.eval.loading_detector", imgsz=plan.settings.imgsz) + sweep)
    detector = build_detector(plan.detector)
    # Recorded footage must give the same figures on every machine: a look sent before every sheet height
    # is compiled would run on a taller one (live cameras do that rather than wait), which shifts borderline
    # boxes, so how fast this machine compiles would decide a score. An evaluation waits a few seconds instead.
    wait_ready = getattr(detector, "wait_ready", None)
    if wait_ready is not None:
        wait_ready()
    try:
        result = run_pipeline(plan.specs, detector, plan.detector, plan.look, plan.out, plan.settings.duration, console)
    finally:
        close = getattr(detector, "close", None)  # worker processes: a sweep must not keep one set per run
        if close is not None:
            close()
    print_run_summary(result, plan.out)


def score_run(out: Path, scoring: Scoring, console: Console) -> tuple[dict[str, Any], list[str]]:
    """score.json and the report for one run's folder, printed; returns the score and the unmet requirements."""
    result, short = score_and_judge(out, scoring)
    print_score(result, out)
    md, page = write_report(out, result, console, late_after_s=scoring.late_after_s)
    console.print(t("cli.report_written", page=str(page), md=md.name, pictures=f"{out / 'report'}/"), soft_wrap=True)
    return result, short


def finish_sweep(out: Path, plans: list[Plan], scores: list[dict[str, Any]]) -> int:
    """sweep.csv, sweep.png and the table; returns the best combination's index."""
    csv_path, png, best = write_sweep(out, [p.combo for p in plans], scores)
    table = Table(title="lanewatch eval --sweep")
    names = list(plans[0].combo)
    for column in (*names, "precision", "recall", "F1", "FP", "FN", "alert p95 s"):
        table.add_column(column, justify="right")
    for i, (plan, s) in enumerate(zip(plans, scores, strict=True)):
        p95 = s["time_to_alert_s"]["p95"]
        cells = [str(plan.combo[n]) for n in names]
        cells += [f"{s['precision']:g}", f"{s['recall']:g}", f"{f1(s):g}", str(s["false_positives"])]
        cells += [str(s["false_negatives"]), "-" if p95 is None else f"{p95:g}"]
        table.add_row(*cells, style="bold" if i == best else None)
    console = stdout_console()
    console.print(table)
    chosen = ", ".join(f"{k}={v}" for k, v in plans[best].combo.items())
    console.print(t("cli.eval.best", combo=chosen, f1=f"{f1(scores[best]):g}", csv=str(csv_path), png=str(png)))
    return best
