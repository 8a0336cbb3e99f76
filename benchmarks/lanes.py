"""A lane polygon per camera for the benchmarks, as a real site has: every camera its own crop shape.

On a site each camera is aimed at its own stretch of fire lane, so each
camera's zones, and with them its lane crop (`plan_crop`), have their own
position, size and aspect. A benchmark that gives every camera the same zones
measures a site that does not exist: one crop shape for all looks, which is
the easiest case for a batched detector (one input shape, one compile, looks
that pack alike). `camera_lanes` gives each camera a seeded, reproducible lane
drawn from the kinds of polygon people draw on CCTV snapshots:

- strip: a narrow lane along the kerb, across much of the frame, often
  slanted by the camera's angle (a trapezoid or parallelogram);
- block: a hatched no-parking box or a short lane, medium size, sometimes
  skewed;
- receding: a lane running away from the camera, wide at the bottom and
  narrow at the top (vertical-ish), leaning left or right;
- wide: an overview camera whose lane covers most of the frame.

Some cameras watch two lanes (a strip on each side of an aisle). The lanes are
extra zones beside the benchmark's planted zone, which stays as it is: its
alert latency is what the benchmarks measure, so it must be watched on every
camera, and the lanes never overlap it (a vehicle parking in the planted stall
raises that zone's alert and no other).
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from shapely import Polygon

from lanewatch.detect.crop import CropRect, plan_crop
from lanewatch.zones.polygon_zone import zones_for_frame
from lanewatch.zones.zone import Point, Zone

KINDS = (("strip", 0.35), ("block", 0.25), ("receding", 0.2), ("wide", 0.2))
TWO_LANES_SHARE = 0.2  # cameras that watch two strips
AXIS_ALIGNED_SHARE = 0.3  # lanes drawn as plain rectangles; the rest are slanted quadrilaterals
TRIES = 200  # draws per lane before giving up on avoiding the planted zone


def camera_lanes(
    base_zones: Sequence[Zone], planted: Sequence[Point], count: int, *, seed: int = 0
) -> list[list[Zone]]:
    """Each of ``count`` cameras' own lane zones (one or two), reproducible for a seed.

    Args:
        base_zones: the scenario's drawn lane; its first zone's rules (dwell, exit grace, classes,
            anchor) are kept for every generated lane, so only the geometry differs between cameras.
        planted: the planted zone's polygon (fractions); no lane overlaps it.
        count: how many cameras.
        seed: the same seed gives the same lanes (camera i's lanes depend on the seed and i only,
            so the first n cameras of a larger count are the same as for count n).

    Returns:
        For camera i, its lane zones (ids ``lane-<i>-<k>``), without the planted zone.
    """
    template = base_zones[0] if base_zones else Zone(id="lane", name="Fire lane", polygon=[(0, 0), (1, 0), (1, 1)])
    avoid = Polygon(planted)
    cameras = []
    for i in range(count):
        rng = random.Random(f"{seed}:{i}")
        kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        two = kind == "strip" and rng.random() < TWO_LANES_SHARE / dict(KINDS)["strip"]  # of all cameras
        kinds = ["strip", "strip"] if two else [kind]
        lanes: list[Zone] = []
        for k, lane_kind in enumerate(kinds):
            polygon = _draw_clear(rng, lane_kind, avoid, [avoid, *(Polygon(z.polygon) for z in lanes)])
            lanes.append(
                Zone(
                    **{
                        **template.model_dump(),
                        "id": f"lane-{i}-{k}",
                        "name": f"Fire lane {i}.{k} ({lane_kind})",
                        "polygon": polygon,
                    }
                )
            )
        cameras.append(lanes)
    return cameras


def _draw_clear(rng: random.Random, kind: str, planted: Polygon, avoid: list[Polygon]) -> list[Point]:
    """A polygon of ``kind`` near the planted zone that overlaps none of ``avoid`` (the planted zone among them)."""
    for _ in range(TRIES):
        polygon = _draw(rng, kind, planted.bounds)
        if not any(Polygon(polygon).intersects(other) for other in avoid):
            return polygon
    raise ValueError(f"no {kind} lane clear of the other zones in {TRIES} draws")


def _draw(rng: random.Random, kind: str, near: tuple[float, float, float, float]) -> list[Point]:
    """One quadrilateral of ``kind``, clockwise from the top left, inside the frame, placed near ``near``.

    The camera is the planted zone's camera, so its lane is somewhere in the same view: the lane's
    bounding box lies within a reach (drawn per lane, from none to most of the frame) of the planted
    zone's box (x1, y1, x2, y2). How far it reaches is what spreads the cameras' crop sizes and aspects;
    lanes placed anywhere in the frame would give almost every camera a crop of the whole frame.
    """
    u = rng.uniform
    width, height = {
        "strip": (u(0.3, 0.9), u(0.05, 0.22)),
        "block": (u(0.12, 0.4), u(0.08, 0.3)),
        "receding": (u(0.12, 0.35), u(0.35, 0.8)),
        "wide": (u(0.7, 0.98), u(0.4, 0.75)),
    }[kind]
    reach_x, reach_y = u(0.0, 0.7), u(0.0, 0.6)
    left = _place(u, near[0] - reach_x, near[2] + reach_x, width)
    top = _place(u, near[1] - reach_y, near[3] + reach_y, height)
    corners = _outline(rng, kind, straight=rng.random() < AXIS_ALIGNED_SHARE)
    return [(round(left + x * width, 4), round(top + y * height, 4)) for x, y in corners]


def _place(u, lo: float, hi: float, size: float) -> float:
    """Where a side of ``size`` starts so that it lies in [lo, hi] as far as it fits, and in [0, 1]."""
    lo, hi = max(0.0, lo), min(1.0, hi)
    first, last = sorted((min(max(lo, 0.0), 1.0 - size), min(max(hi - size, 0.0), 1.0 - size)))
    return u(first, last)


def _outline(rng: random.Random, kind: str, straight: bool) -> list[tuple[float, float]]:
    """The lane's corners in its unit bounding box, clockwise from the top left."""
    if straight:
        return [(0, 0), (1, 0), (1, 1), (0, 1)]
    u = rng.uniform
    if kind == "strip":  # a slanted lane, thinner at its far end: the box's height is mostly the slant
        near, far = u(0.35, 0.7), u(0.2, 0.35)
        outline = [(0, 0), (1, 1 - far), (1, 1), (0, near)]
        return outline if rng.random() < 0.5 else [(0, 1 - near), (1, 0), (1, far), (0, 1)]  # rising
    if kind == "receding":  # far (top) edge narrower than the near one, leaning sideways
        far = u(0.2, 0.6)
        centre = u(far / 2, 1 - far / 2)
        return [(centre - far / 2, 0), (centre + far / 2, 0), (1, 1), (0, 1)]
    skew = u(0.05, 0.3)
    if kind == "block":  # a skewed box (parallelogram)
        if rng.random() < 0.5:
            return [(skew, 0), (1, 0), (1 - skew, 1), (0, 1)]
        return [(0, 0), (1 - skew, 0), (1, 1), (skew, 1)]
    return [(skew, 0), (1 - skew, 0), (1, 1), (0, 1)]  # wide: the far side of the view is narrower


def crop_for(zones: Sequence[Zone], frame_size: tuple[int, int], margin: float) -> CropRect:
    """The crop the pipeline's camera plans for these zones on frames of this (width, height) (see camera.py)."""
    placed = zones_for_frame(zones, *frame_size)
    return plan_crop([z.polygon for z in placed], frame_size, margin=margin)


def sheet_share(crop: CropRect) -> float:
    """What one look of this crop costs the detector, as a share of an imgsz x imgsz sheet.

    The detector scales every crop so that its long side is imgsz (lanewatch.detect.sheets), so a look's
    pixels are imgsz² × short side / long side, whatever the crop's area in the frame: a small square crop
    costs a whole sheet, a wide strip a fraction of one."""
    return min(crop.width, crop.height) / max(crop.width, crop.height)


def describe_crops(crops: Sequence[CropRect], frame_size: tuple[int, int]) -> str:
    """'N distinct crop shapes, crop area min/median/max a/b/c of the frame'."""
    areas = [c.area_fraction(frame_size) for c in crops]
    shares = [sheet_share(c) for c in crops]
    shapes = len({(c.width, c.height) for c in crops})
    return (
        f"{shapes} distinct crop shapes, crop area min/median/max "
        f"{min(areas):.2f}/{statistics.median(areas):.2f}/{max(areas):.2f} of the frame, "
        f"detector cost min/median/max {min(shares):.2f}/{statistics.median(shares):.2f}/{max(shares):.2f} "
        f"of a sheet"
    )


class _Detecting(Protocol):
    def detect(self, images: Sequence[np.ndarray]) -> list: ...


def warm_crops(
    detector: _Detecting, crops: Sequence[CropRect], frame_size: tuple[int, int], timeout_s: float = 600.0
) -> int:
    """One detect() on a black frame's crop per distinct crop shape, then the detector's ``wait_ready``.

    A detector may compile per input shape (or in the background): done before the clock, so a
    benchmark times the steady state, not the compiles. Returns the number of shapes warmed.
    """
    black = np.zeros((frame_size[1], frame_size[0], 3), np.uint8)
    distinct = {(c.width, c.height): c for c in crops}
    for crop in distinct.values():
        detector.detect([crop.apply(black)])
    wait_ready = getattr(detector, "wait_ready", None)
    if wait_ready is not None:
        wait_ready(timeout_s)
    return len(distinct)
