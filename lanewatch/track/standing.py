"""`stands`: whether a box is still where an earlier box of the same object was.

One notion of standing for the whole dwell stage: the stop of a `stopped`
zone (the dwell clock runs only while the box stands where the stop began)
and the tracker-id-switch takeover (a new id takes an absent stay over only
once it is seen standing) both ask this one function.

The movement is measured per axis on the box *edges*, in the object's own
size (the larger diagonal of the two boxes), so it means the same for a car
near the camera and one far away. On each axis it is the larger of

- how far both edges moved the same way (the smaller of the two shifts): a
  car that drives on moves both;
- how far the box reaches out beyond the reference: a car driving towards
  or away from an oblique camera changes size as it goes, its leading edge
  moving more than its trailing one.

A box that only shrinks inside the reference has not moved: that is a
passer-by hiding one end of a parked car, or the detector cutting it short.
The price: a car driving out of the picture shrinks against its border and
passes for standing while it goes (for a second or so at driving speed).

See STAND_TOLERANCE for how the threshold was chosen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Box = Sequence[float]  # xyxy, pixels

# A box stands while it moved less than this fraction of its diagonal from
# the box its stop began with. Measured with the shared YOLO11n weights at
# 2 looks/s (README, "Stopped or present"): the six parked cars of lot-busy
# move 0.004 (median), 0.017 (95th percentile), 0.086 (worst, a car partly
# hidden by a passer) from their first box over 20 s; the cars crawling
# through lot-aisle slowed 4x move 0.056 per second (median). 0.1 is above
# every parked figure and is what a crawling car covers in about 2 s.
STAND_TOLERANCE = 0.1

# How much of its box a vehicle may have lost to a passer-by and still raise
# its alert at that sighting (`stands(..., strict=True)`, in diagonals): the
# parked cars of lot-busy, partly hidden by a person in front for 7 s, lost
# up to 0.125. More than this (the first box of a stop was two cars, or the
# car is driving away) and the alert waits for a firm run of its own.
HIDDEN_TOLERANCE = 0.25


# An edge this close to the picture's border (pixels) is where the picture
# cut the vehicle, not where the vehicle ends: a car leaving through the
# bottom keeps its bottom edge on the border while it goes. Such an edge says
# nothing about movement, so that axis is judged on its free edge alone.
BORDER_PX = 2.0

Frame = tuple[int, int]  # width, height in pixels


def _axis_shift(r: tuple[float, float], b: tuple[float, float], cut: tuple[bool, bool], strict: bool) -> float:
    """Movement along one axis of the edges r = (r1, r2) to b = (b1, b2).

    Both edges free: together, or reaching beyond (a shrink inside is excused
    unless `strict`, where the larger edge shift counts). One edge cut by the
    border: the free edge's shift. Both cut: nothing can be told (0).
    """
    d1, d2 = b[0] - r[0], b[1] - r[1]
    if cut[0] or cut[1]:
        return 0.0 if cut[0] and cut[1] else abs(d2 if cut[0] else d1)
    if strict:
        return max(abs(d1), abs(d2))
    together = min(abs(d1), abs(d2)) if d1 * d2 > 0 else 0.0
    beyond = max(0.0, r[0] - b[0]) + max(0.0, b[1] - r[1])
    return max(together, beyond)


def _cut(reference: Box, box: Box, frame: Frame | None) -> tuple[bool, bool, bool, bool]:
    """Which edges (x1, y1, x2, y2) touch the picture's border in either box."""
    if frame is None:
        return (False, False, False, False)
    w, h = frame
    lo = [min(reference[i], box[i]) <= BORDER_PX for i in (0, 1)]
    hi = [max(reference[i + 2], box[i + 2]) >= (w, h)[i] - BORDER_PX for i in (0, 1)]
    return (lo[0], lo[1], hi[0], hi[1])


def box_shift(reference: Box, box: Box, frame: Frame | None = None, *, strict: bool = False) -> float:
    """Movement of `box` from `reference`, in diagonals of the larger of the two boxes.

    `frame` (width, height) lets edges on the picture's border be ignored;
    `strict` counts a shrink inside the reference as movement too.
    """
    rx1, ry1, rx2, ry2 = (float(v) for v in reference)
    bx1, by1, bx2, by2 = (float(v) for v in box)
    cx1, cy1, cx2, cy2 = _cut(reference, box, frame)
    dx = _axis_shift((rx1, rx2), (bx1, bx2), (cx1, cx2), strict)
    dy = _axis_shift((ry1, ry2), (by1, by2), (cy1, cy2), strict)
    diagonal = max(math.hypot(rx2 - rx1, ry2 - ry1), math.hypot(bx2 - bx1, by2 - by1), 1.0)
    return math.hypot(dx, dy) / diagonal


def stands(
    reference: Box,
    box: Box,
    tolerance: float = STAND_TOLERANCE,
    frame: Frame | None = None,
    *,
    strict: bool = False,
) -> bool:
    """Whether `box` is still where `reference` was, within `tolerance` of its own size."""
    return box_shift(reference, box, frame, strict=strict) < tolerance


# A stop must not be a steady drift. A car crawling far away moves well under
# STAND_TOLERANCE of its small box over a whole dwell (slowed lot-aisle: 4.6
# px over 6 s, 0.07 of its 68 px diagonal), but it moves in a straight line,
# while a parked car's edges only wobble. Per free edge, over the stop's
# sightings: the drift of a least-squares line through them and the scatter
# about it (the track's own detector jitter). Drifting: a drift over
# DRIFT_FLOOR_PX and over DRIFT_RATIO times the scatter. Measured (README,
# "Stopped or present"): the far crawler 4.6 px, 21x its scatter; the six
# parked cars of lot-busy at most 1.9 px and 3.2x (10.8 px at 2.1x for one
# half hidden by a person moving about in front of it); a car that creeps
# 18 px once and stands again 5.7x; uniform +-6 px jitter at most 1x.
DRIFT_FLOOR_PX = 3.0
DRIFT_RATIO = 8.0

Sighting = tuple[float, tuple[float, float, float, float]]  # stream time, xyxy


def _line_drift(ts: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Drift over the span of the least-squares line through (ts, ys), and the scatter about it."""
    n = len(ts)
    t_mean, y_mean = sum(ts) / n, sum(ys) / n
    var = sum((t - t_mean) ** 2 for t in ts)
    slope = sum((t - t_mean) * (y - y_mean) for t, y in zip(ts, ys, strict=True)) / var if var else 0.0
    residuals = [y - y_mean - slope * (t - t_mean) for t, y in zip(ts, ys, strict=True)]
    scatter = math.sqrt(sum(r * r for r in residuals) / max(n - 2, 1))
    return abs(slope) * (max(ts) - min(ts)), scatter


def drifting(sightings: Sequence[Sighting], frame: Frame | None = None) -> bool:
    """Whether some free box edge moved along a straight line over these sightings (4 or more)."""
    if len(sightings) < 4:
        return False
    ts = [t for t, _ in sightings]
    cut = [any(c) for c in zip(*(_cut(b, b, frame) for _, b in sightings), strict=True)]
    for i in range(4):
        if cut[i]:
            continue
        drift, scatter = _line_drift(ts, [b[i] for _, b in sightings])
        if drift > DRIFT_FLOOR_PX and drift > DRIFT_RATIO * scatter:
            return True
    return False
