"""Synthetic boxes for the tracking tests: no detector, no footage."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from lanewatch.detect.detections import Detections

COCO_IDS = {"person": 0, "car": 2, "motorcycle": 3, "bus": 5, "truck": 7}

# (xyxy, confidence, class name[, tracker id])
Box = tuple


def detections(boxes: Iterable[Box]) -> Detections:
    """Build `Detections` from (xyxy, confidence, name[, tracker_id]) tuples."""
    boxes = list(boxes)
    if not boxes:
        return Detections.empty()
    return Detections(
        xyxy=np.array([b[0] for b in boxes], dtype=np.float32),
        confidence=np.array([b[1] for b in boxes], dtype=np.float32),
        class_id=np.array([COCO_IDS[b[2]] for b in boxes]),
        class_name=np.array([b[2] for b in boxes], dtype=object),
        tracker_id=np.array([b[3] if len(b) > 3 else -1 for b in boxes]),
    )


def jitter(box: tuple[float, float, float, float], rng: np.random.Generator, px: float = 3.0) -> list[float]:
    """The box with each corner moved by up to `px` pixels, as a detector's boxes wobble."""
    return list(np.asarray(box, dtype=np.float64) + rng.uniform(-px, px, 4))


def shifted(box: tuple[float, float, float, float], dx: float, dy: float = 0.0) -> list[float]:
    x1, y1, x2, y2 = box
    return [x1 + dx, y1 + dy, x2 + dx, y2 + dy]
