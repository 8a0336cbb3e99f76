"""DecodedPicture and lazy frames: grey thumbnails from the luma plane mean what BGR ones do, BGR only on demand."""

from __future__ import annotations

from datetime import UTC, datetime

import av
import numpy as np
import pytest

from lanewatch.video.frame import Frame
from lanewatch.video.picture import DecodedPicture, scaled_size, to_bgr
from lanewatch.video.thumbnail import grey_thumbnail

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def textured(height: int = 360, width: int = 640, seed: int = 0) -> np.ndarray:
    """Blocks of random colour over the whole grey range, dark and bright ones included."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(height // 20, width // 20, 3), dtype=np.uint8)
    return np.repeat(np.repeat(blocks, 20, axis=0), 20, axis=1)


def picture(bgr: np.ndarray, pixel_format: str) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(bgr, format="bgr24").reformat(format=pixel_format)


@pytest.mark.parametrize("pixel_format", ["yuv420p", "yuvj420p", "nv12", "yuv444p", "gray"])
def test_a_luma_thumbnail_matches_the_grey_of_the_converted_picture(pixel_format: str) -> None:
    """Limited-range luma (16-235) is stretched, full-range is not: thresholds in grey levels keep their meaning."""
    decoded = DecodedPicture(picture(textured(), pixel_format))
    from_luma = decoded.grey_thumbnail(32, 18).astype(int)
    from_bgr = grey_thumbnail(decoded.bgr(), 32, 18).astype(int)
    assert from_luma.shape == (18, 32)
    assert np.abs(from_luma - from_bgr).max() <= 3
    assert from_luma.min() < 40 and from_luma.max() > 215  # the range really is 0-255, not 16-235


def test_a_picture_is_converted_to_bgr_once_and_only_when_asked() -> None:
    decoded = DecodedPicture(picture(textured(), "yuv420p"))
    decoded.grey_thumbnail(64, 36)
    assert not decoded.converted
    first = decoded.bgr()
    assert decoded.converted and first.shape == (360, 640, 3)
    assert decoded.bgr() is first


def test_max_width_scales_the_bgr_image_and_its_reported_size() -> None:
    decoded = DecodedPicture(picture(textured(), "yuv420p"), max_width=320)
    assert decoded.size == (320, 180) == scaled_size(640, 360, 320)
    assert decoded.bgr().shape == (180, 320, 3)
    assert scaled_size(640, 360, 1280) == (640, 360) and scaled_size(640, 360, None) == (640, 360)


def test_a_format_without_a_luma_plane_is_thumbnailed_from_its_bgr_image() -> None:
    raw = av.VideoFrame.from_ndarray(textured(), format="rgb24")
    assert not DecodedPicture.has_luma(raw)
    decoded = DecodedPicture(raw)
    assert np.array_equal(decoded.grey_thumbnail(32, 18), grey_thumbnail(to_bgr(raw), 32, 18))


def test_a_lazy_frame_knows_its_size_and_thumbnails_without_converting() -> None:
    frame = Frame("cam", DecodedPicture(picture(textured(), "yuv420p")), T0, 1.0, 0)
    assert (frame.width, frame.height) == (640, 360)
    thumbnail = frame.grey_thumbnail(160, 90)
    assert frame.grey_thumbnail(160, 90) is thumbnail  # cached: the gate's decide and mark_inferred share it
    assert not frame.converted
    assert frame.image.shape == (360, 640, 3) and frame.converted
    assert frame.grey_thumbnail(160, 90) is thumbnail  # still the luma one after conversion: no switch mid-camera


def test_a_frame_made_from_an_array_thumbnails_that_array() -> None:
    image = textured()
    frame = Frame("cam", image, T0, 1.0, 0)
    assert frame.image is image and frame.converted
    assert np.array_equal(frame.grey_thumbnail(32, 18), grey_thumbnail(image, 32, 18))


def test_frames_stay_immutable_and_need_an_aware_timestamp() -> None:
    frame = Frame("cam", textured(), T0, 1.0, 0)
    with pytest.raises(AttributeError, match="immutable"):
        frame.offset_s = 2.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="timezone-aware"):
        Frame("cam", textured(), datetime(2024, 5, 1, 8, 0), 1.0, 0)
