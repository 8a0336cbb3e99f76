"""One camera's state between decoder and events: looks, zones, tracker, dwell, recorder.

Stateless detectors serve many cameras; everything that remembers the past
(the last inferred picture, identities, stays, open violations) is per
camera and lives here, so the pipeline can batch frames from any cameras
without mixing their histories.

Each sampled frame is a *look*. `look()` decides whether it needs the
detector at all (the change gate: no zone region changed since the last
inference → the previous detections are carried forward with the new
stream time) and which part of the frame the detector should see (the
bounding rectangle of the zones plus a margin, so a lane is seen at a higher
effective resolution for less compute). `process()` then maps the boxes
back to frame coordinates and runs tracking, zones and dwell.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from lanewatch.config import LookConfig, TrackerConfig
from lanewatch.detect.crop import CropRect, drop_edge_boxes, plan_crop
from lanewatch.detect.detections import Detections
from lanewatch.events.evidence import EvidenceWriter
from lanewatch.events.recorder import ViolationRecorder, ZoneDrawing
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.track.dwell import DwellMonitor, ZoneTiming
from lanewatch.track.tracker import LowRateTracker
from lanewatch.video.change_gate import ChangeGate
from lanewatch.video.frame import Frame
from lanewatch.zones.polygon_zone import PolygonZone, zones_for_frame
from lanewatch.zones.zone import Zone

log = logging.getLogger(__name__)

# Boxes cut by an inner crop border are dropped on the sides and bottom only: a tall vehicle
# near the camera may be cut at the top while its ground point is still in the lane.
_CUT_EDGES = ("left", "right", "bottom")


@dataclass(frozen=True, slots=True)
class Look:
    """A sampled frame on its way to the detector, or not."""

    frame: Frame
    infer: bool
    reason: str  # "first" | "changed" | "refresh" | "unchanged" | "always"
    crop: CropRect

    @property
    def image(self) -> np.ndarray:
        """What the detector sees: a view of the frame inside the crop."""
        return self.crop.apply(self.frame.image)


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What one analysed frame produced, for progress, occupancy and live views."""

    frame: Frame
    detections: Detections
    inside: dict[str, Detections]
    events: list[ViolationEvent]
    inferred: bool = True


def _timings(zones: list[Zone]) -> dict[str, ZoneTiming]:
    return {z.id: ZoneTiming(z.dwell_seconds, z.exit_grace_seconds, z.rule) for z in zones}


class CameraState:
    """Everything one camera remembers; `look` and `process` are called in stream order."""

    def __init__(
        self,
        camera: str,
        zones: list[Zone],
        tracker: TrackerConfig,
        evidence: EvidenceWriter | None,
        looks: LookConfig | None = None,
    ) -> None:
        self.camera = camera
        self.looks = looks or LookConfig(change_gate=False, crop_to_zones=False)
        self._zones = list(zones)
        self._pixel_zones: list[PolygonZone] = []
        self._frame_size: tuple[int, int] | None = None
        self._pending_zones: list[Zone] | None = None
        self._pending_events: list[ViolationEvent] = []
        self._lock = threading.Lock()
        self._gate: ChangeGate | None = None
        self._crop: CropRect | None = None
        self._carried = Detections.empty()
        self.tracker = LowRateTracker(tracker)
        self.dwell = DwellMonitor(_timings(self._zones))
        self.recorder = ViolationRecorder(camera, evidence)
        self.last_frame: Frame | None = None
        self.last_detections: Detections | None = None
        self.counts = {"looks": 0, "inferred": 0, "skipped": 0}

    @property
    def zones(self) -> list[Zone]:
        with self._lock:
            return list(self._pending_zones if self._pending_zones is not None else self._zones)

    def resume(self, violations: list[Violation]) -> None:
        """Violations active before a restart: continued by the same object, else ended (see recorder)."""
        window = max((z.exit_grace_seconds for z in self._zones), default=5.0) + 10.0
        self.recorder.resume(violations, window_s=window)

    def set_zones(self, zones: list[Zone]) -> None:
        """Replace the zones; applied before the next frame (thread-safe, no restart)."""
        with self._lock:
            self._pending_zones = list(zones)

    def _apply_zone_changes(self, frame: Frame) -> None:
        with self._lock:
            pending, self._pending_zones = self._pending_zones, None
        if pending is not None:
            self._zones = pending
            transitions = self.dwell.set_zones(_timings(pending))
            self._pending_events += self.recorder.handle(transitions, frame, self._drawings())
            self._frame_size = None
        if self._frame_size != (frame.width, frame.height):
            self._frame_size = (frame.width, frame.height)
            self._pixel_zones = zones_for_frame(self._zones, frame.width, frame.height)
            polygons = [p.polygon for p in self._pixel_zones]
            self._crop = (
                plan_crop(polygons, self._frame_size, margin=self.looks.crop_margin)
                if self.looks.crop_to_zones and polygons
                else CropRect.full(self._frame_size)
            )
            self._gate = (
                ChangeGate(polygons, self._frame_size, refresh_s=self.looks.refresh_s)
                if self.looks.change_gate and polygons
                else None
            )

    def _drawings(self) -> dict[str, ZoneDrawing]:
        return {p.zone.id: ZoneDrawing(p.zone.name, p.polygon) for p in self._pixel_zones}

    def look(self, frame: Frame) -> Look:
        """Decide whether this frame needs the detector, and on which part of it."""
        self._apply_zone_changes(frame)
        assert self._crop is not None
        self.counts["looks"] += 1
        if self._gate is None:
            return Look(frame, True, "always", self._crop)
        # The gate compares grey thumbnails, taken from the decoded luma plane: a look it skips
        # is never converted to BGR.
        decision = self._gate.decide(frame.grey_thumbnail(*self._gate.thumb_size), frame.offset_s)
        return Look(frame, decision.infer, decision.reason, self._crop)

    def process(self, look: Look, detections: Detections | None) -> FrameResult | None:
        """Track, test zones, advance dwell. ``detections`` are in crop coordinates (None for a skipped look).

        A frame older than the last one (a glitchy file's timestamps) is skipped, so dwell timers
        never run backwards: returns None.
        """
        frame = look.frame
        if self.last_frame is not None and frame.offset_s < self.last_frame.offset_s:
            log.warning(
                "camera %s: frame at %.3f s is older than the last one (%.3f s); skipped",
                self.camera,
                frame.offset_s,
                self.last_frame.offset_s,
            )
            return None
        if detections is not None:
            size = (frame.width, frame.height)
            found = look.crop.to_frame(detections)
            if not look.crop.is_full(size):
                found = drop_edge_boxes(found, look.crop, size, edges=_CUT_EDGES)
            if self._gate is not None:
                self._gate.mark_inferred(frame.grey_thumbnail(*self._gate.thumb_size), frame.offset_s)
            self._carried = found
            self.counts["inferred"] += 1
        else:
            found = self._carried  # nothing changed in the lanes: what was there is still there
            self.counts["skipped"] += 1
        tracked = self.tracker.update(found, frame.offset_s)
        inside = {p.zone.id: tracked[p.contains(tracked)] for p in self._pixel_zones}
        transitions = self.dwell.update(frame.offset_s, inside, frame_size=(frame.width, frame.height))
        events, self._pending_events = self._pending_events, []
        events += self.recorder.handle(transitions, frame, self._drawings())
        self.last_frame, self.last_detections = frame, tracked
        return FrameResult(frame, tracked, inside, events, inferred=detections is not None)

    def finish(self) -> list[ViolationEvent]:
        """The source ended: record the last known state of violations still active."""
        if self.last_frame is None:
            return []
        transitions = self.dwell.finish(self.last_frame.offset_s)
        events = self.recorder.handle(transitions, self.last_frame, self._drawings())
        return events + self.recorder.flush()
