"""Build the detector a `DetectorConfig` asks for: which backend, in which process.

`build_detector` is what `lanewatch serve`, `lanewatch eval` and the
benchmarks call; `build_in_process` is what a worker process runs.
"""

from __future__ import annotations

from lanewatch.config import DetectorConfig
from lanewatch.detect.detector import Detector
from lanewatch.detect.weights import resolve_weights


def chosen_backend(config: DetectorConfig) -> str:
    """'openvino' or 'ultralytics' for this config ('auto': OpenVINO folders on the CPU go direct)."""
    if config.backend != "auto":
        return config.backend
    from lanewatch.detect.openvino_detector import is_openvino_folder

    weights = resolve_weights(config.weights)
    return "openvino" if config.device == "cpu" and is_openvino_folder(weights) else "ultralytics"


def build_in_process(config: DetectorConfig, threads: int | None = None) -> Detector:
    """The backend itself, running in the calling process."""
    if chosen_backend(config) == "openvino":
        from lanewatch.detect.openvino_detector import OpenVinoDetector

        return OpenVinoDetector(config, threads=threads)
    from lanewatch.detect.ultralytics_detector import UltralyticsDetector

    return UltralyticsDetector(config)


def build_detector(config: DetectorConfig) -> Detector:
    """``config.processes`` worker processes behind shared memory, or (0) the backend in this process."""
    if config.processes == 0:
        return build_in_process(config)
    from lanewatch.detect.worker import ProcessDetector

    return ProcessDetector(config)
