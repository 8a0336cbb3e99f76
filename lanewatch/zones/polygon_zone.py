"""`PolygonZone`: a `Zone` placed on frames of one size, answering which boxes are inside.

The zone is stored in fractions; this is where it becomes pixels. Build one
per zone per frame size (`zones_for_frame`) and keep it while the size
stays the same: the shapely geometry is prepared once so `contains` costs a
few vectorised calls per frame, however many boxes there are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import shapely

from lanewatch.detect.detections import Detections
from lanewatch.zones.zone import Zone

# Absolute slack in px² when comparing overlap areas, so a box lying wholly
# inside passes min_overlap=1.0 despite floating-point rounding.
_AREA_EPS = 1e-6


class PolygonZone:
    """A zone in pixel coordinates of a `frame_width` × `frame_height` frame.

    Attributes:
        zone: the settings this was built from.
        frame_size: (width, height) in pixels.
        geometry: prepared shapely polygon in pixels, for the inside tests.
        polygon: int32 array (K, 2) of pixel corners, for `cv2.polylines` / `cv2.fillPoly`.
    """

    def __init__(self, zone: Zone, frame_width: int, frame_height: int) -> None:
        if frame_width <= 0 or frame_height <= 0:
            raise ValueError(f"frame size must be positive, got {frame_width}x{frame_height}")
        self.zone = zone
        self.frame_size = (frame_width, frame_height)
        points = np.asarray(zone.polygon, dtype=np.float64) * (frame_width, frame_height)
        self.geometry = shapely.Polygon(points)
        shapely.prepare(self.geometry)
        self.polygon = np.round(points).astype(np.int32)
        self._classes = frozenset(zone.classes)

    def __repr__(self) -> str:
        w, h = self.frame_size
        return f"PolygonZone({self.zone.id!r}, {w}x{h})"

    def contains(self, detections: Detections) -> np.ndarray:
        """Boolean mask (N,) of the boxes inside this zone, for `detections[mask]`.

        A box is inside when its class is one of the zone's classes and either
        its anchor point lies in the polygon (on the edge counts: a lane along
        the bottom of the frame must catch a car whose box touches the frame
        edge) or, with `min_overlap` set, that fraction of its area does.
        """
        n = len(detections)
        mask = np.fromiter((name in self._classes for name in detections.class_name), dtype=bool, count=n)
        if not mask.any():
            return mask
        if self.zone.min_overlap is None:
            points = detections.anchors(self.zone.anchor)[mask].astype(np.float64)
            inside = shapely.intersects_xy(self.geometry, points[:, 0], points[:, 1])
        else:
            inside = self._overlap_fraction(detections.xyxy[mask]) >= self.zone.min_overlap
        mask[mask] = inside
        return mask

    def _overlap_fraction(self, xyxy: np.ndarray) -> np.ndarray:
        """Fraction (M,) of each box's area inside the polygon; 0 for degenerate boxes."""
        xyxy = xyxy.astype(np.float64)
        boxes = shapely.box(xyxy[:, 0], xyxy[:, 1], xyxy[:, 2], xyxy[:, 3])
        covered = shapely.area(shapely.intersection(boxes, self.geometry))
        area = np.clip(xyxy[:, 2] - xyxy[:, 0], 0, None) * np.clip(xyxy[:, 3] - xyxy[:, 1], 0, None)
        fraction = np.zeros(len(xyxy), dtype=np.float64)
        np.divide(covered + _AREA_EPS, area, out=fraction, where=area > 0)
        return fraction

    def bounding_rect(self) -> tuple[int, int, int, int]:
        """Pixel rectangle (x1, y1, x2, y2) around the zone, clipped to the frame.

        x2 and y2 are exclusive, so ``frame[y1:y2, x1:x2]`` crops the whole zone.
        """
        x1, y1, x2, y2 = self.geometry.bounds
        w, h = self.frame_size
        return (max(0, math.floor(x1)), max(0, math.floor(y1)), min(w, math.ceil(x2)), min(h, math.ceil(y2)))


def zones_for_frame(zones: Iterable[Zone], frame_width: int, frame_height: int) -> list[PolygonZone]:
    """Place every zone on frames of one size; keep the result while the size holds."""
    return [PolygonZone(zone, frame_width, frame_height) for zone in zones]
