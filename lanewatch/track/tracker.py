"""`LowRateTracker`: identities for boxes analysed at 0.5–2 frames per second.

Why not ByteTrack (ultralytics' tracker): it assumes video rate. Its Kalman
filter predicts motion between consecutive frames and its buffers count
frames, so at one look every two seconds a parked car that the detector
misses a few times, or that a passer-by hides for a while, comes back with
a new id, and a new id restarts the dwell clock. What matters here is the
opposite case: an object that does *not* move must keep its identity across
minutes of stream time.

So a track is its last box, the stream time it was last seen, its label
votes and a plain velocity (box edges per stream second, averaged over its
last sightings); it lives for `max_missing_s` seconds of stream time, never
a frame count, and only a look that could have seen it and did not counts
against it: when looks are sparser than `max_missing_s` (an image folder of
snapshots minutes apart, a stream back after an outage) a track is kept until
the next look, so a car still parked there keeps its identity and its dwell. A box is compared with both the track's last box and that
box moved on by the velocity (over at most `MAX_PREDICT_S`); the better fit
counts. A parked car matches where it was after minutes unseen; a moving
car matches where it is heading.

Association, per analysed frame, in three stages (each an optimal
assignment with scipy's `linear_sum_assignment`):

1. confident boxes ↔ tracks by IoU (≥ `match_iou`);
2. confident boxes still free ↔ tracks still free by centre shift relative
   to the track's box size, for a box that moved far between two looks or
   was cut by an occlusion (see `MAX_SHIFT`, `MAX_SCALE`, `MAX_PREDICT_S`);
3. low-confidence boxes (< `min_confidence`) ↔ tracks still free by IoU:
   a half-hidden car seen weakly still continues its track, but a weak box
   never starts one, so detector noise does not mint identities.

Two gates keep a parked car's id from being taken by what passes in front
of it while the detector misses it:

- class: a box only continues a track of a compatible class
  (`same_object_class`): car, truck and bus flicker between each other for
  one vehicle, but a person can never take a car's id;
- standing: a track seen standing only accepts a box close to where it
  stands (`STILL_MAX_SHIFT`), so a car driving past, too new to have a
  velocity of its own, cannot take the parked car's id and drag it away.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from lanewatch.config import TrackerConfig
from lanewatch.detect.detections import Detections

# Labels the detector confuses for one and the same vehicle. Motorcycles are
# left out on purpose: a car is never mistaken for one, and a motorcycle
# parked beside a car must not merge with it.
VEHICLE_CLASSES = frozenset({"car", "truck", "bus"})

# Fallback match (stage 2): the box centre may have moved by at most this
# fraction of the track box's diagonal: about 3.5 m for a side-on car, a car
# at 12 km/h seen at 1 fps before it has a velocity. Below the distance
# between the centres of two cars parked side by side (about one box
# width), so a new box next to a missed car does not take its id.
MAX_SHIFT = 0.75
# ... and the box area may have changed by at most this factor either way
# (an occlusion that cuts a car in half still passes; a bus does not).
MAX_SCALE = 2.5

# Longest stretch of stream time a track's velocity is extrapolated over: two
# looks at the slowest analysis rate (0.5 fps). A parked car's jitter, read
# as a tiny velocity, never drifts its predicted box far. A moving track
# unseen for longer is no longer matched by centre shift either: otherwise
# the stale track of a car that drove by a minute ago hands its id to the
# next car in that lane.
MAX_PREDICT_S = 4.0

# A track seen standing (it has a velocity, so two sightings or more, and its
# centre moves less than STILL_SPEED box diagonals per second: walking pace)
# only accepts boxes whose centre lies within STILL_MAX_SHIFT diagonals of
# its last or predicted box. A parked car does not jump; a car driving past
# it, which hides it, does. Without this gate such a car, seen once before
# and so without a velocity, takes the parked car's id and drags it away,
# and the parked car comes back as a new object: a second violation for one
# stop. The price: a standing car that pulls away fast may get a new id,
# which costs nothing downstream (its stay ends either way).
STILL_SPEED = 0.3
STILL_MAX_SHIFT = 0.3

_INFEASIBLE = 1e6


def same_object_class(a: str, b: str) -> bool:
    """Whether two detector labels may name the same object: equal, or both vehicles."""
    return a == b or (a in VEHICLE_CLASSES and b in VEHICLE_CLASSES)


def box_iou(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """(N, M) intersection over union between two sets of xyxy boxes."""
    boxes_a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    boxes_b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    area_a = np.prod(np.clip(boxes_a[:, 2:] - boxes_a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(boxes_b[:, 2:] - boxes_b[:, :2], 0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


@dataclass(slots=True)
class _Track:
    """One identity: where it was last seen, when, and what it was called."""

    track_id: int
    box: np.ndarray  # float64 xyxy of the last sighting
    last_seen_s: float
    hits: int = 0
    missed_looks: int = 0  # looks since the last sighting that did not see it
    velocity: np.ndarray | None = None  # px per stream second of x1, y1, x2, y2
    # label -> [times seen, best confidence, class id]
    votes: dict[str, list] = field(default_factory=dict)

    def observe(self, box: np.ndarray, confidence: float, class_id: int, label: str, offset_s: float) -> None:
        box = np.asarray(box, dtype=np.float64)
        if self.hits and offset_s > self.last_seen_s:
            step = (box - self.box) / (offset_s - self.last_seen_s)
            self.velocity = step if self.velocity is None else (self.velocity + step) / 2
        self.box = box.copy()
        self.last_seen_s = offset_s
        self.missed_looks = 0
        self.hits += 1
        vote = self.votes.setdefault(label, [0, 0.0, class_id])
        vote[0] += 1
        vote[1] = max(vote[1], confidence)

    def predicted(self, offset_s: float) -> np.ndarray:
        """The last box moved on by the velocity (the last box itself without one)."""
        if self.velocity is None:
            return self.box
        return self.box + self.velocity * min(offset_s - self.last_seen_s, MAX_PREDICT_S)

    @property
    def still(self) -> bool:
        """Seen standing: a known velocity, with the centre slower than `STILL_SPEED`."""
        if self.velocity is None:
            return False
        speed = np.linalg.norm(self.velocity[:2] + self.velocity[2:]) / 2
        return bool(speed <= STILL_SPEED * np.linalg.norm(self.box[2:] - self.box[:2]))

    @property
    def label(self) -> str:
        """Most frequent label, ties broken by the highest confidence seen with it."""
        return max(self.votes, key=lambda name: (self.votes[name][0], self.votes[name][1]))

    @property
    def class_id(self) -> int:
        return int(self.votes[self.label][2])


class LowRateTracker:
    """Per-camera tracker for low analysed frame rates; one verb: `update`."""

    def __init__(self, config: TrackerConfig) -> None:
        self.config = config
        self._tracks: list[_Track] = []
        self._next_id = 1
        self._last_offset_s: float | None = None

    def update(self, detections: Detections, offset_s: float) -> Detections:
        """Give each box of one analysed frame an identity.

        Returns the same boxes, in the same order, with `tracker_id` set and
        `class_name`/`class_id` replaced by the track's settled label, so that
        car↔truck flicker does not reach the zones and the dwell records.
        A low-confidence box that continues no track keeps `tracker_id` -1.

        Raises:
            ValueError: if `offset_s` goes back in stream time.
        """
        if self._last_offset_s is not None and offset_s < self._last_offset_s:
            raise ValueError(f"stream time went back from {self._last_offset_s} s to {offset_s} s")
        self._last_offset_s = offset_s
        self._tracks = [
            t for t in self._tracks if t.missed_looks == 0 or offset_s - t.last_seen_s <= self.config.max_missing_s
        ]

        ids = np.full(len(detections), -1, dtype=np.int64)
        strong = detections.confidence >= self.config.min_confidence
        for boxes, by_shift in ((strong, False), (strong, True), (~strong, False)):
            free = [t for t in self._tracks if t.track_id not in set(ids.tolist())]
            candidates = np.flatnonzero(boxes & (ids == -1))
            for t, d in self._assign(free, detections[candidates], offset_s, by_shift):
                ids[candidates[d]] = free[t].track_id

        for new in np.flatnonzero(strong & (ids == -1)):
            ids[new] = self._next_id
            self._tracks.append(_Track(self._next_id, detections.xyxy[new].astype(np.float64), offset_s))
            self._next_id += 1

        by_id = {t.track_id: t for t in self._tracks}
        class_id = detections.class_id.copy()
        class_name = detections.class_name.copy()
        for d_kept in np.flatnonzero(ids != -1):
            d = int(d_kept)
            track = by_id[int(ids[d])]
            track.observe(
                detections.xyxy[d],
                float(detections.confidence[d]),
                int(detections.class_id[d]),
                str(detections.class_name[d]),
                offset_s,
            )
            class_id[d], class_name[d] = track.class_id, track.label
        seen = set(ids.tolist())
        for track in self._tracks:
            if track.track_id not in seen:
                track.missed_looks += 1
        return Detections(detections.xyxy, detections.confidence, class_id, class_name, ids)

    def _assign(
        self, tracks: list[_Track], detections: Detections, offset_s: float, by_shift: bool
    ) -> list[tuple[int, int]]:
        """Optimal (track index, box index) pairs, by IoU or by centre shift, within the gates."""
        if not tracks or not len(detections):
            return []
        last = np.stack([t.box for t in tracks])
        predicted = np.stack([t.predicted(offset_s) for t in tracks])
        boxes = detections.xyxy.astype(np.float64)
        diagonal = np.maximum(np.linalg.norm(last[:, 2:] - last[:, :2], axis=1), 1.0)[:, None]
        shift = np.minimum(_centre_distance(last, boxes), _centre_distance(predicted, boxes)) / diagonal
        still = np.array([t.still for t in tracks])[:, None]
        ok = np.array(
            [[same_object_class(t.label, str(name)) for name in detections.class_name] for t in tracks], dtype=bool
        )
        ok &= ~still | (shift <= STILL_MAX_SHIFT)
        if by_shift:
            recent = np.array([offset_s - t.last_seen_s <= MAX_PREDICT_S for t in tracks])[:, None]
            area_t, area_d = _area(last)[:, None], _area(boxes)[None, :]
            ok &= still | recent  # where a moving object went since is anyone's guess
            ok &= (shift <= MAX_SHIFT) & (np.maximum(area_t / area_d, area_d / area_t) <= MAX_SCALE)
            cost = shift
        else:
            iou = np.maximum(box_iou(last, boxes), box_iou(predicted, boxes))
            ok &= iou >= self.config.match_iou
            cost = 1.0 - iou
        matrix = np.where(ok, cost, _INFEASIBLE)
        rows, cols = linear_sum_assignment(matrix)
        return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if ok[r, c]]


def _centre_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) distances between the centres of two sets of xyxy boxes."""
    ca, cb = (a[:, :2] + a[:, 2:]) / 2, (b[:, :2] + b[:, 2:]) / 2
    return np.linalg.norm(ca[:, None, :] - cb[None, :, :], axis=2)


def _area(xyxy: np.ndarray) -> np.ndarray:
    return np.prod(np.clip(xyxy[:, 2:] - xyxy[:, :2], 1.0, None), axis=1)
