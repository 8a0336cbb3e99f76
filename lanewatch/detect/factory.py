"""Build the detector a `DetectorConfig` asks for: which backend, in which process.

`build_detector` is what `lanewatch serve`, `lanewatch eval` and the
benchmarks call; the backend choice and `build_in_process` (what a worker
process runs) live in `detect.backends`, below both this module and `worker`.
"""

from __future__ import annotations

from lanewatch.config import DetectorConfig
from lanewatch.detect.backends import build_in_process, chosen_backend
from lanewatch.detect.detector import Detector
from lanewatch.detect.worker import ProcessDetector

__all__ = ["build_detector", "build_in_process", "chosen_backend"]


def build_detector(config: DetectorConfig) -> Detector:
    """``config.processes`` worker processes behind shared memory, or (0) the backend in this process."""
    if config.processes == 0:
        return build_in_process(config)
    return ProcessDetector(config)
