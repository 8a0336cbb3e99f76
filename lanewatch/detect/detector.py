"""The one interface every detector backend implements.

Backends are plugins (ultralytics today; ONNX Runtime or Triton later). The
pipeline only knows this protocol: a batch of frames from any mix of
cameras in, one `Detections` per frame out, in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from lanewatch.detect.detections import Detections


class Detector(Protocol):
    """Batched object detector."""

    names: dict[int, str]
    """Class id → class name for everything the model knows."""

    def detect(self, images: Sequence[np.ndarray]) -> list[Detections]:
        """Detect objects in BGR uint8 images; returns one `Detections` per image."""
        ...


class UnknownClassError(ValueError):
    """A configured class name is not one the model knows."""


def class_ids_for(names: dict[int, str], wanted: Sequence[str]) -> list[int]:
    """Map class names to the model's ids, with an error that lists the valid names."""
    by_name = {n.lower(): i for i, n in names.items()}
    unknown = [w for w in wanted if w.lower() not in by_name]
    if unknown:
        raise UnknownClassError(
            f"unknown class name(s) {', '.join(map(repr, unknown))}; the model knows: {', '.join(sorted(by_name))}"
        )
    return sorted({by_name[w.lower()] for w in wanted})
