"""Fixtures for end-to-end runs: one real detector per inference size, loaded once.

Built as `lanewatch eval` and `serve` build theirs (`build_detector`: OpenVINO on its
fixed sheet shapes for the shared weights), but in the test's own process."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanewatch.config import DetectorConfig

_DETECTORS: dict[int, object] = {}


@pytest.fixture(scope="session")
def make_detector(weights_path: Path):
    """``make_detector(imgsz)`` → a shared in-process detector at that size."""
    from lanewatch.detect.factory import build_detector

    def make(imgsz: int, classes: list[str] | None = None):
        key = (imgsz, tuple(classes or ()))
        if key not in _DETECTORS:
            config = DetectorConfig(
                weights=str(weights_path), imgsz=imgsz, processes=0, **({"classes": classes} if classes else {})
            )
            _DETECTORS[key] = build_detector(config)
        return _DETECTORS[key]

    yield make
    for detector in _DETECTORS.values():  # a process exiting while OpenVINO compiles in a thread aborts in C++
        close = getattr(detector, "close", None)
        if close is not None:
            close()
