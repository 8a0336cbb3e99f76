"""The detector in worker processes: same boxes as in-process, crashes and hangs cost the looks in flight only."""

from __future__ import annotations

import os
import signal
import threading
import time

import av
import numpy as np
import pytest

from lanewatch.config import DetectorConfig
from lanewatch.detect.detector import UnknownClassError
from lanewatch.detect.worker import DetectorCrashed, ProcessDetector

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def frames(footage_dir):
    with av.open(str(footage_dir / "parking-aisle" / "lot-busy.mp4")) as c:
        return [f.to_ndarray(format="bgr24") for i, f in enumerate(c.decode(video=0)) if i % 24 == 0]


@pytest.fixture
def detector(weights_path):
    with ProcessDetector(DetectorConfig(weights=str(weights_path), imgsz=640, processes=1, timeout_s=3)) as d:
        yield d


def test_worker_finds_the_same_boxes_as_the_backend_in_process(detector, frames, weights_path) -> None:
    from lanewatch.detect.backends import build_in_process

    local = build_in_process(DetectorConfig(weights=str(weights_path), imgsz=640))
    crop = frames[0][150:, 40:600]  # a view, not contiguous: the worker must get its pixels right
    ours, theirs = detector.detect([frames[0], crop]), local.detect([frames[0], crop])
    for a, b in zip(ours, theirs, strict=True):
        assert len(a) >= 6 and np.allclose(a.xyxy, b.xyxy) and list(a.class_name) == list(b.class_name)
    assert detector.names[2] == "car" and detector.detect([]) == []


def test_a_worker_killed_mid_batch_loses_that_batch_only_and_is_restarted(detector, frames) -> None:
    pid = detector.pids[0]
    killer = threading.Timer(0.15, os.kill, (pid, signal.SIGKILL))
    killer.start()
    with pytest.raises(DetectorCrashed) as crash:
        detector.detect(frames * 4)  # ~1 s of work: the kill lands while it is in flight
    assert crash.value.lost == len(frames) * 4 and detector.restarts == 1
    assert detector.pids[0] != pid
    assert [len(d) >= 6 for d in detector.detect(frames[:2])] == [True, True]  # the new worker answers


def test_a_worker_that_dies_between_the_liveness_check_and_the_send_loses_that_batch_only(
    detector, frames, monkeypatch
) -> None:
    """The race made deterministic: the worker is dead before the send, but the liveness check still says it
    lives (as it does when the death lands between the two), so the send hits a closed pipe."""
    from lanewatch.detect import worker as worker_module

    pid = detector.pids[0]
    os.kill(pid, signal.SIGKILL)
    detector._workers[0].process.join(5)
    real_alive = worker_module._Worker.alive.fget
    checks = {"n": 0}

    def alive_once_too_late(self) -> bool:
        checks["n"] += 1
        return True if checks["n"] == 1 else real_alive(self)

    monkeypatch.setattr(worker_module._Worker, "alive", property(alive_once_too_late))
    with pytest.raises(DetectorCrashed) as crash:
        detector.detect(frames[:3])
    assert "gone before its batch was sent" in str(crash.value)
    assert crash.value.lost == 3 and detector.restarts == 1 and detector.pids[0] != pid
    monkeypatch.undo()
    assert [len(d) >= 6 for d in detector.detect(frames[:2])] == [True, True]  # the new worker answers


def test_a_hung_worker_is_given_up_after_the_timeout(detector, frames) -> None:
    os.kill(detector.pids[0], signal.SIGSTOP)
    started = time.monotonic()
    with pytest.raises(DetectorCrashed):
        detector.detect(frames[:1])
    assert 2.5 < time.monotonic() - started < 20  # timeout_s=3, then a restart
    assert len(detector.detect(frames[:1])[0]) >= 6


def test_a_bad_config_fails_at_start_with_the_backends_message(weights_path) -> None:
    with pytest.raises(UnknownClassError, match="lorry"):
        ProcessDetector(DetectorConfig(weights=str(weights_path), classes=["lorry"], processes=1))


def test_two_workers_share_a_batch(weights_path, frames) -> None:
    with ProcessDetector(DetectorConfig(weights=str(weights_path), imgsz=640, processes=2)) as detector:
        assert len(set(detector.pids)) == 2
        found = detector.detect(frames[:5])
    assert len(found) == 5 and all(len(d) >= 6 for d in found)


def test_the_worker_compiles_its_other_input_shapes_in_the_background(detector, frames) -> None:
    """The worker answers looks as soon as its full sheet is compiled; wait_ready says when all are."""
    assert detector.wait_ready(120)
    assert len(detector.detect(frames[:1])[0]) >= 6


def test_a_worker_stopped_while_it_still_compiles_exits_cleanly(weights_path) -> None:
    # Stopped right after start, the worker is still compiling its other sheet heights in a thread;
    # exiting under it used to abort in C++ ("terminate called without an active exception", SIGABRT).
    detector = ProcessDetector(DetectorConfig(weights=str(weights_path), imgsz=1280, processes=1))
    worker = detector._workers[0]
    detector.close()
    assert worker.process is not None and worker.process.exitcode == 0
