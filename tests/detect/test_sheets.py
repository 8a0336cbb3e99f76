"""Sheets: the looks of a batch packed onto a few fixed input shapes, each tile on its own, none straddling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lanewatch.config import DetectorConfig
from lanewatch.detect.openvino_detector import render_sheet, tile_detections
from lanewatch.detect.sheets import GAP, STRIDE, Sheet, Tile, pack, scaled_size, sheet_heights


@pytest.mark.parametrize(
    ("imgsz", "expected"),
    [
        (960, (160, 320, 480, 640, 800, 960)),
        (640, (128, 224, 320, 448, 544, 640)),
        (1280, (224, 448, 640, 864, 1088, 1280)),
    ],
)
def test_sheet_heights_are_a_few_stride_multiples_ending_at_imgsz(imgsz, expected) -> None:
    heights = sheet_heights(imgsz)
    assert heights == expected and all(h % STRIDE == 0 for h in heights)


def overlaps(a: Tile, b: Tile) -> bool:
    """True when the two tiles come closer than GAP pixels."""
    return not (
        a.x + a.width + GAP <= b.x
        or b.x + b.width + GAP <= a.x
        or a.y + a.height + GAP <= b.y
        or b.y + b.height + GAP <= a.y
    )


@pytest.mark.parametrize("seed", range(8))
def test_every_look_gets_one_tile_at_its_own_density_apart_from_the_others(seed) -> None:
    rng = np.random.default_rng(seed)
    sizes = [(int(rng.integers(40, 1080)), int(rng.integers(40, 1920))) for _ in range(int(rng.integers(1, 40)))]
    sheets = pack(sizes, 960)
    tiles = sorted((t for s in sheets for t in s.tiles), key=lambda t: t.index)
    assert [t.index for t in tiles] == list(range(len(sizes)))
    for tile, (h, w) in zip(tiles, sizes, strict=True):
        assert max(tile.height, tile.width) == 960 and tile.scale == pytest.approx(960 / max(h, w))
        assert (tile.height, tile.width) == scaled_size(h, w, 960)[:2]
    for sheet in sheets:
        assert sheet.height in sheet_heights(960)
        assert all(
            t.x >= 0 and t.y >= 0 and t.x + t.width <= 960 and t.y + t.height <= sheet.height for t in sheet.tiles
        )
        assert not any(overlaps(a, b) for a, b in itertools.combinations(sheet.tiles, 2))


def test_three_lane_strips_share_one_sheet_and_a_lone_strip_gets_a_short_one() -> None:
    """Three cameras with 1920x600 lane crops: one 960x960 inference, not three; one camera: 960x320."""
    assert [(s.height, len(s.tiles)) for s in pack([(600, 1920)] * 3, 960)] == [(960, 3)]
    assert [(s.height, len(s.tiles)) for s in pack([(600, 1920)], 960)] == [(320, 1)]
    assert [s.height for s in pack([(1080, 1920)], 640)] == [448]  # 360 px of picture


def test_sheets_follow_the_pixels_not_the_number_of_shapes() -> None:
    """Sixteen different lane strips need about as many sheets as sixteen copies of the largest."""
    own = [(300 + 10 * i, 1920 - 30 * i) for i in range(16)]
    same = [max(own, key=lambda s: s[0] / s[1])] * 16
    assert len(pack(own, 960)) <= len(pack(same, 960))


def test_the_ready_heights_are_the_only_ones_used() -> None:
    """Until the short heights are compiled, looks go on the full sheet."""
    assert {s.height for s in pack([(100, 1920), (500, 1920)], 960, (960,))} == {960}


def test_portrait_crops_stand_side_by_side() -> None:
    sheets = pack([(1080, 300)] * 3, 960)
    assert len(sheets) == 1 and {t.y for t in sheets[0].tiles} == {0} and len({t.x for t in sheets[0].tiles}) == 3


def test_render_sheet_puts_each_picture_in_its_tile_on_grey() -> None:
    images = [np.full((600, 1920, 3), 10 * (i + 1), np.uint8) for i in range(2)]
    sheet = pack([im.shape[:2] for im in images], 960)[0]
    canvas = render_sheet(sheet, images, 960)
    assert canvas.shape == (sheet.height, 960, 3)
    for tile in sheet.tiles:
        assert (canvas[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width] == 10 * (tile.index + 1)).all()
    assert (canvas[300:316] == 114).all()  # the gap between the two strips


def raw_output(boxes: list[tuple[float, float, float, float, int, float]], classes: int = 80) -> np.ndarray:
    """A model output (4 + classes, anchors) holding the given (cx, cy, w, h, class, score) boxes."""
    raw = np.zeros((4 + classes, len(boxes)), np.float32)
    for k, (cx, cy, w, h, cls, score) in enumerate(boxes):
        raw[:4, k] = cx, cy, w, h
        raw[4 + cls, k] = score
    return raw


def test_a_box_belongs_to_the_tile_of_its_centre_is_clipped_to_it_and_maps_back_to_its_image() -> None:
    names = {i: f"c{i}" for i in range(80)}
    names[2] = "car"
    top, bottom = Tile(0, 0, 0, 960, 300, 0.5), Tile(1, 0, 316, 960, 300, 0.5)
    sheet = Sheet(640, [top, bottom])
    images = [np.zeros((600, 1920, 3), np.uint8)] * 2
    raw = raw_output(
        [
            (100, 280, 80, 80, 2, 0.9),  # centre in the top tile, reaching into the gap and the bottom tile
            (500, 400, 60, 40, 2, 0.8),  # the bottom tile
            (500, 308, 60, 40, 2, 0.95),  # centre on the grey gap: nobody's
            (700, 100, 60, 40, 0, 0.9),  # a class not asked for
        ]
    )
    found = tile_detections(raw, sheet, images, DetectorConfig(), [2, 3, 5, 7], names)
    assert [len(f) for f in found] == [1, 1]
    assert found[0].xyxy[0].tolist() == pytest.approx([120, 480, 280, 600])  # clipped at the tile's bottom
    assert found[1].xyxy[0].tolist() == pytest.approx([940, 128, 1060, 208])  # (y - 316) / 0.5
    assert list(found[1].class_name) == ["car"]


def test_the_same_box_in_two_tiles_is_kept_in_both() -> None:
    """NMS runs per tile: two cameras that see a car at the same place each keep it."""
    names = {i: str(i) for i in range(80)}
    sheet = Sheet(960, [Tile(0, 0, 0, 470, 470, 1.0), Tile(1, 486, 0, 470, 470, 1.0)])
    raw = raw_output([(460, 200, 40, 40, 2, 0.9), (490, 200, 40, 40, 2, 0.9)])
    found = tile_detections(raw, sheet, [np.zeros((470, 470, 3), np.uint8)] * 2, DetectorConfig(), [2], names)
    assert [len(f) for f in found] == [1, 1]
