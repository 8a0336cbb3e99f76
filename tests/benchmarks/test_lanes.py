"""benchmarks/lanes.py: each camera's own lanes are reproducible, valid, clear of the planted zone, varied."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from shapely import Polygon

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from lanes import camera_lanes, crop_for, describe_crops  # noqa: E402

from lanewatch.zones.zone import Zone  # noqa: E402
from lanewatch.zones.zone_file import load_zone_file  # noqa: E402

STALL = [(0.08, 0.84), (0.20, 0.84), (0.20, 0.935), (0.08, 0.935)]  # cameras.py's busy planted zone
BASE = load_zone_file(REPO / "zones" / "lot-busy.json").zones
PLANTED = Zone(id="planted", name="Planted stop", polygon=STALL, dwell_seconds=8)
SIZE = (1920, 1080)


def test_same_seed_same_lanes_and_a_prefix_for_fewer_cameras() -> None:
    lanes = camera_lanes(BASE, STALL, 32, seed=3)
    assert lanes == camera_lanes(BASE, STALL, 32, seed=3)
    assert lanes[:8] == camera_lanes(BASE, STALL, 8, seed=3)
    assert lanes != camera_lanes(BASE, STALL, 32, seed=4)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_lanes_keep_the_rules_avoid_the_planted_zone_and_it_stays_watched(seed: int) -> None:
    planted_crop = crop_for([PLANTED], SIZE, margin=0.3)
    for lanes in camera_lanes(BASE, STALL, 64, seed=seed):
        assert 1 <= len(lanes) <= 2
        for lane in lanes:
            assert (lane.dwell_seconds, lane.anchor, lane.classes) == (
                BASE[0].dwell_seconds,
                BASE[0].anchor,
                BASE[0].classes,
            )
            assert not Polygon(lane.polygon).intersects(Polygon(STALL))
        crop = crop_for([*lanes, PLANTED], SIZE, margin=0.3)
        assert (
            crop.x1 <= planted_crop.x1
            and crop.y1 <= planted_crop.y1
            and crop.x2 >= planted_crop.x2
            and crop.y2 >= planted_crop.y2
        )


def test_the_spread_has_many_crop_shapes_slanted_lanes_and_both_small_and_large_crops() -> None:
    cameras = camera_lanes(BASE, STALL, 64, seed=0)
    crops = [crop_for([*lanes, PLANTED], SIZE, margin=0.3) for lanes in cameras]
    assert len({(c.width, c.height) for c in crops}) >= 48
    areas = sorted(c.area_fraction(SIZE) for c in crops)
    assert areas[0] < 0.3 and areas[-1] > 0.9
    lanes = [lane for lanes in cameras for lane in lanes]
    slanted = [z for z in lanes if len({x for x, _ in z.polygon}) > 2 or len({y for _, y in z.polygon}) > 2]
    assert len(lanes) / 2 < len(slanted) < len(lanes)
    assert "distinct crop shapes" in describe_crops(crops, SIZE)
