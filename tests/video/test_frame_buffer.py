"""Per-camera buffers: files wait (nothing lost), live cameras drop their oldest (counted)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import numpy as np

from lanewatch.video.frame import Frame
from lanewatch.video.frame_buffer import FrameBuffers

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _f(camera: str, i: int) -> Frame:
    return Frame(camera, np.zeros((2, 2, 3), np.uint8), NOW, float(i), i)


def test_live_camera_drops_oldest_and_counts() -> None:
    buffers = FrameBuffers(capacity=3)
    buffers.add_camera("live")
    for i in range(10):
        assert buffers.put(_f("live", i), drop_oldest=True)
    assert buffers.dropped("live") == 7
    assert [f.index for f in buffers.take(10, timeout=0)] == [7, 8, 9]


def test_file_camera_waits_instead_of_dropping() -> None:
    buffers = FrameBuffers(capacity=2)
    buffers.add_camera("file")
    done = threading.Event()

    def produce() -> None:
        for i in range(6):
            buffers.put(_f("file", i), drop_oldest=False)
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    time.sleep(0.1)
    assert not done.is_set()  # blocked on the full buffer
    got = []
    while len(got) < 6:
        got += [f.index for f in buffers.take(2, timeout=1)]
    assert got == list(range(6)) and buffers.dropped("file") == 0


def test_stop_releases_a_waiting_producer() -> None:
    buffers = FrameBuffers(capacity=1)
    buffers.add_camera("file")
    buffers.put(_f("file", 0), drop_oldest=False)
    stop = threading.Event()
    stop.set()
    assert buffers.put(_f("file", 1), drop_oldest=False, stop=stop) is False


def test_take_is_fair_across_cameras_and_keeps_each_camera_in_order() -> None:
    buffers = FrameBuffers(capacity=10)
    for cam in ("a", "b"):
        buffers.add_camera(cam)
    for i in range(3):
        buffers.put(_f("a", i), drop_oldest=False)
        buffers.put(_f("b", i), drop_oldest=False)
    taken = buffers.take(4, timeout=0)
    assert [(f.camera, f.index) for f in taken] == [("a", 0), ("b", 0), ("a", 1), ("b", 1)]


def test_closed_camera_is_finished_once_drained() -> None:
    buffers = FrameBuffers(capacity=4)
    buffers.add_camera("a")
    buffers.put(_f("a", 0), drop_oldest=False)
    buffers.close("a")
    assert buffers.finished() == []  # still holds a frame
    assert len(buffers.take(4, timeout=0)) == 1
    assert buffers.finished() == ["a"] and buffers.active() == 0 and buffers.finished() == []


def test_under_overload_every_camera_gets_its_share() -> None:
    """Live cameras filling their buffers faster than the detector takes: no camera starves."""
    buffers = FrameBuffers(capacity=2)
    cams = [f"c{i}" for i in range(6)]
    for cam in cams:
        buffers.add_camera(cam)
    served = dict.fromkeys(cams, 0)
    for round_ in range(30):
        for i, cam in enumerate(cams):  # every camera delivers each round, some earlier than others
            buffers.put(_f(cam, round_ * 10 + i), drop_oldest=True)
        for frame in buffers.take(2, timeout=0):  # the detector only manages 2 looks per round
            served[frame.camera] += 1
    assert max(served.values()) - min(served.values()) <= 1, served


def test_a_live_camera_can_have_a_smaller_buffer() -> None:
    buffers = FrameBuffers(capacity=8)
    buffers.add_camera("live", capacity=2)
    for i in range(5):
        buffers.put(_f("live", i), drop_oldest=True)
    assert buffers.depth() == 2 and buffers.dropped("live") == 3


def test_oldest_wait_counts_live_cameras_only_and_drops_are_timed() -> None:
    buffers = FrameBuffers(capacity=1)
    buffers.add_camera("live")
    buffers.add_camera("file")
    buffers.put(_f("file", 0), drop_oldest=False)
    time.sleep(0.05)
    assert buffers.oldest_wait_s() == 0.0 and buffers.last_drop_at is None  # files may wait: not "behind"
    buffers.put(_f("live", 0), drop_oldest=True)
    buffers.put(_f("live", 1), drop_oldest=True)  # full: the oldest goes
    assert buffers.dropped("live") == 1 and buffers.last_drop_at is not None
    time.sleep(0.1)
    assert 0.1 <= buffers.oldest_wait_s() < 1.0
    buffers.take(2, timeout=0)
    assert buffers.oldest_wait_s() == 0.0


def test_waiting_and_looks_dropped_before_decoding_are_per_camera() -> None:
    """What `Source.pace` uses: a camera's waiting looks, and drops counted with the buffer's own."""
    buffers = FrameBuffers(capacity=2)
    buffers.add_camera("a")
    buffers.add_camera("b")
    assert buffers.waiting("a") == 0 and buffers.waiting("unknown") == 0
    buffers.put(_f("a", 0), drop_oldest=True)
    assert (buffers.waiting("a"), buffers.waiting("b")) == (1, 0)
    assert buffers.last_drop_at is None
    buffers.count_dropped("b")
    buffers.count_dropped("gone")  # a camera already removed: ignored, not a KeyError in its reader
    assert (buffers.dropped("a"), buffers.dropped("b")) == (0, 1) and buffers.last_drop_at is not None
    buffers.take(1, timeout=0)
    assert buffers.waiting("a") == 0


def test_cameras_with_a_look_in_flight_are_left_for_the_next_batch() -> None:
    """The pipeline prepares a batch while the last is in the detector; a camera's next look waits for its last."""
    buffers = FrameBuffers(capacity=4)
    for cam in ("a", "b"):
        buffers.add_camera(cam)
        buffers.put(_f(cam, 0), drop_oldest=False)
    started = time.monotonic()
    assert [f.camera for f in buffers.take(4, timeout=1.0, exclude={"a"})] == ["b"]
    assert buffers.take(4, timeout=1.0, exclude={"a"}) == []  # only a waits: nothing to take
    assert time.monotonic() - started >= 0.9  # ... after waiting the timeout, as for an empty buffer
    assert [f.camera for f in buffers.take(4, timeout=0)] == ["a"]
    buffers.close("a")
    assert buffers.finished(exclude={"a"}) == []  # its last look is still being analysed
    assert buffers.finished() == ["a"]
