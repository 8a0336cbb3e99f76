"""The direct OpenVINO backend: looks packed on fixed sheets, boxes come back in each image's pixels."""

from __future__ import annotations

import av
import numpy as np
import pytest

from lanewatch.config import DetectorConfig


@pytest.mark.e2e
def test_boxes_map_back_to_the_image_at_any_scale(footage_dir, weights_path) -> None:
    """The same picture at 640x360 and upscaled to 1920x1080 gives the same boxes, ×3."""
    from lanewatch.detect.openvino_detector import OpenVinoDetector

    with av.open(str(footage_dir / "parking-aisle" / "lot-busy.mp4")) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="bgr24")
    import cv2

    big = cv2.resize(frame, (1920, 1080), interpolation=cv2.INTER_LINEAR)
    detector = OpenVinoDetector(DetectorConfig(weights=str(weights_path), imgsz=640), background_compile=False)
    small_found, big_found = detector.detect([frame, big])
    assert detector.input_size == (448, 640)  # the 640x360 picture alone, on the next sheet height
    assert len(small_found) >= 6
    matched = 0
    for box in small_found.xyxy[small_found.confidence > 0.5]:
        matched += np.abs(big_found.xyxy - box * 3).max(axis=1).min() < 12
    assert matched == int((small_found.confidence > 0.5).sum())
    assert (big_found.xyxy[:, 2] <= 1920).all() and (big_found.xyxy[:, 3] <= 1080).all()


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    top_left, bottom_right = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(bottom_right - top_left, 0, None).prod(axis=2)
    area = lambda boxes: (boxes[:, 2:] - boxes[:, :2]).prod(axis=1)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


@pytest.mark.e2e
def test_looks_of_many_shapes_share_sheets_with_the_results_of_one_at_a_time(footage_dir, weights_path) -> None:
    """Twelve cameras, each its own lane crop: a few sheets serve them all, nothing is compiled for their shapes,
    and each look gets its own boxes, in order, as if it had run alone."""
    from lanewatch.detect.openvino_detector import OpenVinoDetector

    with av.open(str(footage_dir / "parking-aisle" / "lot-busy.mp4")) as c:
        frames = [f.to_ndarray(format="bgr24") for _, f in zip(range(60), c.decode(video=0), strict=False)][::5]
    rng = np.random.default_rng(3)
    crops = []
    for frame in frames:
        y, x = int(rng.integers(100, 250)), int(rng.integers(0, 200))
        crops.append(frame[y : y + int(rng.integers(80, 360 - y)), x : x + int(rng.integers(300, 640 - x))])
    assert len({c.shape for c in crops}) == len(crops)
    detector = OpenVinoDetector(
        DetectorConfig(weights=str(weights_path), imgsz=640), threads=1, background_compile=False
    )
    compiled = detector.compiled_shapes
    assert compiled == [(h, 640) for h in detector.heights]
    together = detector.detect(crops)
    alone = [detector.detect([crop])[0] for crop in crops]
    assert detector.compiled_shapes == compiled  # no shape of a camera's own was ever compiled
    strong = matched = 0
    for got, expected, crop in zip(together, alone, crops, strict=True):
        assert (got.xyxy[:, [2, 3]] <= [crop.shape[1], crop.shape[0]]).all()
        sure = expected.xyxy[expected.confidence > 0.5]
        if len(sure):
            strong += len(sure)
            matched += int((iou(sure, got.xyxy).max(axis=1) > 0.8).sum()) if len(got) else 0
    assert strong >= 20 and matched >= 0.95 * strong


@pytest.mark.e2e
def test_looks_start_on_the_full_sheet_while_the_others_compile(weights_path) -> None:
    """Built in the background: the detector answers at once, and all heights are there after wait_ready."""
    from lanewatch.detect.openvino_detector import OpenVinoDetector

    detector = OpenVinoDetector(DetectorConfig(weights=str(weights_path), imgsz=640), threads=1)
    assert (640, 640) in detector.compiled_shapes
    assert detector.detect([np.zeros((100, 640, 3), np.uint8)])[0].xyxy.shape == (0, 4)
    assert detector.wait_ready(120) and detector.compiled_shapes == [(h, 640) for h in detector.heights]
