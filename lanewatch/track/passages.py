"""`PassageCounter`: vehicles that drove through a lane zone, and how long they took.

Issue 20: a fire lane that is a through road is worth knowing about. A
*passage* is one track's visit to one zone that ended without a violation:
it was first seen inside at ``entered_at``, last seen inside at ``left_at``,
and then either seen outside the zone or not seen at all for more than the
zone's exit grace (``lost``: the tracker forgot it inside, e.g. the car drove
out of the picture from within the lane). Times are stream time.

Built only from the per-look output of the tracker and the dwell monitor
(a camera's `FrameResult`: tracked boxes with ids, the boxes inside each
zone, and, from its violation events, the `ViolatingBox`es, converted by
`lanewatch.passage_tap` since events are downstream of tracking), so it never
reaches into their state:

- a visit is keyed by (zone, tracker id) and ends like a stay does, after
  the zone's exit grace, so a box flickering across the zone's edge is one
  passage, not several;
- a visit whose box a violation event of its zone points at (the event's box
  is its last sighting's: this look's for "new", the visit's last for "end")
  became a violation: never a passage;
- a visit whose last box still stands on its first (`standing.stands`, the
  dwell monitor's own test) went nowhere: a parked car at the zone's edge
  flickering in and out of it, or a detector's one-look ghost. Not a passage
  (so a car seen at one look only is not counted either);
- an ended visit is held back for the zone's dwell plus grace (and the dwell
  monitor's standing time) before it is reported, because a parked car whose
  tracker id switched leaves an ended visit under the old id that the
  violation, when it comes, names by its box and its stop time: such a
  visit is dropped too.

At the end of a source, visits not seen at its last look end (the car was
leaving or gone); those seen at it are still in the lane: no passages.
Resolution is the look interval: times are first to last sighting inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from lanewatch.detect.detections import Detections
from lanewatch.track.dwell import STANDING_S, SWITCH_IOU, TIME_TOLERANCE_S
from lanewatch.track.standing import stands
from lanewatch.track.tracker import box_iou
from lanewatch.zones.zone import Zone

Box = tuple[float, float, float, float]

# IoU with a violation's box that marks a visit as that violation's object: the box of the same
# look's sighting gives 1.0; the dwell monitor's own id-switch threshold for a visit under an older id.
SAME_BOX_IOU = 0.9


@dataclass(frozen=True, slots=True)
class ViolatingBox:
    """A violation's event at a look: its zone, its last sighting's box (pixels), when its stop began."""

    zone: str
    box: Box
    start_s: float


@dataclass(frozen=True, slots=True)
class Passage:
    """One vehicle through one zone of one camera, without a violation."""

    camera: str
    zone: str
    label: str
    track_id: int
    entered_at: datetime
    left_at: datetime
    entered_s: float
    left_s: float
    lost: bool

    @property
    def seconds(self) -> float:
        """Time in the zone: first to last sighting inside (0 for a car seen at one look)."""
        return self.left_s - self.entered_s


@dataclass(frozen=True, slots=True)
class _Visit:
    zone: str
    track_id: int
    label: str
    entered_at: datetime
    entered_s: float
    last_at: datetime
    last_s: float
    box: Box
    first_box: Box
    seen_outside: bool = False  # seen somewhere outside the zone since its last sighting inside
    violated: bool = False
    ended_s: float | None = None  # the look at which its grace ran out (then held back)


@dataclass(frozen=True, slots=True)
class _Timing:
    grace_s: float
    hold_s: float


class PassageCounter:
    """Passages of one camera; `update` once per analysed look in stream order, `finish` at the end."""

    def __init__(self, camera: str, zones: list[Zone]) -> None:
        self.camera = camera
        self._zones: dict[str, _Timing] = {}
        self._open: dict[tuple[str, int], _Visit] = {}
        self._held: list[_Visit] = []
        self._now_s: float | None = None  # the last look's stream time
        self.set_zones(zones)

    def set_zones(self, zones: list[Zone]) -> None:
        """New zones: visits of removed zones are dropped (they cannot be judged any more)."""
        self._zones = {
            z.id: _Timing(z.exit_grace_seconds, z.dwell_seconds + z.exit_grace_seconds + STANDING_S) for z in zones
        }
        self._open = {k: v for k, v in self._open.items() if k[0] in self._zones}
        self._held = [v for v in self._held if v.zone in self._zones]

    def update(
        self,
        now_s: float,
        now_at: datetime,
        tracked: Detections,
        inside_zones: dict[str, Detections],
        violating: Sequence[ViolatingBox] = (),
    ) -> list[Passage]:
        """Advance by one look (stream offset and time, every tracked box, those inside each zone, the
        violations sighted); returns the passages whose hold ended at it."""
        self._now_s = now_s
        everywhere = {int(t) for t in tracked.tracker_id if t != -1}
        for zone_id, inside in inside_zones.items():
            if zone_id not in self._zones:
                continue
            for d, tid in enumerate(int(t) for t in inside.tracker_id):
                if tid == -1:
                    continue
                visit = self._open.get((zone_id, tid))
                box = _box(inside.xyxy[d])
                if visit is None:
                    label = str(inside.class_name[d])
                    visit = _Visit(zone_id, tid, label, now_at, now_s, now_at, now_s, box, box)
                else:
                    visit = replace(visit, last_at=now_at, last_s=now_s, box=box, seen_outside=False)
                self._open[(zone_id, tid)] = visit
        for key, visit in self._open.items():
            if visit.last_s < now_s and visit.track_id in everywhere:
                self._open[key] = replace(visit, seen_outside=True)
        for violation in violating:
            self._mark_violated(violation)
        self._expire(now_s)
        return self._release(now_s)

    def finish(self, violating: Sequence[ViolatingBox] = ()) -> list[Passage]:
        """The source ended (`violating`: from the camera's last events): held visits are judged now;
        visits still inside never left, so are no passages."""
        for violation in violating:
            self._mark_violated(violation)
        for visit in self._open.values():
            if self._now_s is not None and visit.last_s < self._now_s - TIME_TOLERANCE_S and self._went(visit):
                self._held.append(visit)
        self._open = {}
        self._now_s = None
        done = [_passage(self.camera, v) for v in self._held if not v.violated]
        self._held = []
        return done

    def _mark_violated(self, violation: ViolatingBox) -> None:
        """The visit the violation's box is (this look's sighting), and held visits of the same stay."""

        def claims(visit: _Visit, iou: float) -> bool:
            return (
                visit.zone == violation.zone
                and visit.last_s >= violation.start_s - TIME_TOLERANCE_S
                and _iou(visit.box, violation.box) >= iou
            )

        for key, visit in self._open.items():
            if claims(visit, SAME_BOX_IOU):
                self._open[key] = replace(visit, violated=True)
        self._held = [replace(v, violated=True) if claims(v, SWITCH_IOU) else v for v in self._held]

    def _expire(self, now_s: float) -> None:
        for key, visit in list(self._open.items()):
            if now_s - visit.last_s > self._zones[visit.zone].grace_s + TIME_TOLERANCE_S:
                del self._open[key]
                if self._went(visit):
                    self._held.append(replace(visit, ended_s=now_s))

    @staticmethod
    def _went(visit: _Visit) -> bool:
        """Not a violation, and moved on from where it was first seen in the zone."""
        return not visit.violated and not stands(visit.first_box, visit.box)

    def _release(self, now_s: float) -> list[Passage]:
        done, kept = [], []
        for visit in self._held:
            if visit.violated:
                continue
            if now_s - visit.last_s >= self._zones[visit.zone].hold_s - TIME_TOLERANCE_S:
                done.append(_passage(self.camera, visit))
            else:
                kept.append(visit)
        self._held = kept
        return done


def _passage(camera: str, visit: _Visit) -> Passage:
    return Passage(
        camera,
        visit.zone,
        visit.label,
        visit.track_id,
        visit.entered_at,
        visit.last_at,
        visit.entered_s,
        visit.last_s,
        lost=not visit.seen_outside,
    )


def _box(values: np.ndarray) -> Box:
    x1, y1, x2, y2 = (float(v) for v in values)
    return (x1, y1, x2, y2)


def _iou(a: Box, b: Box) -> float:
    return float(box_iou([a], [b])[0, 0])
