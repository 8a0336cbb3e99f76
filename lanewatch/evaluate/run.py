"""The pipeline half of `lanewatch eval`: build the detector, run every camera, keep the outputs.

Split from the command line so the command only reads options and reports,
and so scoring (score.py) depends on the files written here, not on how the
pipeline makes violations.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from lanewatch.config import DetectorConfig, LookConfig

if TYPE_CHECKING:  # the pipeline loads only when a run starts, so that option errors come back at once
    from lanewatch.camera import FrameResult
    from lanewatch.detect.detector import Detector
    from lanewatch.events.report import ViolationsJson
    from lanewatch.pipeline import CameraSpec, PipelineStats
    from lanewatch.video.health import HealthEvent

LIVE = re.compile(r"^rtsps?://", re.I)


def expected_seconds(url: str) -> float | None:
    """Length of a recorded file in seconds, for the progress bar (None for live or unknown)."""
    if LIVE.match(url) or not Path(url).is_file():
        return None
    try:
        import av

        with av.open(url) as container:
            return container.duration / 1_000_000 if container.duration else None
    except Exception:
        return None


def detector_config(
    specs: list, weights: str | None, imgsz: int, confidence: float, classes: str | None
) -> DetectorConfig:
    """The detector's settings; classes default to every class any zone counts."""
    wanted = classes.split(",") if classes else sorted({c for s in specs for z in s.zones for c in z.classes})
    return DetectorConfig(
        weights=weights, imgsz=imgsz, confidence=confidence, classes=[c.strip() for c in wanted if c.strip()]
    )


def check_sources_exist(specs: list[CameraSpec]) -> None:
    """Recorded sources must exist before the slow detector load starts."""
    missing = [s.source.url for s in specs if not LIVE.match(s.source.url) and not Path(s.source.url).exists()]
    if missing:
        raise ValueError(f"source not found: {', '.join(missing)}")


@dataclass
class EvalResult:
    """What a finished run hands to the summary: pipeline stats, the violations sink, health events."""

    stats: PipelineStats
    report: ViolationsJson
    health: list[HealthEvent] = field(default_factory=list)


class _ProgressSinks:
    """One progress bar per camera, advanced in stream seconds by the frame and health sinks."""

    def __init__(self, progress: Progress, specs: list[CameraSpec], duration: float | None) -> None:
        self.progress = progress
        self.health: list[HealthEvent] = []
        self.tasks: dict[str, TaskID] = {
            s.source.camera: progress.add_task(
                s.source.camera, total=expected_seconds(s.source.url) if duration is None else duration, status=""
            )
            for s in specs
        }

    def on_frame(self, result: FrameResult) -> None:
        t = result.frame.offset_s
        self.progress.update(self.tasks[result.frame.camera], completed=t, status=f"{t:6.1f} s")

    def on_health(self, event: HealthEvent) -> None:
        self.health.append(event)
        self.progress.update(self.tasks[event.camera], status=f"{event.state.value}")


def run_pipeline(
    specs: list[CameraSpec],
    detector: Detector,
    detector_config: DetectorConfig,
    look_config: LookConfig,
    out: Path,
    duration: float | None,
    console: Console,
) -> EvalResult:
    """Run all cameras to the end (or Ctrl-C), writing violations.json, occupancy.csv, snapshots and the DB."""
    from lanewatch.events.evidence import EvidenceWriter
    from lanewatch.events.health_json import write_health_json
    from lanewatch.events.report import OccupancyCsv, ViolationsJson
    from lanewatch.pipeline import Pipeline
    from lanewatch.store.db import open_engine, sqlite_url
    from lanewatch.store.passage_store import PassageStore
    from lanewatch.store.violation_store import ViolationStore

    report = ViolationsJson(out / "violations.json", snapshot_prefix="snapshots/")
    occupancy = OccupancyCsv(out / "occupancy.csv")
    engine = open_engine(sqlite_url(out / "lanewatch.db"))
    store = ViolationStore(engine)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        sinks = _ProgressSinks(progress, specs, duration)
        try:
            pipeline = Pipeline(
                specs,
                detector,
                detector_config=detector_config,
                look_config=look_config,
                evidence=EvidenceWriter(out / "snapshots"),
                event_sinks=[store, report],
                frame_sinks=[occupancy, sinks.on_frame],
                health_sinks=[sinks.on_health],
                passage_sinks=[PassageStore(engine)],  # lane passages, in the DB (table lane_passages)
            )
            previous = signal.signal(signal.SIGINT, lambda *_: pipeline.stop())
            try:
                stats = pipeline.run()
            finally:
                signal.signal(signal.SIGINT, previous)
        finally:
            occupancy.close()
    write_health_json(out / "health.json", sinks.health)
    return EvalResult(stats, report, sinks.health)
