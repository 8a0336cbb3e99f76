"""Find the detector weights without surprising downloads.

Order: an explicit path (``--weights``) > ``LANEWATCH_WEIGHTS`` > a model in
the project's ``weights/`` folder > ultralytics' own download of
``yolo11n.pt`` (users with internet only). Each explicit choice must exist:
a typo is an error, never a silent fallback to a download.
"""

from __future__ import annotations

import os
from pathlib import Path

WEIGHTS_ENV = "LANEWATCH_WEIGHTS"
DOWNLOAD_NAME = "yolo11n.pt"
PROJECT_WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "weights"
_MODEL_SUFFIXES = (".pt", ".onnx", ".engine", ".torchscript")


class WeightsNotFoundError(FileNotFoundError):
    """An explicitly named weights path does not exist."""


def find_in_folder(folder: Path) -> Path | None:
    """The first model in ``folder``: an ``*_openvino_model`` dir, else a model file (sorted by name)."""
    if not folder.is_dir():
        return None
    candidates = sorted(p for p in folder.iterdir() if p.is_dir() and p.name.endswith("_openvino_model"))
    candidates += sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in _MODEL_SUFFIXES)
    return candidates[0] if candidates else None


def resolve_weights(explicit: str | os.PathLike[str] | None = None, *, weights_dir: Path = PROJECT_WEIGHTS_DIR) -> str:
    """Return what to hand to ``ultralytics.YOLO``: a real path, or ``yolo11n.pt`` to download."""
    for origin, value in (("--weights", explicit), (WEIGHTS_ENV, os.environ.get(WEIGHTS_ENV))):
        if value:
            path = Path(value).expanduser()
            if not path.exists():
                raise WeightsNotFoundError(f"weights from {origin} not found: {path}")
            return str(path)
    local = find_in_folder(weights_dir)
    if local is not None:
        return str(local)
    return DOWNLOAD_NAME
