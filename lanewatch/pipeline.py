"""Wire N sources through one batched detector into per-camera state and sinks.

Threads: one reader per source (decode is I/O- and FFmpeg-bound and releases
the GIL) feeding bounded per-camera buffers; one loop that takes the oldest
frames across cameras, runs the detector on them as a batch and hands each
result to its camera. Sinks (store, reports, live streams) receive the
violation events and health changes in order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lanewatch.camera import CameraState, FrameResult
from lanewatch.config import DetectorConfig, SourceConfig, TrackerConfig
from lanewatch.detect.detector import Detector
from lanewatch.events.evidence import EvidenceWriter
from lanewatch.events.violation import ViolationEvent
from lanewatch.video.frame_buffer import FrameBuffers
from lanewatch.video.health import HealthEvent
from lanewatch.video.open_source import open_source
from lanewatch.video.source import Source, redact_url
from lanewatch.zones.zone import Zone

log = logging.getLogger(__name__)

EventSink = Callable[[ViolationEvent], None]
HealthSink = Callable[[HealthEvent], None]
FrameSink = Callable[[FrameResult], None]


@dataclass(slots=True)
class CameraSpec:
    """A camera to run: where its frames come from and its lane zones."""

    source: SourceConfig
    zones: list[Zone]


@dataclass(slots=True)
class PipelineStats:
    """Counters for summaries and metrics."""

    frames: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    inferences: int = 0
    detector_errors: int = 0
    detector_seconds: float = 0.0
    wall_seconds: float = 0.0
    violations: int = 0


class Pipeline:
    """Runs until every source has ended (files) or `stop()` is called (live)."""

    def __init__(self, cameras: list[CameraSpec], detector: Detector, *,
                 detector_config: DetectorConfig | None = None,
                 tracker_config: TrackerConfig | None = None,
                 evidence: EvidenceWriter | None = None,
                 event_sinks: list[EventSink] = (), health_sinks: list[HealthSink] = (),
                 frame_sinks: list[FrameSink] = (), buffer_frames: int = 8) -> None:
        ids = [c.source.camera for c in cameras]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"camera ids must be unique; repeated: {', '.join(duplicates)}")
        self.detector = detector
        self.batch_size = (detector_config or DetectorConfig()).batch_size
        tracker_config = tracker_config or TrackerConfig()
        self.sources: dict[str, Source] = {c.source.camera: open_source(c.source) for c in cameras}
        self.cameras = {c.source.camera: CameraState(c.source.camera, c.zones, tracker_config, evidence)
                        for c in cameras}
        self.event_sinks, self.health_sinks, self.frame_sinks = list(event_sinks), list(health_sinks), list(frame_sinks)
        self.buffers = FrameBuffers(buffer_frames)
        self.stats = PipelineStats(frames={c: 0 for c in ids}, dropped={c: 0 for c in ids})
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def stop(self) -> None:
        """Ask every source and the loop to end soon (safe from any thread or a signal handler)."""
        self._stop.set()
        for source in self.sources.values():
            source.stop()

    def _read(self, camera: str, source: Source) -> None:
        try:
            for frame in source.frames():
                if not self.buffers.put(frame, drop_oldest=source.live, stop=self._stop):
                    break
        except Exception:  # a source bug must not take the other cameras down
            log.exception("source %s failed", camera)
        finally:
            self.buffers.close(camera)

    def run(self) -> PipelineStats:
        started = time.monotonic()
        for camera, source in self.sources.items():
            self.buffers.add_camera(camera)
            thread = threading.Thread(target=self._read, args=(camera, source), name=f"source-{camera}", daemon=True)
            thread.start()
            self._threads.append(thread)
        try:
            while self.buffers.active():
                self._forward_health()
                batch = self.buffers.take(self.batch_size, timeout=0.5)
                if batch:
                    self._process(batch)
                for camera in self.buffers.finished():
                    self._emit(self.cameras[camera].finish())
                if self._stop.is_set() and not batch:
                    break
        finally:
            self.stop()
            for thread in self._threads:
                thread.join(timeout=10)
            self._forward_health()
            self.stats.wall_seconds = time.monotonic() - started
            for camera in self.cameras:
                self.stats.dropped[camera] = self.buffers.dropped(camera)
        return self.stats

    def _process(self, batch: list) -> None:
        t0 = time.monotonic()
        try:
            detections = self.detector.detect([f.image for f in batch])
        except Exception:
            log.exception("detector failed on a batch of %d frames; frames skipped", len(batch))
            self.stats.detector_errors += len(batch)
            return
        self.stats.detector_seconds += time.monotonic() - t0
        self.stats.inferences += len(batch)
        for frame, found in zip(batch, detections):
            result = self.cameras[frame.camera].process(frame, found)
            self.stats.frames[frame.camera] += 1
            for sink in self.frame_sinks:
                sink(result)
            self._emit(result.events)

    def _emit(self, events: list[ViolationEvent]) -> None:
        for event in events:
            if event.kind == "new":
                self.stats.violations += 1
            for sink in self.event_sinks:
                sink(event)

    def _forward_health(self) -> None:
        for source in self.sources.values():
            for event in source.health.drain_events():
                log.info("camera %s is %s: %s", event.camera, event.state.value, redact_url(event.detail))
                for sink in self.health_sinks:
                    sink(event)
