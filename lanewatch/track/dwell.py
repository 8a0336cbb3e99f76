"""`DwellMonitor`: turns tracked boxes inside zones into stays and violations.

One monitor per camera. A *stay* is one object's time inside one zone,
measured in seconds of stream time, never in frames:

    entered ──► dwelling ──► violating ──► ended
       │            │                        ▲
       └────────────┴────────────────────────┘  (pass-through: ended, never violated)

- `entered`: first sighting in the zone (`entered_s`).
- `dwelling`: seen again, for less than the zone's `dwell_seconds`.
- `violating`: seen at a time ≥ `stop_s + dwell_seconds` (`violation_s`
  is that sighting's time). A violation needs a sighting, so it always has
  a box and a frame to show as evidence.
- `ended`: absent from the zone for *more than* `exit_grace_seconds`. The
  rule is exclusive: an object seen again exactly `exit_grace_seconds`
  after its last sighting continues its stay; the end is decided at the
  first analysed frame past the grace, and `ended_s` is the last sighting.
  (All three comparisons allow `TIME_TOLERANCE_S` of timestamp jitter.)

What the dwell clock counts depends on the zone's rule:

- `stopped` (the default): only time standing still. `stop_s` is when the
  current stop began: the first sighting of the box the later ones still
  stand on (`standing.stands`: edges moved less than `STAND_TOLERANCE` of
  the box's own size). A sighting beyond the tolerance ends the stop and
  starts a new one there, at that sighting; so crawling traffic and a queue
  that moves at least every dwell never alert, a car that creeps less than
  the tolerance keeps its stop, and while the object is unseen (hidden,
  missed) its stop goes on: it is judged again when it is seen. The alert
  needs a sighting that shows the stop, not a box shrunk well inside it nor
  one drifting along a line (see `_due`); edges on the border are not judged.
- `present`: any presence counts; `stop_s` is `entered_s`.

Once violating, `stop_s` is frozen: the violation says when its stop began.

The point of the machine is EXACTLY ONE violation per real stop, whatever
the detector and the tracker do meanwhile:

- detector flicker shorter than the grace keeps the stay;
- a tracker id switch keeps the stay: an open stay whose id vanished from
  the frame (seen in no zone) is taken over by a box with an id new to the
  zone that overlaps the stay's last box with IoU ≥ `SWITCH_IOU` and is
  *standing*: seen there again at least `STANDING_S` later, its box still
  standing on its first one (`stands`, the same test as a stop's). Until then the newcomer is only a
  candidate, because a car driving past a parked car also shows up, with
  its own id, over the parked car's stay exactly while it hides the parked
  car; a moment later it has moved on, gets a stay of its own (entered at
  its first sighting) and the parked car keeps its stay. A candidate that
  is not seen again is never reported;
- two cars side by side are two stays (their boxes overlap far less);
- one object in two overlapping zones has one stay per zone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from lanewatch.detect.detections import Detections
from lanewatch.track.standing import HIDDEN_TOLERANCE, Frame, drifting, stands
from lanewatch.track.stays import (
    TIME_TOLERANCE_S,
    DwellRule,
    DwellTransition,
    Stay,
    StayState,
    TransitionKind,
    ZoneTiming,
)
from lanewatch.track.tracker import box_iou, same_object_class

__all__ = [
    "STANDING_S",
    "SWITCH_IOU",
    "TIME_TOLERANCE_S",
    "DwellMonitor",
    "DwellRule",
    "DwellTransition",
    "Stay",
    "StayState",
    "TransitionKind",
    "ZoneTiming",
]

# IoU with an absent stay's last box that lets a new id take the stay over...
SWITCH_IOU = 0.3
# ... once it is seen again, at least STANDING_S of stream time after its
# first sighting, standing on its first box (`stands`). Measured over stream
# time, not looks, so it means the same at 0.5 and at 2 fps: a car has to
# creep slower than about 0.07 of its diagonal per second to pass for standing.
STANDING_S = 2.0
STOP_TRACK = 32  # the last sightings of a stop kept for `drifting`


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A new id first seen over an absent stay: maybe the same object, maybe a passer."""

    stay_id: int
    first_s: float
    last_s: float
    confidence: float  # the best so far
    box: tuple[float, float, float, float]  # at first_s


class DwellMonitor:
    """Stays of one camera's tracked objects in its zones; one verb: `update`."""

    def __init__(self, zones: dict[str, ZoneTiming]) -> None:
        self._zones = dict(zones)
        self._open: list[Stay] = []
        self._candidates: dict[tuple[str, int], _Candidate] = {}  # (zone, new id) -> candidate
        self._next_stay_id = 1
        self._last_offset_s: float | None = None
        self._frame: Frame | None = None  # picture size, for boxes cut by its border

    @property
    def open_stays(self) -> list[Stay]:
        """Stays not yet ended, oldest first."""
        return list(self._open)

    def update(
        self, offset_s: float, inside: dict[str, Detections], frame_size: Frame | None = None
    ) -> list[DwellTransition]:
        """Advance the clock to `offset_s` given the tracked boxes inside each zone.

        `inside[zone_id]` holds the boxes whose anchor lies in that zone at
        this analysed frame; a zone missing from the dict had nobody in it.
        Boxes without an identity (`tracker_id` -1) are ignored. `frame_size`
        (width, height) lets standing ignore box edges cut by the picture's
        border (`standing.BORDER_PX`); without it every edge counts.

        Raises:
            KeyError: for a zone this monitor does not know (see `set_zones`).
            ValueError: if `offset_s` goes back in stream time.
        """
        unknown = set(inside) - set(self._zones)
        if unknown:
            raise KeyError(f"unknown zone(s) {sorted(unknown)}; call set_zones first")
        previous_look_s = self._last_offset_s
        self._advance(offset_s)
        self._frame = frame_size
        out = self._expire(offset_s, spare_seen_since=previous_look_s)
        seen_ids = {int(i) for d in inside.values() for i in d.tracker_id if i != -1}
        for zone_id, detections in inside.items():
            out += self._sighted(zone_id, offset_s, detections[detections.tracker_id != -1], seen_ids)
        if previous_look_s is not None:
            out += self._expire(offset_s)  # the spared stays this look did not see either
        return out

    def finish(self, offset_s: float) -> list[DwellTransition]:
        """Close the books at the end of a source.

        Stays absent for more than their grace end as usual. Every stay still
        open is reported as it is, as an "update": a violation still in
        progress stays active (`ended_s` None, no "ended"). The monitor then
        forgets them, so it can serve the next source from a fresh clock.
        """
        self._advance(offset_s)
        out = self._expire(offset_s) + [DwellTransition("update", stay) for stay in self._open]
        self._open = []
        self._candidates = {}
        self._last_offset_s = None
        return out

    def set_zones(self, zones: dict[str, ZoneTiming]) -> list[DwellTransition]:
        """Replace the zones at run time; the stays of removed zones end.

        Changed timings apply to open stays from the next `update` on.
        """
        self._zones = dict(zones)
        gone = [s for s in self._open if s.zone_id not in self._zones]
        self._open = [s for s in self._open if s.zone_id in self._zones]
        self._candidates = {k: c for k, c in self._candidates.items() if k[0] in self._zones}
        return [DwellTransition("ended", _ended(s)) for s in gone]

    def _advance(self, offset_s: float) -> None:
        if self._last_offset_s is not None and offset_s < self._last_offset_s:
            raise ValueError(f"stream time went back from {self._last_offset_s} s to {offset_s} s")
        self._last_offset_s = offset_s

    def _expire(self, offset_s: float, spare_seen_since: float | None = None) -> list[DwellTransition]:
        """End the stays absent for more than their zone's exit grace; forget stale candidates.

        Absence is judged by looks, not by the clock alone: a stay seen at or
        after `spare_seen_since` (the previous analysed frame) has not yet been
        missed by any look, so it is spared here and judged once this frame's
        boxes are in. When looks are further apart than the grace (snapshots
        minutes apart, a stream back after an outage) a car still standing
        there keeps its stay instead of ending and starting again.

        A stay with a candidate counts as seen at the candidate's latest
        sighting, so that a tracker id switch just before the grace runs out
        still continues the stay; its `ended_s` stays its own last sighting.
        """

        def over(seen_s: float, zone_id: str) -> bool:
            return offset_s - seen_s > self._zones[zone_id].exit_grace_seconds + TIME_TOLERANCE_S

        self._candidates = {k: c for k, c in self._candidates.items() if not over(c.last_s, k[0])}
        pending: dict[int, float] = {}
        for c in self._candidates.values():
            pending[c.stay_id] = max(c.last_s, pending.get(c.stay_id, -math.inf))
        spared = math.inf if spare_seen_since is None else spare_seen_since - TIME_TOLERANCE_S
        gone = {
            s.stay_id
            for s in self._open
            if over(seen_s := max(s.last_seen_s, pending.get(s.stay_id, -math.inf)), s.zone_id) and seen_s < spared
        }
        out = [DwellTransition("ended", _ended(s)) for s in self._open if s.stay_id in gone]
        self._open = [s for s in self._open if s.stay_id not in gone]
        return out

    def _sighted(
        self, zone_id: str, offset_s: float, detections: Detections, seen_ids: set[int]
    ) -> list[DwellTransition]:
        """Match one zone's boxes to its open stays: by id, then by id switch, else new."""
        tids = detections.tracker_id.tolist()
        stays = {s.tracker_id: i for i, s in enumerate(self._open) if s.zone_id == zone_id}
        matches: dict[int, int] = {}  # box index -> index in self._open
        for d, tid in enumerate(tids):
            if tid in stays and stays[tid] not in matches.values():
                matches[d] = stays[tid]
        # Id switch: stays whose id vanished from the frame, boxes with ids new to the zone.
        orphans = {
            self._open[i].stay_id: i for i in stays.values() if self._open[i].tracker_id not in seen_ids
        }  # stay id -> index
        newcomers = [d for d, tid in enumerate(tids) if tid not in stays]
        first_seen, waiting = self._resolve(zone_id, offset_s, detections, newcomers, orphans, matches)
        waiting |= self._propose(
            zone_id,
            offset_s,
            detections,
            [d for d in newcomers if d not in matches and d not in first_seen and d not in waiting],
            [i for i in orphans.values() if i not in matches.values()],
        )

        out: list[DwellTransition] = []
        timing = self._zones[zone_id]
        for d, tid in enumerate(tids):
            if d in matches:
                index, before = matches[d], self._open[matches[d]]
                after = _seen(before, detections, d, offset_s)
            elif tid in stays or d in waiting:
                continue  # a second box with an id already placed (a tracker glitch), or a candidate
            else:
                first_s, first_confidence = first_seen.get(d, (offset_s, 0.0))
                index, before = len(self._open), None
                after = Stay(
                    self._next_stay_id,
                    zone_id,
                    tid,
                    str(detections.class_name[d]),
                    "entered",
                    first_s,
                    offset_s,
                    None,
                    None,
                    max(first_confidence, float(detections.confidence[d])),
                    _box(detections, d),
                    offset_s,  # a candidate that turned out a passer moved: its stop, if any, starts now
                    _box(detections, d),
                    offset_s,
                    _box(detections, d),
                    ((offset_s, _box(detections, d)),),
                )
                self._next_stay_id += 1
                self._open.append(after)
                stays[tid] = index
                out.append(DwellTransition("entered", after))
            if after.state != "violating":
                after = _stop(after, timing.rule, self._frame)
            due = _due(after, timing, self._frame) if after.state != "violating" else None
            if due is not None:
                after = replace(after, state="violating", violation_s=offset_s, stop_s=due)
                out.append(DwellTransition("violation", after))
            elif before is not None and before.state == "violating":
                out.append(DwellTransition("update", after))
            self._open[index] = after
        return out

    def _resolve(
        self,
        zone_id: str,
        offset_s: float,
        detections: Detections,
        newcomers: list[int],
        orphans: dict[int, int],
        matches: dict[int, int],
    ) -> tuple[dict[int, tuple[float, float]], set[int]]:
        """Decide the candidates seen again: take their stay over (added to `matches`), wait, or not.

        Returns the first sighting and best confidence of the candidates that
        turned out to be objects of their own (their stays start then), and
        the boxes of those still waiting.
        """
        first_seen: dict[int, tuple[float, float]] = {}
        waiting: set[int] = set()
        for d in newcomers:
            key = (zone_id, int(detections.tracker_id[d]))
            candidate = self._candidates.pop(key, None)
            if candidate is None:
                continue
            i = orphans.get(candidate.stay_id)
            box = detections.xyxy[d : d + 1]
            confidence = max(candidate.confidence, float(detections.confidence[d]))
            if i is None or i in matches.values() or box_iou(box, [self._open[i].box])[0, 0] < SWITCH_IOU:
                first_seen[d] = (candidate.first_s, confidence)  # its stay is back, over, or elsewhere
            elif offset_s - candidate.first_s < STANDING_S - TIME_TOLERANCE_S:
                self._candidates[key] = replace(candidate, last_s=offset_s, confidence=confidence)
                waiting.add(d)  # too soon to tell
            elif stands(candidate.box, box[0], frame=self._frame):
                matches[d] = i
            else:
                first_seen[d] = (candidate.first_s, confidence)  # it moved on: a passer
        return first_seen, waiting

    def _propose(
        self, zone_id: str, offset_s: float, detections: Detections, newcomers: list[int], orphans: list[int]
    ) -> set[int]:
        """Make newcomers overlapping absent stays candidates; return their box indices."""
        if not newcomers or not orphans:
            return set()
        iou = box_iou(np.array([self._open[i].box for i in orphans]), detections.xyxy[newcomers])
        waiting = set()
        for o, n in zip(*linear_sum_assignment(-iou), strict=True):
            stay, d = self._open[orphans[o]], newcomers[n]
            if iou[o, n] >= SWITCH_IOU and same_object_class(stay.label, str(detections.class_name[d])):
                tid = int(detections.tracker_id[d])
                self._candidates[(zone_id, tid)] = _Candidate(
                    stay.stay_id, offset_s, offset_s, float(detections.confidence[d]), _box(detections, d)
                )
                waiting.add(d)
        return waiting


def _seen(stay: Stay, detections: Detections, d: int, offset_s: float) -> Stay:
    """The stay after one more sighting (possibly under a new tracker id)."""
    return replace(
        stay,
        tracker_id=int(detections.tracker_id[d]),
        label=str(detections.class_name[d]),
        state="dwelling" if stay.state == "entered" else stay.state,
        last_seen_s=offset_s,
        best_confidence=max(stay.best_confidence, float(detections.confidence[d])),
        box=_box(detections, d),
        stop_track=(*stay.stop_track[1 - STOP_TRACK :], (offset_s, _box(detections, d))),
    )


def _stop(stay: Stay, rule: DwellRule, frame: Frame | None) -> Stay:
    """The stay with its stop brought up to its last sighting: kept, or ended and begun anew there.

    The firm run (`firm_s`, `firm_box`) begins anew with every sighting that
    does not stand strictly (no shrink excused) on the run's first box.
    """
    now, box = stay.last_seen_s, stay.box
    if rule == "present":
        return replace(stay, stop_s=stay.entered_s, stop_box=box, firm_s=stay.entered_s, firm_box=box)
    if not stands(stay.stop_box, box, frame=frame):
        return replace(stay, stop_s=now, stop_box=box, firm_s=now, firm_box=box, stop_track=((now, box),))
    if not stands(stay.firm_box, box, frame=frame, strict=True):
        return replace(stay, firm_s=now, firm_box=box)
    return stay


def _due(stay: Stay, timing: ZoneTiming, frame: Frame | None) -> float | None:
    """When the stop that has now lasted the dwell began, or None if no stop has yet.

    Under `stopped` the last sighting must show the vehicle where it stopped,
    little of it hidden: on the stop's own box with at most HIDDEN_TOLERANCE
    lost (a parked car seen whole again, or nearly, after a passer hid one
    end of it), or on a firm run as long as the dwell (the stop's first box
    was swollen by the detector, two cars in one). A box shrunk well inside
    the stop's box keeps the stop alive but cannot raise an alert: it is as
    often a car driving away as a parked car half hidden.
    """
    dwell = timing.dwell_seconds - TIME_TOLERANCE_S
    if stay.last_seen_s - stay.stop_s < dwell:
        return None
    if timing.rule == "present":
        return stay.stop_s
    if drifting(stay.stop_track, frame):
        return None  # within the tolerance, but along a straight line: crawling
    if stands(stay.stop_box, stay.box, HIDDEN_TOLERANCE, frame, strict=True):
        return stay.stop_s
    return stay.firm_s if stay.last_seen_s - stay.firm_s >= dwell else None


def _ended(stay: Stay) -> Stay:
    return replace(stay, state="ended", ended_s=stay.last_seen_s)


def _box(detections: Detections, d: int) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in detections.xyxy[d])
    return (x1, y1, x2, y2)
