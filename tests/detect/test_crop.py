"""Crop planning: the rectangle around the lanes, cutting a look, and boxes back into frame pixels."""

from __future__ import annotations

import numpy as np
import pytest

from lanewatch.detect.crop import CropRect, drop_edge_boxes, plan_crop
from lanewatch.detect.detections import Detections

W, H = 640, 360


def rect(x1: int, y1: int, x2: int, y2: int) -> np.ndarray:
    return np.array([(x1, y1), (x2, y1), (x2, y2), (x1, y2)], dtype=np.int32)


def boxes(*xyxy: tuple[float, float, float, float]) -> Detections:
    n = len(xyxy)
    return Detections(
        xyxy=np.array(xyxy, dtype=np.float32).reshape(-1, 4),
        confidence=np.linspace(0.9, 0.5, n),
        class_id=np.full(n, 2),
        class_name=np.array(["car"] * n, dtype=object),
        tracker_id=np.arange(n) + 10,
    )


NO_MARGINS = {"margin": 0, "up_extra": 0}

PLANS = [
    # zone 200x100 in the middle: +30 px each side, +15 px below, 90 px (0.25 H) above
    ("middle", [rect(200, 150, 400, 250)], {}, CropRect(170, 60, 430, 265)),
    # a tall zone: clamped at the top by up_extra (90 px), at the bottom by the margin (45 px)
    ("tall", [rect(200, 40, 300, 340)], {}, CropRect(185, 0, 315, 360)),
    # lane along the bottom: clamped at the frame's left, right and bottom
    ("bottom band", [rect(0, 288, 640, 360)], {}, CropRect(0, 198, 640, 360)),
    ("union of two zones", [rect(50, 200, 150, 260), rect(400, 230, 500, 300)], {}, CropRect(0, 110, 568, 315)),
    ("no margins", [rect(200, 150, 400, 250)], NO_MARGINS, CropRect(200, 150, 400, 250)),
    # a tiny zone grows to min_size about its centre ...
    ("tiny", [rect(300, 200, 310, 204)], NO_MARGINS, CropRect(273, 170, 337, 234)),
    # ... pushed back inside the frame at a corner
    ("tiny in the corner", [rect(630, 355, 640, 360)], NO_MARGINS, CropRect(576, 296, 640, 360)),
    (
        "min_size above the frame's height",
        [rect(10, 10, 20, 20)],
        {**NO_MARGINS, "min_size": 500},
        CropRect(0, 0, 500, 360),
    ),
    ("no zones", [], {}, CropRect(0, 0, 640, 360)),
]


@pytest.mark.parametrize(("zones", "kwargs", "expected"), [p[1:] for p in PLANS], ids=[p[0] for p in PLANS])
def test_plan_crop(zones, kwargs, expected: CropRect) -> None:
    crop = plan_crop(zones, (W, H), **kwargs)
    assert crop == expected
    assert all(isinstance(v, int) for v in (crop.x1, crop.y1, crop.x2, crop.y2))
    assert 0 <= crop.x1 < crop.x2 <= W and 0 <= crop.y1 < crop.y2 <= H
    min_size = kwargs.get("min_size", 64)
    assert crop.width >= min(min_size, W) and crop.height >= min(min_size, H)
    for zone in zones:  # every zone is inside
        assert crop.x1 <= zone[:, 0].min() and zone[:, 0].max() <= crop.x2
        assert crop.y1 <= zone[:, 1].min() and zone[:, 1].max() <= crop.y2


def test_a_tall_vehicle_standing_in_the_zone_is_inside_the_crop() -> None:
    zone = rect(100, 250, 500, 330)
    crop = plan_crop([zone], (W, H))
    mid_van = (300, 290 - 0.25 * H, 360, 290)  # 0.25 H tall, bottom in the middle of the zone
    far_van = (300, 250 - 0.25 * H, 360, 250)  # bottom on the zone's far (top) edge
    for box in (mid_van, far_van):
        assert crop.x1 <= box[0] and box[2] <= crop.x2 and crop.y1 <= box[1] and box[3] <= crop.y2


def test_full_and_area_fraction() -> None:
    assert CropRect.full((W, H)) == CropRect(0, 0, W, H)
    assert CropRect.full((W, H)).area_fraction((W, H)) == 1.0
    assert CropRect.full((W, H)).is_full((W, H))
    assert CropRect(0, 180, 320, 360).area_fraction((W, H)) == pytest.approx(0.25)
    assert not CropRect(0, 180, 320, 360).is_full((W, H))


@pytest.mark.parametrize("bad", [(10, 10, 10, 20), (10, 20, 30, 5), (-1, 0, 5, 5)])
def test_a_rectangle_must_have_area(bad) -> None:
    with pytest.raises(ValueError):
        CropRect(*bad)


@pytest.mark.parametrize("channels", [3, None])
def test_apply_is_a_view_of_the_right_shape(channels) -> None:
    shape = (H, W, channels) if channels else (H, W)
    image = np.zeros(shape, np.uint8)
    crop = CropRect(100, 50, 420, 290)
    part = crop.apply(image)
    assert part.shape == (240, 320, *([channels] if channels else []))
    assert np.shares_memory(part, image)
    part[...] = 7
    assert image[50:290, 100:420].min() == 7 and image.sum() == 7 * part.size


@pytest.mark.parametrize("crop", [CropRect(100, 50, 420, 290), CropRect(0, 0, W, H), CropRect(0, 198, W, H)])
def test_to_frame_finds_a_box_drawn_in_the_frame(crop: CropRect) -> None:
    """A box found in the crop's pixels lands on the same frame pixels it was drawn on."""
    frame = np.zeros((H, W), np.uint8)
    drawn = (crop.x1 + 30, crop.y1 + 20, crop.x1 + 90, crop.y1 + 61)  # x2, y2 exclusive
    frame[drawn[1] : drawn[3], drawn[0] : drawn[2]] = 255
    ys, xs = np.nonzero(crop.apply(frame))
    found = boxes((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
    back = crop.to_frame(found)
    assert back.xyxy.tolist() == [list(map(float, drawn))]
    assert back.confidence.tolist() == found.confidence.tolist()
    assert back.tracker_id.tolist() == found.tracker_id.tolist()
    assert back.class_name.tolist() == ["car"]
    assert found.xyxy.tolist() == [[30.0, 20.0, 90.0, 61.0]]  # the input is left alone


def test_to_frame_of_nothing_is_nothing() -> None:
    out = CropRect(100, 50, 420, 290).to_frame(Detections.empty())
    assert len(out) == 0 and out.xyxy.shape == (0, 4)


INNER = CropRect(100, 50, 420, 290)  # inner borders on every side
BOTTOM = CropRect(0, 198, 640, 360)  # left, right and bottom are the frame's

NOT_TOP = {"edges": ("left", "right", "bottom")}  # for bottom_center anchors and tall vehicles

EDGE_CASES = [
    ("inside", INNER, (150, 100, 250, 200), {}, True),
    ("cut by the left border", INNER, (100, 100, 160, 200), {}, False),
    ("within tolerance of the left border", INNER, (101.5, 100, 160, 200), {}, False),
    ("just beyond tolerance", INNER, (103, 100, 160, 200), {}, True),
    ("cut by the top border", INNER, (150, 50, 250, 120), {}, False),
    ("cut by the right border", INNER, (380, 100, 420, 200), {}, False),
    ("cut by the bottom border", INNER, (150, 250, 250, 290), {}, False),
    ("top cut kept when top is not checked", INNER, (150, 50, 250, 120), NOT_TOP, True),
    ("left cut still dropped then", INNER, (100, 100, 160, 200), NOT_TOP, False),
    ("at the frame's left border", BOTTOM, (0, 250, 80, 330), {}, True),
    ("at the frame's right border", BOTTOM, (560, 250, 640, 330), {}, True),
    ("at the frame's bottom border", BOTTOM, (200, 300, 300, 360), {}, True),
    ("cut by the inner top border", BOTTOM, (200, 198, 300, 260), {}, False),
    ("everything at the frame's borders, full crop", CropRect(0, 0, W, H), (0, 0, 640, 360), {}, True),
]


@pytest.mark.parametrize(("crop", "box", "kwargs", "kept"), [c[1:] for c in EDGE_CASES], ids=[c[0] for c in EDGE_CASES])
def test_drop_edge_boxes(crop: CropRect, box, kwargs, kept: bool) -> None:
    out = drop_edge_boxes(boxes(box), crop, (W, H), **kwargs)
    assert len(out) == int(kept)


def test_drop_edge_boxes_keeps_order_and_fields() -> None:
    dets = boxes((150, 100, 250, 200), (100, 100, 160, 200), (200, 120, 300, 220))
    out = drop_edge_boxes(dets, INNER, (W, H))
    assert out.xyxy.tolist() == [[150, 100, 250, 200], [200, 120, 300, 220]]
    assert out.tracker_id.tolist() == [10, 12]
    assert len(drop_edge_boxes(Detections.empty(), INNER, (W, H))) == 0
    with pytest.raises(ValueError, match="unknown edges"):
        drop_edge_boxes(dets, INNER, (W, H), edges=("up",))
