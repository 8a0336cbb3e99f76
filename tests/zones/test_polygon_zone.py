"""Which boxes are inside a zone: anchors, overlap thresholds, classes, frame sizes."""

from __future__ import annotations

import numpy as np
import pytest

from lanewatch.detect.detections import Detections
from lanewatch.zones import PolygonZone, Zone, zones_for_frame

# Lower half of a 100x100 frame: y from 50 to 100.
LOWER_HALF = [(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)]


def make_zone(**fields) -> Zone:
    return Zone(**{"id": "lane", "name": "Lane", "polygon": LOWER_HALF, **fields})


def boxes(*xyxy, names=None) -> Detections:
    n = len(xyxy)
    return Detections(
        xyxy=np.array(xyxy, dtype=np.float32).reshape(-1, 4),
        confidence=np.full(n, 0.9),
        class_id=np.full(n, 2),
        class_name=np.array(names if names is not None else ["car"] * n, dtype=object),
    )


@pytest.mark.parametrize(
    "box, anchor, inside",
    [
        pytest.param((40, 30, 60, 60), "bottom_center", True, id="straddling: bottom in"),
        pytest.param((40, 30, 60, 60), "center", False, id="straddling: centre out"),
        pytest.param((40, 40, 60, 70), "center", True, id="mostly in: centre in"),
        pytest.param((40, 10, 60, 40), "bottom_center", False, id="above the lane"),
        pytest.param((40, 80, 60, 100), "bottom_center", True, id="touching the frame's bottom edge"),
        pytest.param((40, 20, 60, 50), "bottom_center", True, id="anchor exactly on the zone edge"),
    ],
)
def test_anchor(box, anchor, inside):
    zone = PolygonZone(make_zone(anchor=anchor), 100, 100)
    assert zone.contains(boxes(box)).tolist() == [inside]


@pytest.mark.parametrize(
    "min_overlap, expected",
    [
        # Boxes of area 400 with 0, 25, 50, 75 and 100 % of their area below y=50.
        pytest.param(0.01, [False, True, True, True, True], id="any overlap"),
        pytest.param(0.25, [False, True, True, True, True], id="a quarter"),
        pytest.param(0.5, [False, False, True, True, True], id="half"),
        pytest.param(0.75, [False, False, False, True, True], id="three quarters"),
        pytest.param(1.0, [False, False, False, False, True], id="wholly inside"),
    ],
)
def test_min_overlap(min_overlap, expected):
    zone = PolygonZone(make_zone(min_overlap=min_overlap, anchor="center"), 100, 100)
    detections = boxes((0, 20, 20, 40), (20, 35, 40, 55), (40, 40, 60, 60), (60, 45, 80, 65), (80, 60, 100, 80))
    assert zone.contains(detections).tolist() == expected


def test_min_overlap_overrides_anchor():
    # Bottom-centre is inside, but only 10 % of the box is.
    zone = PolygonZone(make_zone(min_overlap=0.5), 100, 100)
    assert zone.contains(boxes((40, 0, 60, 55))).tolist() == [False]


def test_degenerate_box_is_never_inside_by_overlap():
    zone = PolygonZone(make_zone(min_overlap=0.5), 100, 100)
    assert zone.contains(boxes((50, 70, 50, 90))).tolist() == [False]


@pytest.mark.parametrize(
    "classes, names, expected",
    [
        pytest.param(
            ["car", "truck", "bus", "motorcycle"],
            ["car", "person", "truck", "bicycle"],
            [True, False, True, False],
            id="default vehicles",
        ),
        pytest.param(["person"], ["car", "person", "truck", "bicycle"], [False, True, False, False], id="people only"),
        pytest.param(["bus"], ["car", "person", "truck", "bicycle"], [False, False, False, False], id="none match"),
    ],
)
def test_class_filter(classes, names, expected):
    zone = PolygonZone(make_zone(classes=classes), 100, 100)
    detections = boxes(*[(10 + 20 * i, 60, 20 + 20 * i, 90) for i in range(4)], names=names)
    mask = zone.contains(detections)
    assert mask.tolist() == expected
    assert len(detections[mask]) == sum(expected)


@pytest.mark.parametrize("width, height", [(640, 360), (1280, 720), (1920, 1080), (100, 400)])
def test_fraction_polygon_scales_with_frame(width, height):
    zone = PolygonZone(make_zone(polygon=[(0.25, 0.5), (0.75, 0.5), (0.75, 1.0), (0.25, 1.0)]), width, height)
    assert zone.polygon.dtype == np.int32
    assert zone.polygon.tolist() == [
        [width // 4, height // 2],
        [3 * width // 4, height // 2],
        [3 * width // 4, height],
        [width // 4, height],
    ]
    assert zone.bounding_rect() == (width // 4, height // 2, 3 * width // 4, height)
    # The same relative box is inside at every size; one just left of the zone is not.
    inside = (0.4 * width, 0.6 * height, 0.6 * width, 0.9 * height)
    left = (0.05 * width, 0.6 * height, 0.2 * width, 0.9 * height)
    assert zone.contains(boxes(inside, left)).tolist() == [True, False]


def test_empty_detections_give_empty_mask():
    for zone in (make_zone(), make_zone(min_overlap=0.5)):
        mask = PolygonZone(zone, 100, 100).contains(Detections.empty())
        assert mask.dtype == bool and mask.shape == (0,)


def test_bounding_rect_rounds_outwards():
    zone = PolygonZone(make_zone(polygon=[(0.101, 0.201), (0.499, 0.201), (0.3, 0.899)]), 100, 100)
    assert zone.bounding_rect() == (10, 20, 50, 90)


def test_zones_for_frame_places_each_zone():
    zones = [make_zone(id="a"), make_zone(id="b", polygon=[(0, 0), (1, 0), (1, 0.5)])]
    placed = zones_for_frame(zones, 320, 240)
    assert [p.zone.id for p in placed] == ["a", "b"]
    assert all(p.frame_size == (320, 240) for p in placed)


def test_bad_frame_size():
    with pytest.raises(ValueError, match="frame size"):
        PolygonZone(make_zone(), 0, 100)
