"""Ultralytics YOLO backend (PyTorch, OpenVINO, ONNX ... whatever `YOLO()` loads).

Why the extra care: ultralytics pins the inference size of exported models
to the size in their metadata on some CPUs (static-shape OpenVINO on
AMX machines), silently ignoring ``imgsz``; overview CCTV needs 960–1280 px,
so the size is set on the backend after setup and checked. Such a
static-shape backend also recompiles whenever the batch size changes, and
measured here a batch of 4 costs no less per image than 4 single images, so
static backends are fed one image at a time; dynamic ones (PyTorch, GPU)
get real batches of ``batch_size``.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:  # ultralytics (and torch) load only when a detector is built
    from torch import Tensor
    from ultralytics.engine.results import Results

from lanewatch.config import DetectorConfig
from lanewatch.detect.detections import Detections
from lanewatch.detect.detector import class_ids_for
from lanewatch.detect.weights import DOWNLOAD_NAME, WEIGHTS_ENV, WeightsNotFoundError, resolve_weights

log = logging.getLogger(__name__)


def _prepare_ultralytics_env() -> None:
    """Keep ultralytics offline-friendly and quiet before it is imported."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_VERBOSE", "False")
    os.environ.setdefault("YOLO_CONFIG_DIR", os.path.join(tempfile.gettempdir(), "lanewatch-ultralytics"))


class UltralyticsDetector:
    """Batched detector around ``ultralytics.YOLO``; thread-safe (one inference at a time)."""

    def __init__(self, config: DetectorConfig) -> None:
        _prepare_ultralytics_env()
        import torch
        from ultralytics.models import YOLO  # where the class is declared public (__all__)

        torch.set_num_threads(max(1, os.cpu_count() or 1))  # ultralytics leaves 1 thread on 2 cores
        self.config = config
        self.weights = resolve_weights(config.weights)
        try:
            self._model = YOLO(self.weights, task="detect")
        except ConnectionError as exc:  # no weights configured and no internet for the download
            raise WeightsNotFoundError(
                f"no detector weights configured and {DOWNLOAD_NAME} could not be downloaded ({exc}); "
                f"pass --weights PATH, set {WEIGHTS_ENV}, or put a model in weights/ (see weights/README.md)"
            ) from None
        self.names: dict[int, str] = {int(k): str(v) for k, v in self._model.names.items()}
        self.class_ids = class_ids_for(self.names, config.classes)
        self._lock = threading.Lock()
        self._configured = False
        self._max_batch = config.batch_size

    @property
    def input_size(self) -> tuple[int, int] | None:
        """(height, width) the model actually runs at, once it has run."""
        predictor = self._model.predictor
        return tuple(predictor.imgsz) if predictor is not None and predictor.imgsz else None

    def _pin_imgsz(self) -> None:
        """Make an exported model honour ``config.imgsz`` (see module docstring)."""
        predictor = self._model.predictor
        assert predictor is not None  # _predict has run once (detect's warm-up)
        backend = getattr(predictor.model, "backend", None)
        if backend is not None and not getattr(backend, "dynamic", True):
            backend.imgsz = [self.config.imgsz, self.config.imgsz]
            if getattr(backend, "read_model", None) is not None:
                self._max_batch = 1
        self._configured = True

    def _predict(self, images: list[np.ndarray]) -> list[Results]:
        # stream=False: a list of Results (the tensor variants are for other call styles)
        return cast(
            "list[Results]",
            self._model.predict(
                images,
                imgsz=self.config.imgsz,
                conf=self.config.confidence,
                iou=self.config.iou,
                classes=self.class_ids,
                device=self.config.device,
                batch=len(images),
                verbose=False,
            ),
        )

    def detect(self, images: Sequence[np.ndarray]) -> list[Detections]:
        if not images:
            return []
        out: list[Detections] = []
        with self._lock:
            if not self._configured:
                self._predict([np.zeros((64, 64, 3), np.uint8)])  # sets up the predictor
                self._pin_imgsz()
            for start in range(0, len(images), self._max_batch):
                chunk = list(images[start : start + self._max_batch])
                out.extend(self._to_detections(r) for r in self._predict(chunk))
        return out

    def _to_detections(self, result: Results) -> Detections:
        boxes = result.boxes
        if boxes is None or len(boxes) == 0:
            return Detections.empty()
        class_id = _numpy(boxes.cls).astype(np.int64)
        return Detections(
            xyxy=_numpy(boxes.xyxy),
            confidence=_numpy(boxes.conf),
            class_id=class_id,
            class_name=np.array([self.names[int(c)] for c in class_id], dtype=object),
        )


def _numpy(values: Tensor | np.ndarray) -> np.ndarray:
    """A box field as numpy: ultralytics keeps tensors (on the model's device), or arrays for numpy inputs."""
    return values if isinstance(values, np.ndarray) else values.cpu().numpy()
