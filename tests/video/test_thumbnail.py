"""The cheap thumbnail must equal OpenCV's plain area resize (what the gate's thresholds were tuned on)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lanewatch.video.thumbnail import area_reduce, area_thumbnail


@pytest.mark.parametrize(
    "shape,size",
    [
        ((1080, 1920, 3), (32, 32)),
        ((1080, 1920, 3), (96, 54)),
        ((720, 1280), (64, 36)),
        ((361, 641, 3), (40, 23)),  # odd sizes: a few edge rows/columns are cut before the exact reduction
        ((50, 60, 3), (32, 32)),  # too small to pre-reduce: passes straight through
    ],
)
def test_area_thumbnail_matches_a_plain_area_resize(shape, size) -> None:
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    scene = (x * 180 // shape[1] + y * 60 // shape[0]).astype(np.uint8)  # a smooth gradient, like light
    image = np.clip(scene[..., None] if len(shape) == 3 else scene, 0, 255)
    image = np.broadcast_to(image, shape).astype(np.int16) + rng.normal(0, 12, shape).astype(np.int16)
    image = np.clip(image, 0, 255).astype(np.uint8)
    fast = area_thumbnail(image, *size)
    plain = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    assert fast.shape == plain.shape
    assert np.abs(fast.astype(int) - plain.astype(int)).max() <= 3  # same averages, up to edge cuts and rounding


def test_the_pre_reduction_is_an_exact_whole_factor() -> None:
    image = np.zeros((1080, 1920, 3), np.uint8)
    reduced = area_reduce(image, 32, 32)
    assert reduced.shape[:2] == (1080 // 16, 1920 // 16)
    assert 1080 % 16 == 8 and reduced.shape[0] == 67  # 8 edge rows cut so the factor is whole
