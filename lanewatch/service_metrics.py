"""Prometheus exposition of the pipeline's counters, rendered on request.

Rendering from the pipeline's own counters (rather than mirroring them into
prometheus_client metrics on the hot path) keeps the per-frame work free of
metric bookkeeping.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from lanewatch.pipeline import Pipeline


class _PipelineCollector:
    def __init__(self, pipeline: Pipeline, states: dict[str, str]) -> None:
        self.pipeline, self.states = pipeline, states

    def collect(self) -> Iterator[Metric]:
        health = self.pipeline.health()  # also brings the dropped counts up to date
        stats = self.pipeline.stats
        frames = CounterMetricFamily(
            "lanewatch_looks", "Sampled frames analysed (inferred or carried forward)", labels=["camera"]
        )
        skipped = CounterMetricFamily(
            "lanewatch_looks_skipped_unchanged",
            "Looks that needed no inference: their lanes had not changed",
            labels=["camera"],
        )
        dropped = CounterMetricFamily(
            "lanewatch_looks_dropped",
            "Looks dropped, oldest first, because the detector was behind or its worker crashed",
            labels=["camera"],
        )
        for camera, count in stats.frames.items():
            frames.add_metric([camera], count)
            skipped.add_metric([camera], stats.skipped.get(camera, 0))
            dropped.add_metric([camera], stats.dropped.get(camera, 0))
        yield frames
        yield skipped
        yield dropped
        yield CounterMetricFamily("lanewatch_inferences", "Frames run through the detector", value=stats.inferences)
        yield CounterMetricFamily(
            "lanewatch_detector_errors", "Frames lost to detector errors", value=stats.detector_errors
        )
        yield CounterMetricFamily(
            "lanewatch_detector_seconds", "Time spent in the detector", value=stats.detector_seconds
        )
        yield CounterMetricFamily(
            "lanewatch_detector_restarts", "Detector worker processes lost and restarted", value=stats.detector_restarts
        )
        yield CounterMetricFamily("lanewatch_violations", "Violations opened", value=stats.violations)
        yield GaugeMetricFamily("lanewatch_queue_depth", "Looks waiting for the detector", value=health.backlog)
        yield GaugeMetricFamily(
            "lanewatch_oldest_look_wait_seconds",
            "How long the oldest look of a live camera has waited for the detector",
            value=health.oldest_wait_s,
        )
        yield GaugeMetricFamily(
            "lanewatch_pipeline_behind",
            "1 while the detector is behind (looks dropped in the last behind_hold_s, or waiting "
            "longer than behind_after_s)",
            value=1.0 if health.state == "behind" else 0.0,
        )
        up = GaugeMetricFamily(
            "lanewatch_camera_online", "1 when the camera delivers frames", labels=["camera", "state"]
        )
        for camera, state in self.states.items():
            up.add_metric([camera, state], 1.0 if state == "online" else 0.0)
        yield up


def metrics_text(pipeline: Pipeline, states: dict[str, str]) -> str:
    registry = CollectorRegistry()
    registry.register(_PipelineCollector(pipeline, states))
    return generate_latest(registry).decode()
