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


def _axis_shift(r1: float, r2: float, b1: float, b2: float) -> float:
    """Movement along one axis of the edges (r1, r2) to (b1, b2): together, or reaching beyond."""
    d1, d2 = b1 - r1, b2 - r2
    together = min(abs(d1), abs(d2)) if d1 * d2 > 0 else 0.0
    beyond = max(0.0, r1 - b1) + max(0.0, b2 - r2)
    return max(together, beyond)


def box_shift(reference: Box, box: Box) -> float:
    """Movement of `box` from `reference`, in diagonals of the larger of the two boxes."""
    rx1, ry1, rx2, ry2 = (float(v) for v in reference)
    bx1, by1, bx2, by2 = (float(v) for v in box)
    moved = math.hypot(_axis_shift(rx1, rx2, bx1, bx2), _axis_shift(ry1, ry2, by1, by2))
    diagonal = max(math.hypot(rx2 - rx1, ry2 - ry1), math.hypot(bx2 - bx1, by2 - by1), 1.0)
    return moved / diagonal


def stands(reference: Box, box: Box, tolerance: float = STAND_TOLERANCE) -> bool:
    """Whether `box` is still where `reference` was, within `tolerance` of its own size."""
    return box_shift(reference, box) < tolerance
