"""Pictures the API serves: a live frame with zones and boxes drawn on request, evidence crops, JPEG bytes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from lanewatch.detect.detections import Detections
from lanewatch.events.evidence import BOX_COLOUR, ZONE_COLOUR, draw_label
from lanewatch.words import name as words_of

CROP_MARGIN = 0.25  # of the box's width/height, on each side
MIN_MARGIN_PX = 16


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("could not encode the picture as JPEG")
    return buf.tobytes()


def decode_jpeg(data: bytes) -> np.ndarray | None:
    """The BGR picture, or None if `data` is not a readable image."""
    return cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)


def _scale(image: np.ndarray) -> tuple[float, int]:
    scale = max(0.4, min(image.shape[:2]) / 720)
    return scale, max(2, round(scale * 3))


def draw_zones(image: np.ndarray, zones: Iterable[tuple[str, Sequence[Sequence[float]]]]) -> np.ndarray:
    """Each (name, polygon as fractions of the frame) outlined, lightly filled and labelled, in place."""
    h, w = image.shape[:2]
    scale, thick = _scale(image)
    for name, polygon in zones:
        points = np.round(np.asarray(polygon, dtype=np.float64) * (w, h)).astype(np.int32).reshape(-1, 1, 2)
        overlay = image.copy()
        cv2.fillPoly(overlay, [points], ZONE_COLOUR)
        cv2.addWeighted(overlay, 0.2, image, 0.8, 0, dst=image)
        cv2.polylines(image, [points], True, ZONE_COLOUR, thick, cv2.LINE_AA)
        top = points[:, 0, :][np.argmin(points[:, 0, 1])]
        draw_label(image, name, (int(top[0]), int(top[1]) - 4), 0.5 * scale, (0, 140, 170))
    return image


def draw_detections(image: np.ndarray, detections: Detections) -> np.ndarray:
    """Each box with its class (in the deployment's language), confidence and track id (when tracked), in place."""
    scale, thick = _scale(image)
    for (x1, y1, x2, y2), name, conf, track in zip(
        detections.xyxy, detections.class_name, detections.confidence, detections.tracker_id, strict=True
    ):
        x1, y1, x2, y2 = (round(float(v)) for v in (x1, y1, x2, y2))
        cv2.rectangle(image, (x1, y1), (x2, y2), BOX_COLOUR, thick, cv2.LINE_AA)
        text = f"{words_of('label', str(name))} {conf:.2f}" + (f" #{track}" if track >= 0 else "")
        draw_label(image, text, (x1, y1 - 4), 0.5 * scale, BOX_COLOUR)
    return image


def crop_box(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The part of `image` around `box` (fractions x1, y1, x2, y2) with a margin; all of it for an empty box."""
    if not all(np.isfinite(v) for v in box):
        return image
    h, w = image.shape[:2]
    x1, x2 = sorted((box[0] * w, box[2] * w))
    y1, y2 = sorted((box[1] * h, box[3] * h))
    mx = max(MIN_MARGIN_PX, (x2 - x1) * CROP_MARGIN)
    my = max(MIN_MARGIN_PX, (y2 - y1) * CROP_MARGIN)
    left, right = int(max(0, np.floor(x1 - mx))), int(min(w, np.ceil(x2 + mx)))
    top, bottom = int(max(0, np.floor(y1 - my))), int(min(h, np.ceil(y2 + my)))
    if right - left < 2 or bottom - top < 2:
        return image
    return image[top:bottom, left:right]
