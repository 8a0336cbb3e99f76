"""Fixtures for end-to-end runs: one real detector per inference size, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanewatch.config import DetectorConfig

_DETECTORS: dict[int, object] = {}


@pytest.fixture(scope="session")
def make_detector(weights_path: Path):
    """``make_detector(imgsz)`` → a shared UltralyticsDetector at that size."""
    from lanewatch.detect.ultralytics_detector import UltralyticsDetector

    def make(imgsz: int, classes: list[str] | None = None):
        key = (imgsz, tuple(classes or ()))
        if key not in _DETECTORS:
            config = DetectorConfig(weights=str(weights_path), imgsz=imgsz,
                                    **({"classes": classes} if classes else {}))
            _DETECTORS[key] = UltralyticsDetector(config)
        return _DETECTORS[key]

    return make
