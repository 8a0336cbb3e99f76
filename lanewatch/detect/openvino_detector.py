"""YOLO on OpenVINO directly, the looks of many cameras packed onto a few fixed input shapes.

Why not through ultralytics: on this kind of CPU (AMX) ultralytics runs the
int8 OpenVINO model with a fixed square input, letterboxing every image into
``imgsz × imgsz``. A camera's lane crop is usually a wide strip (the front
row of ``lot-busy.mp4`` at 1920x1080 gives a 1920x600 crop), so two thirds
of each square inference were grey padding and the crop saved nothing.

Here each image is scaled so that its long side is ``imgsz`` (the same pixel
density as before) and the looks of a batch are packed onto sheets
(`lanewatch.detect.sheets`): ``imgsz`` wide, of one of a few fixed heights.
Measured on this CPU with 2 threads: 960x960 38 ms, 960x352 15 ms; three
960x300 lane strips share one 960x960 sheet. Every camera has its own lane,
hence its own crop shape; with an input per crop shape, 16 cameras of 16
lanes ran 3× slower than 16 of one lane (a compile of 0.6–2 s per shape,
landing inside looks, and no shared batches).

The input shapes are therefore fixed by ``imgsz`` alone: the full sheet is
compiled when the detector is built, every other height in a background
thread, and a look never waits for a compile (until a height is ready its
sheets use the next taller ready one). Memory is bounded by that fixed set,
whatever the number of cameras and lanes: at imgsz 960, six heights, about
340 MB in all. A sheet is its own batch: 16 looks of 16 different crops took
18.7 ms per look on sheets of batch 1 and 19.9 with batches of 4 sheets as
well, which doubled the memory (700 MB), so only batch 1 is compiled.

Boxes match ultralytics' own pipeline: bilinear resize, grey 114 padding,
the same confidence rule (the best of all 80 classes, then the class filter)
and class-aware NMS, done per tile so that no box straddles two looks.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

from lanewatch.config import DetectorConfig
from lanewatch.detect.detections import Detections
from lanewatch.detect.detector import class_ids_for
from lanewatch.detect.sheets import Sheet, pack, sheet_heights
from lanewatch.detect.weights import WeightsNotFoundError, resolve_weights

log = logging.getLogger(__name__)

PAD_GREY = 114
MAX_DETECTIONS = 300  # per look, as ultralytics keeps
COMPILE_TIMEOUT_S = 600.0


def render_sheet(sheet: Sheet, images: Sequence[np.ndarray], imgsz: int) -> np.ndarray:
    """The sheet's pixels (height, imgsz, 3) BGR uint8: each tile's image resized into place, grey elsewhere."""
    canvas = np.full((sheet.height, imgsz, 3), PAD_GREY, np.uint8)
    for tile in sheet.tiles:
        image = images[tile.index]
        if image.shape[:2] != (tile.height, tile.width):
            image = cv2.resize(image, (tile.width, tile.height), interpolation=cv2.INTER_LINEAR)
        canvas[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width] = image
    return canvas


def to_blob(canvas: np.ndarray) -> np.ndarray:
    """(1, 3, H, W) float32 RGB 0–1, the model's input, from a BGR uint8 sheet."""
    blob = canvas[None, ..., ::-1].transpose(0, 3, 1, 2).astype(np.float32)
    blob *= 1 / 255
    return blob


def tile_detections(
    raw: np.ndarray,
    sheet: Sheet,
    images: Sequence[np.ndarray],
    config: DetectorConfig,
    class_ids: Sequence[int],
    names: dict[int, str],
) -> list[Detections]:
    """(4 + classes, anchors) output of one sheet → each tile's boxes in its own image's pixels.

    A box belongs to the tile its centre lies in (none: it is dropped, it lies on the grey between)
    and is clipped to that tile; NMS runs per tile and class."""
    scores = raw[4:]
    best = scores.argmax(axis=0)
    confidence = scores[best, np.arange(scores.shape[1])]
    keep = (confidence > config.confidence) & np.isin(best, class_ids)
    empty = [Detections.empty() for _ in sheet.tiles]
    if not keep.any():
        return empty
    cx, cy, w, h = raw[:4, keep]
    confidence, best = confidence[keep], best[keep]
    rects = np.array([(t.x, t.y, t.x + t.width, t.y + t.height) for t in sheet.tiles], np.float32)
    inside = (
        (cx[:, None] >= rects[:, 0])
        & (cx[:, None] < rects[:, 2])
        & (cy[:, None] >= rects[:, 1])
        & (cy[:, None] < rects[:, 3])
    )
    has_tile = inside.any(axis=1)
    if not has_tile.any():
        return empty
    tile_of = inside.argmax(axis=1)[has_tile]
    cx, cy, w, h, confidence, best = (a[has_tile] for a in (cx, cy, w, h, confidence, best))
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    own = rects[tile_of]
    xyxy = np.clip(xyxy, own[:, [0, 1, 0, 1]], own[:, [2, 3, 2, 3]])
    xywh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1)
    groups = tile_of * (max(names) + 1) + best
    chosen = cv2.dnn.NMSBoxesBatched(xywh.tolist(), confidence.tolist(), groups.tolist(), config.confidence, config.iou)
    kept = np.asarray(chosen, dtype=np.int64).reshape(-1)
    kept = kept[np.argsort(-confidence[kept], kind="stable")]
    result = []
    for k, tile in enumerate(sheet.tiles):
        mine = kept[tile_of[kept] == k][:MAX_DETECTIONS]
        if not len(mine):
            result.append(Detections.empty())
            continue
        boxes = (xyxy[mine] - np.array([tile.x, tile.y, tile.x, tile.y], np.float32)) / tile.scale
        image_h, image_w = images[tile.index].shape[:2]
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, image_w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, image_h)
        class_id = best[mine].astype(np.int64)
        result.append(
            Detections(boxes, confidence[mine], class_id, np.array([names[int(c)] for c in class_id], dtype=object))
        )
    return result


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
    """Batched detector over an OpenVINO IR YOLO model; thread-safe (one inference at a time).

    Attributes:
        input_size: (height, width) of the last sheet inferred.
        heights: every sheet height this detector uses (its only input shapes, with ``imgsz`` as width).
    """

    def __init__(self, config: DetectorConfig, *, threads: int | None = None, background_compile: bool = True) -> None:
        import openvino as ov

        self.config = config
        self.weights = resolve_weights(config.weights)
        xml = model_xml(self.weights)
        metadata = (
            yaml.safe_load((xml.parent / "metadata.yaml").read_text())
            if (xml.parent / "metadata.yaml").is_file()
            else {}
        )
        self.names: dict[int, str] = {int(k): str(v) for k, v in (metadata.get("names") or {}).items()}
        if not self.names:
            raise WeightsNotFoundError(f"{xml.parent}: metadata.yaml with the class names is missing")
        self.class_ids = class_ids_for(self.names, config.classes)
        self._core = ov.Core()
        self._xml = xml
        self._threads = threads or config.threads or max(1, os.cpu_count() or 1)
        self.heights = sheet_heights(config.imgsz)
        self._compiled: dict[int, Callable[[np.ndarray], Any]] = {}  # sheet height -> compiled model; a fixed set
        self._lock = threading.Lock()  # one inference at a time
        self.input_size: tuple[int, int] | None = None
        self._compile(config.imgsz)  # the full sheet serves every look until the others are ready
        pending = [h for h in reversed(self.heights) if h != config.imgsz]
        self._closing = threading.Event()
        self._compiler = threading.Thread(
            target=self._compile_all, args=(pending,), daemon=True, name="lanewatch-openvino-compile"
        )
        if background_compile:
            self._compiler.start()
        else:
            self._compile_all(pending)

    def _compile(self, height: int) -> None:
        model = self._core.read_model(str(self._xml))
        model.reshape([1, 3, height, self.config.imgsz])
        compiled = self._core.compile_model(
            model, "CPU", {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": self._threads}
        )
        self._compiled[height] = compiled

    def _compile_all(self, pending: list[int]) -> None:
        for height in pending:
            if self._closing.is_set():
                return
            try:
                self._compile(height)
            except Exception:  # the full sheet still serves: slower, never wrong
                log.exception("compiling the %dx%d detector input failed", height, self.config.imgsz)

    def close(self) -> None:
        """Skip the compiles not yet begun and wait for the running one.

        A process that exits while OpenVINO compiles in a thread dies in C++ ("terminate called
        without an active exception"), so the worker calls this before it exits.
        """
        self._closing.set()
        if self._compiler.is_alive():
            self._compiler.join()

    def wait_ready(self, timeout_s: float = COMPILE_TIMEOUT_S) -> bool:
        """Block until every input shape is compiled (benchmarks and tests time the steady state); True if so."""
        if self._compiler.is_alive():
            self._compiler.join(timeout_s)
        return not self._compiler.is_alive()

    @property
    def compiled_shapes(self) -> list[tuple[int, int]]:
        """(height, width) of each compiled input: the fixed set, whatever the cameras' crops (tests check it)."""
        return sorted((h, self.config.imgsz) for h in list(self._compiled))

    def detect(self, images: Sequence[np.ndarray]) -> list[Detections]:
        if not images:
            return []
        imgsz = self.config.imgsz
        ready = tuple(h for h in self.heights if h in self._compiled)
        sheets = pack([image.shape[:2] for image in images], imgsz, ready)
        out = [Detections.empty()] * len(images)
        with self._lock:
            for sheet in sheets:
                blob = to_blob(render_sheet(sheet, images, imgsz))
                raw = next(iter(self._compiled[sheet.height](blob).values()))[0]
                found = tile_detections(raw, sheet, images, self.config, self.class_ids, self.names)
                for tile, boxes in zip(sheet.tiles, found, strict=True):
                    out[tile.index] = boxes
                self.input_size = (sheet.height, imgsz)
        return out
