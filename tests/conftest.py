"""Shared fixtures: where the shared footage and weights live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("LANEWATCH_SHARED", REPO_ROOT.parent / "shared")).resolve()
FOOTAGE_DIR = SHARED_DIR / "footage"
WEIGHTS_PATH = Path(
    os.environ.get("LANEWATCH_WEIGHTS", SHARED_DIR / "models" / "yolo11n_int8_openvino_model")
)


@pytest.fixture(scope="session")
def footage_dir() -> Path:
    if not FOOTAGE_DIR.is_dir():
        pytest.skip(f"shared footage not found at {FOOTAGE_DIR} (set LANEWATCH_SHARED)")
    return FOOTAGE_DIR


@pytest.fixture(scope="session")
def weights_path() -> Path:
    if not WEIGHTS_PATH.exists():
        pytest.skip(f"detector weights not found at {WEIGHTS_PATH} (set LANEWATCH_WEIGHTS)")
    return WEIGHTS_PATH
