"""One camera's state between detector and events: zones, tracker, dwell, recorder.

Stateless detectors serve many cameras; everything that remembers the past
(identities, stays, open violations) is per camera and lives here, so the
pipeline can batch frames from any cameras without mixing their histories.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from lanewatch.config import TrackerConfig
from lanewatch.detect.detections import Detections
from lanewatch.events.evidence import EvidenceWriter
from lanewatch.events.recorder import ViolationRecorder, ZoneDrawing
from lanewatch.events.violation import ViolationEvent
from lanewatch.track.dwell import DwellMonitor, ZoneTiming
from lanewatch.track.tracker import LowRateTracker
from lanewatch.video.frame import Frame
from lanewatch.zones.polygon_zone import PolygonZone, zones_for_frame
from lanewatch.zones.zone import Zone

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What one analysed frame produced, for progress, occupancy and live views."""

    frame: Frame
    detections: Detections
    inside: dict[str, Detections]
    events: list[ViolationEvent]


def _timings(zones: list[Zone]) -> dict[str, ZoneTiming]:
    return {z.id: ZoneTiming(z.dwell_seconds, z.exit_grace_seconds) for z in zones}


class CameraState:
    """Everything one camera remembers; `process` is called in stream order."""

    def __init__(self, camera: str, zones: list[Zone], tracker: TrackerConfig,
                 evidence: EvidenceWriter | None) -> None:
        self.camera = camera
        self._zones = list(zones)
        self._pixel_zones: list[PolygonZone] = []
        self._frame_size: tuple[int, int] | None = None
        self._pending_zones: list[Zone] | None = None
        self._lock = threading.Lock()
        self.tracker = LowRateTracker(tracker)
        self.dwell = DwellMonitor(_timings(self._zones))
        self.recorder = ViolationRecorder(camera, evidence)
        self.last_frame: Frame | None = None
        self.last_detections: Detections | None = None

    @property
    def zones(self) -> list[Zone]:
        with self._lock:
            return list(self._pending_zones if self._pending_zones is not None else self._zones)

    def resume(self, violations: list) -> None:
        """Violations active before a restart: continued by the same object, else ended (see recorder)."""
        window = max((z.exit_grace_seconds for z in self._zones), default=5.0) + 10.0
        self.recorder.resume(violations, window_s=window)

    def set_zones(self, zones: list[Zone]) -> None:
        """Replace the zones; applied before the next frame (thread-safe, no restart)."""
        with self._lock:
            self._pending_zones = list(zones)

    def _apply_zone_changes(self, frame: Frame) -> list[ViolationEvent]:
        with self._lock:
            pending, self._pending_zones = self._pending_zones, None
        events: list[ViolationEvent] = []
        if pending is not None:
            self._zones = pending
            transitions = self.dwell.set_zones(_timings(pending))
            events = self.recorder.handle(transitions, frame, self._drawings())
            self._frame_size = None
        if self._frame_size != (frame.width, frame.height):
            self._frame_size = (frame.width, frame.height)
            self._pixel_zones = zones_for_frame(self._zones, frame.width, frame.height)
        return events

    def _drawings(self) -> dict[str, ZoneDrawing]:
        return {p.zone.id: ZoneDrawing(p.zone.name, p.polygon) for p in self._pixel_zones}

    def process(self, frame: Frame, detections: Detections) -> FrameResult | None:
        """Track, test zones, advance dwell. A frame older than the last one (a glitchy file's
        timestamps) is skipped: dwell timers never run backwards. Returns None for a skipped frame."""
        if self.last_frame is not None and frame.offset_s < self.last_frame.offset_s:
            log.warning("camera %s: frame at %.3f s is older than the last one (%.3f s); skipped",
                        self.camera, frame.offset_s, self.last_frame.offset_s)
            return None
        events = self._apply_zone_changes(frame)
        tracked = self.tracker.update(detections, frame.offset_s)
        inside = {p.zone.id: tracked[p.contains(tracked)] for p in self._pixel_zones}
        transitions = self.dwell.update(frame.offset_s, inside)
        events += self.recorder.handle(transitions, frame, self._drawings())
        self.last_frame, self.last_detections = frame, tracked
        return FrameResult(frame, tracked, inside, events)

    def finish(self) -> list[ViolationEvent]:
        """The source ended: record the last known state of violations still active."""
        if self.last_frame is None:
            return []
        transitions = self.dwell.finish(self.last_frame.offset_s)
        events = self.recorder.handle(transitions, self.last_frame, self._drawings())
        return events + self.recorder.flush()
