"""The direct OpenVINO backend: input shapes follow the image, boxes come back in the image's pixels."""

from __future__ import annotations

import av
import numpy as np
import pytest

from lanewatch.config import DetectorConfig
from lanewatch.detect.openvino_detector import input_shape, letterbox


@pytest.mark.parametrize(("size", "imgsz", "expected"), [
    ((1080, 1920), 960, (544, 960)),      # a full 1080p frame: long side to imgsz, short side padded to 32
    ((600, 1920), 960, (320, 960)),       # a lane strip: a third of the square's cost
    ((720, 1280), 1280, (736, 1280)),
    ((1080, 200), 640, (640, 128)),       # tall crops too
    ((40, 1920), 640, (32, 640)),         # never below one stride
])
def test_input_shape_keeps_the_long_side_at_imgsz(size, imgsz, expected) -> None:
    height, width, scale = input_shape(*size, imgsz)
    assert (height, width) == expected and scale == pytest.approx(imgsz / max(size))


def test_letterbox_centres_the_picture_in_grey() -> None:
    image = np.full((150, 300, 3), 200, np.uint8)
    blob, scale, (left, top) = letterbox(image, 96)
    assert blob.shape == (1, 3, 64, 96) and scale == pytest.approx(0.32)
    assert (left, top) == (0, 8)  # 48 px of picture, 8 px of grey above and below
    assert np.allclose(blob[0, :, :8], 114 / 255) and np.allclose(blob[0, :, 56:], 114 / 255)
    assert np.allclose(blob[0, :, 8:56], 200 / 255)


@pytest.mark.e2e
def test_boxes_map_back_to_the_image_at_any_scale(footage_dir, weights_path) -> None:
    """The same picture at 640x360 and upscaled to 1920x1080 gives the same boxes, ×3."""
    from lanewatch.detect.openvino_detector import OpenVinoDetector

    with av.open(str(footage_dir / "parking-aisle" / "lot-busy.mp4")) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="bgr24")
    import cv2

    big = cv2.resize(frame, (1920, 1080), interpolation=cv2.INTER_LINEAR)
    detector = OpenVinoDetector(DetectorConfig(weights=str(weights_path), imgsz=640))
    small_found, big_found = detector.detect([frame, big])
    assert detector.input_size == (384, 640)
    assert len(small_found) >= 6
    matched = 0
    for box in small_found.xyxy[small_found.confidence > 0.5]:
        matched += np.abs(big_found.xyxy - box * 3).max(axis=1).min() < 12
    assert matched == int((small_found.confidence > 0.5).sum())
    assert (big_found.xyxy[:, 2] <= 1920).all() and (big_found.xyxy[:, 3] <= 1080).all()


@pytest.mark.e2e
def test_looks_of_one_shape_run_batched_with_the_results_of_one_at_a_time(footage_dir, weights_path) -> None:
    """Seven crops of one shape (a batch of 4, then 3 one by one) and a full frame between them: each look gets
    its own boxes, in order, as if it had run alone."""
    from lanewatch.detect.openvino_detector import OpenVinoDetector

    with av.open(str(footage_dir / "parking-aisle" / "lot-busy.mp4")) as c:
        frames = [f.to_ndarray(format="bgr24") for _, f in zip(range(40), c.decode(video=0))][::5]
    crops = [frame[frame.shape[0] // 2:] for frame in frames[:7]]
    images = [*crops[:3], frames[7], *crops[3:]]
    detector = OpenVinoDetector(DetectorConfig(weights=str(weights_path), imgsz=640), threads=1)
    batched = detector.detect(images)
    alone = [detector.detect([image])[0] for image in images]
    assert {key[0] for key in detector._compiled} == {1, 4}
    for got, expected in zip(batched, alone, strict=True):
        assert len(got) == len(expected) and len(expected) > 0
        assert np.abs(got.xyxy - expected.xyxy).max() < 2 and (got.class_id == expected.class_id).all()
