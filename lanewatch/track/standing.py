"""`stands`: whether a box is still where an earlier box of the same object was.

One notion of standing for the whole dwell stage: the stop of a `stopped`
zone (the dwell clock runs only while the box stands where the stop began)
and the tracker-id-switch takeover (a new id takes an absent stay over only
once it is seen standing) both ask this one function.

The movement is measured per axis on the box *edges*, not on the centre,
and in the object's own size (the larger diagonal of the two boxes), so it
means the same for a car near the camera and one far away:

- a car that drives on moves both edges of an axis the same way: its
  movement is the smaller of the two edge shifts, i.e. what it really moved;
- a passer-by that hides one end of a parked car, or the detector cutting a
  car short, moves one edge and leaves the other: no movement, as it should;
- a box that grows or shrinks around the same place (edges moving apart or
  together) has not moved either.

See STAND_TOLERANCE for how the threshold was chosen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Box = Sequence[float]  # xyxy

# A box stands while its edges moved less than this fraction of its
# diagonal from the reference box. Measured with the shared YOLO11n weights
# on the shared footage (README, "stopped and present"): a parked car's
# edges wobble by up to 0.04 of its diagonal between looks (lot-busy front
# row, 2 looks per second, 99th percentile 0.03), a car crawling through the
# aisle at a quarter of its speed (lot-aisle slowed 4x) moves 0.25 or more of
# its diagonal within 4 s. 0.15 sits well clear of the jitter and lets a car
# creep a sixth of its length and still keep its stop; it also keeps a
# passer-by at 20 px/s from passing for standing over the takeover's 2 s.
STAND_TOLERANCE = 0.15


def _axis_shift(a1: float, a2: float, b1: float, b2: float) -> float:
    """How far the pair of edges (a1, a2) moved to (b1, b2) together; 0 if they moved apart or together."""
    d1, d2 = b1 - a1, b2 - a2
    if d1 * d2 <= 0:
        return 0.0
    return min(abs(d1), abs(d2))


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
