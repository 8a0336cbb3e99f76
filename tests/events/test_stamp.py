"""Evidence stamps in the deployment's language and time zone, drawn with a font that has Chinese glyphs."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from lanewatch.events.evidence import annotate, stamp_texts
from lanewatch.events.text import font_path, text_mask
from lanewatch.words import set_time_zone
from lanewatch.words.times import DEFAULT_TIME_ZONE
from tests.support.needs import unavailable

AT = datetime(2026, 6, 1, 8, 0, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _zone():
    yield
    set_time_zone(DEFAULT_TIME_ZONE)


@pytest.fixture
def cjk_font():
    if font_path() is None:
        unavailable("no CJK font (apt-get install fonts-noto-cjk, as `make setup` does)")


def test_stamp_words_are_chinese_by_default_and_english_on_request() -> None:
    zh = stamp_texts("car", "东门消防通道", 95.4, AT)
    en = stamp_texts("car", "East gate lane", 95.4, AT, "en")
    assert zh[0] == "小汽车 已停留 95 秒 · 东门消防通道"
    assert en[0] == "car 95s in East gate lane"


def test_stamp_time_is_the_deployments_wall_clock_with_its_offset() -> None:
    assert stamp_texts("car", "x", 1, AT)[1] == "2026-06-01 16:00:05 +08:00"  # Asia/Shanghai, not UTC
    set_time_zone("Europe/London")
    assert stamp_texts("car", "x", 1, AT)[1] == "2026-06-01 09:00:05 +01:00"


def test_chinese_text_draws_real_glyphs_not_boxes(cjk_font) -> None:
    masks = [text_mask(char, 32) for char in "东门消防"]
    assert all(mask.sum() > 10 for mask in masks)
    # Missing glyphs are drawn as identical boxes ("tofu"): four different characters must differ.
    shapes = {mask.shape for mask in masks}
    if len(shapes) == 1:
        assert len({mask.tobytes() for mask in masks}) == 4


def test_a_chinese_stamp_differs_from_the_english_one(cjk_font) -> None:
    image = np.full((360, 640, 3), 90, dtype=np.uint8)
    polygon = np.array([[60, 200], [580, 200], [580, 340], [60, 340]])
    box = (200.0, 220.0, 360.0, 320.0)
    zh = annotate(image, polygon, box, label="car", zone_name="东门消防通道", dwell_s=95, timestamp=AT)
    en = annotate(image, polygon, box, label="car", zone_name="East gate", dwell_s=95, timestamp=AT, lang="en")
    label_area = (slice(150, 220), slice(190, 640))
    assert (zh[label_area] != image[label_area]).any()  # something is drawn where the label goes
    assert (zh[label_area] != en[label_area]).any()
