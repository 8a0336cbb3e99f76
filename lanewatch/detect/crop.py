"""Crop planning: run the detector on the part of the frame that holds the lanes.

A detector's cost grows with its input's area, and CCTV vehicles are small:
sending the lanes' surroundings instead of the whole frame either saves time
at the same pixel density or, at the same cost, gives the vehicles more
pixels. `plan_crop` picks one rectangle per camera around all its zones
(plan once per zone set and frame size, not per look); `CropRect.apply`
cuts a look (a numpy view, no copy) and `CropRect.to_frame` puts the boxes
the detector found back into full-frame pixels, where the zones live.

The rectangle must hold every vehicle that can count in a zone whole, or its
box is truncated and its anchor moves:
- sideways and below, ``margin`` × the zones' extent covers a vehicle whose
  anchor is inside near a border (and one crossing into the lane);
- above, a vehicle rises from its bottom-centre anchor by its whole height,
  so the crop reaches at least ``up_extra`` × the frame height above the
  zones' top (0.25 by default: the front row in ``lot-busy.mp4``, the
  nearest and so tallest vehicles, are 0.22 of the frame tall).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lanewatch.detect.detections import Detections

_EDGES = ("left", "top", "right", "bottom")


@dataclass(frozen=True, slots=True)
class CropRect:
    """A pixel rectangle of a frame; x2 and y2 are exclusive (``image[y1:y2, x1:x2]``)."""

    x1: int
    y1: int
    x2: int
    y2: int

    def __post_init__(self) -> None:
        if not (0 <= self.x1 < self.x2 and 0 <= self.y1 < self.y2):
            raise ValueError(f"not a crop rectangle: {self}")

    @classmethod
    def full(cls, frame_size: tuple[int, int]) -> CropRect:
        """The whole (width, height) frame."""
        return cls(0, 0, int(frame_size[0]), int(frame_size[1]))

    @property
    def width(self) -> int:
        return self.x2 - self.x1

    @property
    def height(self) -> int:
        return self.y2 - self.y1

    def area_fraction(self, frame_size: tuple[int, int]) -> float:
        """Share of the (width, height) frame's area the crop covers (1.0 for the full frame)."""
        return self.width * self.height / (frame_size[0] * frame_size[1])

    def is_full(self, frame_size: tuple[int, int]) -> bool:
        return self == CropRect.full(frame_size)

    def apply(self, image: np.ndarray) -> np.ndarray:
        """The crop of a (H, W, ...) image, as a view of it (no copy)."""
        return image[self.y1 : self.y2, self.x1 : self.x2]

    def to_frame(self, detections: Detections) -> Detections:
        """The same boxes in full-frame pixels (the detector saw crop pixels); a new object."""
        shift = np.array([self.x1, self.y1, self.x1, self.y1], dtype=np.float32)
        return Detections(
            detections.xyxy + shift,
            detections.confidence,
            detections.class_id,
            detections.class_name,
            detections.tracker_id,
        )


def plan_crop(
    zones_px: list[np.ndarray],
    frame_size: tuple[int, int],
    *,
    margin: float = 0.15,
    up_extra: float = 0.25,
    min_size: int = 64,
) -> CropRect:
    """The rectangle to run the detector on for these zones.

    Args:
        zones_px: each zone's polygon as (K, 2) pixel corners (``PolygonZone.polygon``).
            No zones: the full frame.
        frame_size: (width, height) in pixels.
        margin: the zones' bounding rectangle grows by this fraction of its
            width on the left and right and of its height above and below.
        up_extra: the crop's top is at least this fraction of the frame
            height above the zones' top, so a tall vehicle whose bottom is in
            a zone is inside the crop whole.
        min_size: neither side is shorter than this (or than the frame):
            the rectangle grows about its centre, pushed back inside the frame.

    Returns:
        Integer pixel rectangle inside the frame.
    """
    width, height = int(frame_size[0]), int(frame_size[1])
    if width <= 0 or height <= 0:
        raise ValueError(f"frame size must be positive, got {width}x{height}")
    if margin < 0 or up_extra < 0:
        raise ValueError("margin and up_extra must not be negative")
    if not zones_px:
        return CropRect.full((width, height))
    points = np.concatenate([np.asarray(z, dtype=np.float64).reshape(-1, 2) for z in zones_px])
    zx1, zy1 = points.min(axis=0)
    zx2, zy2 = points.max(axis=0)
    grow_x, grow_y = margin * (zx2 - zx1), margin * (zy2 - zy1)
    x1, x2 = zx1 - grow_x, zx2 + grow_x
    y1, y2 = min(zy1 - grow_y, zy1 - up_extra * height), zy2 + grow_y
    x1, x2 = _at_least(math.floor(x1), math.ceil(x2), min_size, width)
    y1, y2 = _at_least(math.floor(y1), math.ceil(y2), min_size, height)
    return CropRect(x1, y1, x2, y2)


def _at_least(lo: int, hi: int, size: int, limit: int) -> tuple[int, int]:
    """Clamp [lo, hi) to [0, limit), widened about its centre to min(size, limit)."""
    lo, hi = max(0, lo), min(limit, hi)
    need = min(size, limit) - (hi - lo)
    if need > 0:
        lo -= need // 2
        hi += need - need // 2
        if lo < 0:
            lo, hi = 0, hi - lo
        if hi > limit:
            lo, hi = lo - (hi - limit), limit
    return lo, hi


def drop_edge_boxes(
    detections: Detections,
    crop: CropRect,
    frame_size: tuple[int, int],
    tolerance_px: float = 2,
    *,
    edges: tuple[str, ...] = _EDGES,
) -> Detections:
    """Drop boxes (in full-frame pixels, after `CropRect.to_frame`) cut by an inner crop border.

    A vehicle straddling the crop's border is seen in part, and its box ends
    at the border: its bottom centre or centre, and its overlap with a zone,
    are not the vehicle's. Such a box touches the border (within
    ``tolerance_px``). Borders that are also the frame's border are kept:
    a box there is cut by the camera, as it would be without the crop.

    When to use it: after `to_frame`, for every look run on a crop that is not
    the full frame, before the zone test and the tracker. The planner's
    margins keep a vehicle whose anchor is in a zone whole inside the crop,
    so what this drops are vehicles outside the lanes whose truncated boxes
    could otherwise drift into them. One exception: a vehicle taller than
    ``up_extra`` of the frame standing in a zone reaches past the crop's top.
    A top cut leaves the bottom centre where it is, so for zones with
    bottom_center anchors pass ``edges=("left", "right", "bottom")`` when such
    vehicles (buses, trucks close to the camera) can occur.

    Args:
        detections: boxes in full-frame pixels.
        crop: the rectangle the detector ran on.
        frame_size: (width, height) of the full frame.
        tolerance_px: a box edge this close to an inner crop border counts as cut.
        edges: which crop borders to check, of "left", "top", "right", "bottom".
    """
    unknown = set(edges) - set(_EDGES)
    if unknown:
        raise ValueError(f"unknown edges {sorted(unknown)}; use {_EDGES}")
    if len(detections) == 0:
        return detections
    width, height = frame_size
    x1, y1, x2, y2 = detections.xyxy.T
    cut = np.zeros(len(detections), dtype=bool)
    if "left" in edges and crop.x1 > 0:
        cut |= x1 <= crop.x1 + tolerance_px
    if "top" in edges and crop.y1 > 0:
        cut |= y1 <= crop.y1 + tolerance_px
    if "right" in edges and crop.x2 < width:
        cut |= x2 >= crop.x2 - tolerance_px
    if "bottom" in edges and crop.y2 < height:
        cut |= y2 >= crop.y2 - tolerance_px
    return detections[~cut]
