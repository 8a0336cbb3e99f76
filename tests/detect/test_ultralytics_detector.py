"""The ultralytics backend on the real shared weights."""

from __future__ import annotations

import av
import pytest

from lanewatch.config import DetectorConfig
from lanewatch.detect.detector import UnknownClassError, class_ids_for


def _frames(footage_dir, every: int = 48):
    with av.open(str(footage_dir / "parking-aisle" / "lot-busy.mp4")) as c:
        return [f.to_ndarray(format="bgr24") for i, f in enumerate(c.decode(video=0)) if i % every == 0]


@pytest.mark.e2e
def test_batch_returns_one_detections_per_frame_with_vehicle_classes(footage_dir, weights_path) -> None:
    from lanewatch.detect.ultralytics_detector import UltralyticsDetector

    detector = UltralyticsDetector(DetectorConfig(weights=str(weights_path), imgsz=960, batch_size=4))
    frames = _frames(footage_dir)
    results = detector.detect(frames)
    assert len(results) == len(frames) == 10
    assert detector.input_size == (960, 960)  # the size asked for, not the export's 640
    for found in results:
        assert len(found) >= 6  # the six cars parked in the front row, at least
        assert set(found.class_name) <= {"car", "truck", "bus", "motorcycle"}
        assert (found.xyxy[:, 2] <= 640.5).all() and (found.xyxy[:, 3] <= 360.5).all()  # frame pixels
        assert (found.confidence >= 0.25).all()
    assert detector.detect([]) == []


def test_class_names_map_to_ids_and_typos_are_explained() -> None:
    names = {0: "person", 2: "car", 7: "truck"}
    assert class_ids_for(names, ["Truck", "car"]) == [2, 7]
    with pytest.raises(UnknownClassError, match=r"'lorry'.*car, person, truck"):
        class_ids_for(names, ["lorry"])
