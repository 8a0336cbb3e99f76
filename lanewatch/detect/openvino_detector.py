"""YOLO on OpenVINO directly, at a rectangular input shaped like each image.

Why not through ultralytics: on this kind of CPU (AMX) ultralytics runs the
int8 OpenVINO model with a fixed square input, letterboxing every image into
``imgsz × imgsz``. A camera's lane crop is usually a wide strip (the front
row of ``lot-busy.mp4`` at 1920x1080 gives a 1920x600 crop), so two thirds
of each square inference were grey padding and the crop saved nothing.
Here each image is scaled so that its long side is ``imgsz`` (the same pixel
density as before) and padded only up to the next multiple of 32: that crop
runs at 960x320. Measured on this CPU with 2 threads: 960x960 38 ms,
960x352 15 ms, 1280x1280 58 ms, 1280x448 23 ms.

Looks of the same input shape (cameras with the same crop) run in batches of
4 (the rest one by one): with one inference thread a batch of 4 costs 15.1 ms
per look against 18.6 ms one at a time (960x256; 8: 14.2, 2: 16.7). Each
compiled (batch, shape) costs 90–280 MB of memory, so only batches of 4 and 1
are compiled, once per input shape (about 0.6 s each), and kept in a small
LRU cache: a camera's crop has one shape, so a few shapes serve many cameras.
Results match ultralytics' own pipeline: the same letterbox (bilinear resize,
grey 114 padding, centred), the same confidence rule (the best of all 80
classes, then the class filter) and class-aware NMS.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import yaml

from lanewatch.config import DetectorConfig
from lanewatch.detect.detections import Detections
from lanewatch.detect.detector import class_ids_for
from lanewatch.detect.weights import WeightsNotFoundError, resolve_weights

log = logging.getLogger(__name__)

STRIDE = 32
PAD_GREY = 114
MAX_DETECTIONS = 300
BATCH_SIZES = (4, 1)  # compiled batch sizes; a group of looks is split into these, largest first


def input_shape(height: int, width: int, imgsz: int) -> tuple[int, int, float]:
    """(input height, input width, scale) for an image: long side to ``imgsz``, padded to multiples of 32."""
    scale = imgsz / max(height, width)
    content_h, content_w = round(height * scale), round(width * scale)
    return (max(STRIDE, math.ceil(content_h / STRIDE) * STRIDE),
            max(STRIDE, math.ceil(content_w / STRIDE) * STRIDE), scale)


def letterbox(image: np.ndarray, imgsz: int) -> tuple[np.ndarray, float, tuple[int, int]]:
    """The model's input blob (1, 3, H, W) float32 RGB 0–1, the scale and the (left, top) padding."""
    height, width = image.shape[:2]
    in_h, in_w, scale = input_shape(height, width, imgsz)
    content_w, content_h = round(width * scale), round(height * scale)
    if (content_w, content_h) != (width, height):
        image = cv2.resize(image, (content_w, content_h), interpolation=cv2.INTER_LINEAR)
    pad_w, pad_h = (in_w - content_w) / 2, (in_h - content_h) / 2
    top, bottom = round(pad_h - 0.1), round(pad_h + 0.1)
    left, right = round(pad_w - 0.1), round(pad_w + 0.1)
    padded = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                value=(PAD_GREY, PAD_GREY, PAD_GREY))
    blob = np.ascontiguousarray(padded[..., ::-1].transpose(2, 0, 1))[None].astype(np.float32)
    blob *= 1 / 255
    return blob, scale, (left, top)


def model_xml(weights: str) -> Path:
    """The .xml of an OpenVINO IR folder (or the .xml itself)."""
    path = Path(weights)
    if path.is_file() and path.suffix == ".xml":
        return path
    found = sorted(path.glob("*.xml")) if path.is_dir() else []
    if not found:
        raise WeightsNotFoundError(f"no OpenVINO model (*.xml) in {path}")
    return found[0]


def is_openvino_folder(weights: str) -> bool:
    path = Path(weights)
    return (path.is_dir() and any(path.glob("*.xml"))) or (path.is_file() and path.suffix == ".xml")


class OpenVinoDetector:
    """Batched detector over an OpenVINO IR YOLO model; thread-safe (one inference at a time)."""

    def __init__(self, config: DetectorConfig, *, threads: int | None = None, max_models: int = 8) -> None:
        import openvino as ov

        self.config = config
        self.weights = resolve_weights(config.weights)
        xml = model_xml(self.weights)
        metadata = yaml.safe_load((xml.parent / "metadata.yaml").read_text()) if (xml.parent / "metadata.yaml").is_file() else {}
        self.names: dict[int, str] = {int(k): str(v) for k, v in (metadata.get("names") or {}).items()}
        if not self.names:
            raise WeightsNotFoundError(f"{xml.parent}: metadata.yaml with the class names is missing")
        self.class_ids = class_ids_for(self.names, config.classes)
        self._core = ov.Core()
        self._xml = xml
        self._threads = threads or config.threads or max(1, os.cpu_count() or 1)
        self._compiled: OrderedDict[tuple[int, int, int], object] = OrderedDict()
        self._max_models = max_models  # compiled (batch, shape) pairs kept
        self._lock = threading.Lock()
        self.input_size: tuple[int, int] | None = None
        """(height, width) of the last inference."""

    def _model_for(self, batch: int, shape: tuple[int, int]):
        key = (batch, *shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            model = self._core.read_model(str(self._xml))
            model.reshape([batch, 3, *shape])
            compiled = self._core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "LATENCY",
                                                               "INFERENCE_NUM_THREADS": self._threads})
            self._compiled[key] = compiled
            while len(self._compiled) > self._max_models:
                self._compiled.popitem(last=False)
        self._compiled.move_to_end(key)
        return compiled

    def detect(self, images: Sequence[np.ndarray]) -> list[Detections]:
        prepared = [letterbox(image, self.config.imgsz) for image in images]
        groups: dict[tuple[int, int], list[int]] = {}
        for i, (blob, _, _) in enumerate(prepared):
            groups.setdefault((blob.shape[2], blob.shape[3]), []).append(i)
        out = [Detections.empty()] * len(images)
        with self._lock:
            for shape, members in groups.items():
                while members:
                    size = next(n for n in BATCH_SIZES if n <= len(members))
                    chunk, members = members[:size], members[size:]
                    blob = np.concatenate([prepared[i][0] for i in chunk]) if size > 1 else prepared[chunk[0]][0]
                    raw = next(iter(self._model_for(size, shape)(blob).values()))
                    for row, i in zip(raw, chunk):
                        _, scale, pad = prepared[i]
                        out[i] = self._to_detections(row, scale, pad, images[i].shape[:2])
                self.input_size = shape
        return out

    def _to_detections(self, raw: np.ndarray, scale: float, pad: tuple[int, int],
                       size: tuple[int, int]) -> Detections:
        """(4 + classes, anchors) output → boxes in the image's pixels, as ultralytics' NMS keeps them."""
        scores = raw[4:]
        best = scores.argmax(axis=0)
        confidence = scores[best, np.arange(scores.shape[1])]
        keep = (confidence > self.config.confidence) & np.isin(best, self.class_ids)
        if not keep.any():
            return Detections.empty()
        cx, cy, w, h = raw[:4, keep]
        confidence, best = confidence[keep], best[keep]
        xywh = np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
        chosen = cv2.dnn.NMSBoxesBatched(xywh.tolist(), confidence.tolist(), best.tolist(),
                                         self.config.confidence, self.config.iou)
        chosen = np.asarray(chosen, dtype=np.int64).reshape(-1)[:MAX_DETECTIONS]
        chosen = chosen[np.argsort(-confidence[chosen], kind="stable")]
        xyxy = xywh[chosen].copy()
        xyxy[:, 2:] += xyxy[:, :2]
        xyxy -= np.array([pad[0], pad[1], pad[0], pad[1]], dtype=np.float32)
        xyxy /= scale
        height, width = size
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, width)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, height)
        class_id = best[chosen].astype(np.int64)
        return Detections(xyxy, confidence[chosen], class_id,
                          np.array([self.names[int(c)] for c in class_id], dtype=object))
