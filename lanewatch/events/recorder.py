"""Turn one camera's dwell transitions into violation lifecycle events with evidence.

The dwell machine speaks stream seconds; records also need wall times and
frame fractions, and the "new" event needs its evidence JPEGs written
before anyone is told. Updates are throttled (confidence or at most every
``update_interval_s``) so a long stop does not flood sinks once a second.

After a restart (even ``kill -9``) the violations that were active are
handed back through `resume`: the first stay seen at the same place in the
same zone continues that violation (no duplicate); one that nobody matches
within the resume window is ended at its last recorded sighting (none lost).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from lanewatch.events.evidence import EvidenceWriter, annotate
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.track.dwell import DwellTransition, Stay
from lanewatch.track.tracker import box_iou
from lanewatch.video.frame import Frame


@dataclass(frozen=True, slots=True)
class ZoneDrawing:
    """What the recorder needs to know of a zone: its name and pixel polygon."""

    name: str
    polygon_px: np.ndarray


def _wall(frame: Frame, offset_s: float) -> datetime:
    """Wall time of a stream offset, anchored at the current frame's own timestamp."""
    return frame.timestamp - timedelta(seconds=frame.offset_s - offset_s)


def _offset(frame: Frame, when: datetime) -> float:
    """The stream offset of a wall time, in the current source session's clock."""
    return frame.offset_s - (frame.timestamp - when).total_seconds()


RESUME_IOU = 0.3


class ViolationRecorder:
    """Per-camera: dwell transitions in, `ViolationEvent`s out."""

    def __init__(
        self,
        camera: str,
        evidence: EvidenceWriter | None,
        *,
        update_interval_s: float = 10.0,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.camera = camera
        self.evidence = evidence
        self.update_interval_s = update_interval_s
        self._new_id = new_id
        self._active: dict[int, Violation] = {}  # stay_id → current record
        self._emitted: dict[int, Violation] = {}  # stay_id → record last sent
        self._resumable: dict[str, Violation] = {}  # violation id → record from before a restart
        self._resume_window_s = 0.0
        self._resume_deadline_s: float | None = None

    def resume(self, violations: list[Violation], window_s: float = 15.0) -> None:
        """Violations active before a restart, to continue (or end) from the next frames."""
        self._resumable = {v.id: v for v in violations if v.active}
        self._resume_window_s = window_s
        self._resume_deadline_s = None

    @property
    def active(self) -> list[Violation]:
        return list(self._active.values())

    def handle(
        self, transitions: list[DwellTransition], frame: Frame, zones: dict[str, ZoneDrawing]
    ) -> list[ViolationEvent]:
        events: list[ViolationEvent] = []
        if self._resumable and self._resume_deadline_s is None:
            self._resume_deadline_s = frame.offset_s + self._resume_window_s
        for t in transitions:
            stay = t.stay
            if self._resumable and t.kind in ("entered", "violation") and stay.stay_id not in self._active:
                resumed = self._match_resumable(stay, frame)
                if resumed is not None:
                    events.append(resumed)
                    continue
            if t.kind == "violation" and stay.stay_id not in self._active:
                events.append(self._open(stay, frame, zones.get(stay.zone_id)))
            elif t.kind == "update" and stay.stay_id in self._active:
                event = self._update(stay, frame)
                if event is not None:
                    events.append(event)
            elif t.kind == "ended" and stay.stay_id in self._active:
                events.append(self._close(stay, frame))
        if self._resumable and frame.offset_s > (self._resume_deadline_s or 0.0):
            events += self._end_unmatched(frame)
        return events

    def _rebased(self, v: Violation, frame: Frame) -> Violation:
        """The record with its stream offsets moved onto this session's clock (wall times unchanged)."""
        last_seen_at = v.violation_at + timedelta(seconds=v.last_seen_s - v.violation_s)
        return replace(
            v,
            start_s=_offset(frame, v.started_at),
            violation_s=_offset(frame, v.violation_at),
            last_seen_s=_offset(frame, last_seen_at),
        )

    def _match_resumable(self, stay: Stay, frame: Frame) -> ViolationEvent | None:
        box = self._fractions(stay.box, frame)
        candidates = [v for v in self._resumable.values() if v.zone == stay.zone_id]
        if not candidates:
            return None
        overlap = box_iou([v.box for v in candidates], [box])[:, 0]
        if overlap.max() < RESUME_IOU:
            return None
        best = candidates[int(overlap.argmax())]
        del self._resumable[best.id]
        after = replace(self._rebased(best, frame), last_seen_s=stay.last_seen_s)
        self._active[stay.stay_id] = after
        self._emitted[stay.stay_id] = after
        return ViolationEvent("update", best, after)

    def _end_unmatched(self, frame: Frame) -> list[ViolationEvent]:
        """Nobody is at the place of a resumed violation: it ended at its last recorded sighting."""
        events = []
        for v in self._resumable.values():
            rebased = self._rebased(v, frame)
            after = replace(rebased, end_s=rebased.last_seen_s, ended_at=_wall(frame, rebased.last_seen_s))
            events.append(ViolationEvent("end", v, after))
        self._resumable.clear()
        return events

    def flush(self) -> list[ViolationEvent]:
        """Send the latest state of every active violation not yet sent (end of a source)."""
        events = []
        for stay_id, current in self._active.items():
            if self._emitted.get(stay_id) != current:
                events.append(ViolationEvent("update", self._emitted.get(stay_id), current))
                self._emitted[stay_id] = current
        return events

    def _fractions(self, box: tuple[float, float, float, float], frame: Frame) -> tuple[float, float, float, float]:
        w, h = float(frame.width), float(frame.height)
        x1, y1, x2, y2 = box
        return (
            round(max(0.0, x1 / w), 5),
            round(max(0.0, y1 / h), 5),
            round(min(1.0, x2 / w), 5),
            round(min(1.0, y2 / h), 5),
        )

    def _open(self, stay: Stay, frame: Frame, zone: ZoneDrawing | None) -> ViolationEvent:
        violation_s = stay.violation_s if stay.violation_s is not None else stay.last_seen_s
        record = Violation(
            id=self._new_id(),
            camera=self.camera,
            zone=stay.zone_id,
            zone_name=zone.name if zone else stay.zone_id,
            label=stay.label,
            start_s=stay.stop_s,
            violation_s=violation_s,
            last_seen_s=stay.last_seen_s,
            end_s=None,
            started_at=_wall(frame, stay.stop_s),
            violation_at=_wall(frame, violation_s),
            ended_at=None,
            confidence=float(stay.best_confidence),
            box=self._fractions(stay.box, frame),
        )
        if self.evidence is not None:
            polygon = zone.polygon_px if zone else np.zeros((0, 2))
            annotated = annotate(
                frame.image,
                polygon,
                stay.box,
                label=stay.label,
                zone_name=record.zone_name,
                dwell_s=stay.stopped_s,
                timestamp=frame.timestamp,
            )
            snapshot, clean = self.evidence.save(record.id, self.camera, frame.image, annotated, frame.timestamp)
            record = replace(record, snapshot=snapshot, snapshot_clean=clean)
        self._active[stay.stay_id] = record
        self._emitted[stay.stay_id] = record
        return ViolationEvent("new", None, record)

    def _update(self, stay: Stay, frame: Frame) -> ViolationEvent | None:
        before = self._active[stay.stay_id]
        after = replace(
            before,
            last_seen_s=stay.last_seen_s,
            label=stay.label,
            confidence=max(before.confidence, float(stay.best_confidence)),
        )
        if stay.best_confidence > before.confidence:
            after = replace(after, box=self._fractions(stay.box, frame))
        self._active[stay.stay_id] = after
        sent = self._emitted[stay.stay_id]
        if after.confidence > sent.confidence + 0.05 or after.last_seen_s - sent.last_seen_s >= self.update_interval_s:
            self._emitted[stay.stay_id] = after
            return ViolationEvent("update", sent, after)
        return None

    def _close(self, stay: Stay, frame: Frame) -> ViolationEvent:
        before = self._emitted.pop(stay.stay_id)
        current = self._active.pop(stay.stay_id)
        end_s = stay.ended_s if stay.ended_s is not None else stay.last_seen_s
        after = replace(
            current,
            last_seen_s=stay.last_seen_s,
            end_s=end_s,
            ended_at=_wall(frame, end_s),
            confidence=max(current.confidence, float(stay.best_confidence)),
        )
        return ViolationEvent("end", before, after)
