"""Which detector backend a `DetectorConfig` asks for, and building it in the calling process.

Both `factory.build_detector` (in the parent) and `worker._serve` (in each
worker process) need this, so it lives below them both: the factory picks
in-process or `worker.ProcessDetector`, the worker builds the backend itself.
"""

from __future__ import annotations

from lanewatch.config import DetectorConfig
from lanewatch.detect.detector import Detector
from lanewatch.detect.weights import resolve_weights


def chosen_backend(config: DetectorConfig) -> str:
    """'openvino' or 'ultralytics' for this config ('auto': OpenVINO folders on the CPU go direct)."""
    if config.backend != "auto":
        return config.backend
    from lanewatch.detect.openvino_detector import is_openvino_folder  # openvino loads only when asked for

    weights = resolve_weights(config.weights)
    return "openvino" if config.device == "cpu" and is_openvino_folder(weights) else "ultralytics"


def build_in_process(config: DetectorConfig, threads: int | None = None) -> Detector:
    """The backend itself, running in the calling process."""
    if chosen_backend(config) == "openvino":
        from lanewatch.detect.openvino_detector import OpenVinoDetector  # heavy: imported on use

        return OpenVinoDetector(config, threads=threads)
    from lanewatch.detect.ultralytics_detector import UltralyticsDetector  # heavy (torch): imported on use

    return UltralyticsDetector(config)
