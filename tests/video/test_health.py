"""HealthMonitor: online / offline / frozen from frames and disconnects."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from lanewatch.video.frame import Frame
from lanewatch.video.health import HealthEvent, HealthMonitor, SourceState

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def scene(seed: int = 0) -> np.ndarray:
    """A textured 360×640 picture (a flat one would hide real differences)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(40, 200, size=(36, 64, 3), dtype=np.uint8)
    return np.repeat(np.repeat(base, 10, axis=0), 10, axis=1)


def frame(image: np.ndarray, offset_s: float, index: int = 0) -> Frame:
    return Frame("cam", image, T0 + timedelta(seconds=offset_s), offset_s, index)


def states(events: list[HealthEvent]) -> list[SourceState]:
    return [e.state for e in events]


def with_noise(image: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def with_car(image: np.ndarray, x: int) -> np.ndarray:
    moved = image.copy()
    moved[200:260, x : x + 90] = (30, 30, 200)
    return moved


def test_identical_frames_turn_frozen_after_the_stream_time_limit() -> None:
    monitor = HealthMonitor("cam", frozen_after_s=5)
    still = scene()
    for second in range(5):
        monitor.on_frame(frame(still, second))
    assert monitor.state == SourceState.ONLINE  # 4 s unchanged: not yet
    monitor.on_frame(frame(still, 5.0))
    assert monitor.state == SourceState.FROZEN
    events = monitor.drain_events()
    assert states(events) == [SourceState.ONLINE, SourceState.FROZEN]
    assert events[1].at == T0 + timedelta(seconds=5)
    assert "5.0 s" in events[1].detail
    monitor.on_frame(frame(scene(seed=1), 6.0))
    assert states(monitor.drain_events()) == [SourceState.ONLINE]


@pytest.mark.parametrize(
    ("name", "make", "frozen"),
    [
        ("bit-identical", lambda img, i: img, True),
        ("sensor/compression noise", lambda img, i: with_noise(img, sigma=4, seed=i), True),
        ("car driving through", lambda img, i: with_car(img, 40 + 50 * i), False),
        ("small on-screen clock ticking", lambda img, i: _clock(img, i), False),
    ],
)
def test_noise_is_tolerated_but_change_is_seen(name: str, make, frozen: bool) -> None:  # type: ignore[no-untyped-def]
    monitor = HealthMonitor("cam", frozen_after_s=3)
    base = scene()
    for i in range(8):
        monitor.on_frame(frame(make(base, i), float(i)))
    assert (monitor.state == SourceState.FROZEN) is frozen, name


def _clock(image: np.ndarray, i: int) -> np.ndarray:
    ticked = image.copy()
    ticked[10:30, 10 + 12 * (i % 3) : 20 + 12 * (i % 3)] = 255  # a digit-sized blob that moves each second
    return ticked


def test_frozen_is_measured_in_stream_time_not_frame_count() -> None:
    monitor = HealthMonitor("cam", frozen_after_s=10)
    still = scene()
    for i in range(100):  # 100 identical frames within 2 s of stream time
        monitor.on_frame(frame(still, i * 0.02))
    assert monitor.state == SourceState.ONLINE


def test_offline_and_back_online() -> None:
    monitor = HealthMonitor("cam", frozen_after_s=30)
    assert monitor.state == SourceState.OFFLINE and monitor.last_frame_at is None
    monitor.on_frame(frame(scene(), 0.0))
    monitor.on_disconnect(T0 + timedelta(seconds=2), "connection refused")
    monitor.on_disconnect(T0 + timedelta(seconds=3), "connection refused")  # still offline: no new event
    monitor.on_frame(frame(scene(), 9.0))
    events = monitor.drain_events()
    assert states(events) == [SourceState.ONLINE, SourceState.OFFLINE, SourceState.ONLINE]
    assert events[1].detail == "connection refused"
    assert events[1].at == T0 + timedelta(seconds=2)
    assert monitor.last_frame_at == T0 + timedelta(seconds=9)
    assert monitor.drain_events() == []


def test_a_camera_that_never_connects_is_announced_offline() -> None:
    monitor = HealthMonitor("cam", frozen_after_s=30)
    monitor.on_disconnect(T0, "connection refused")
    assert states(monitor.drain_events()) == [SourceState.OFFLINE]


def test_frozen_timer_restarts_after_a_reconnect() -> None:
    monitor = HealthMonitor("cam", frozen_after_s=5)
    still = scene()
    for second in range(4):
        monitor.on_frame(frame(still, second))
    monitor.on_disconnect(T0 + timedelta(seconds=4), "stream ended")
    for second in range(5, 9):  # same picture again, but only 3 s since the reconnect
        monitor.on_frame(frame(still, second))
    assert monitor.state == SourceState.ONLINE


def test_events_drain_safely_from_another_thread() -> None:
    monitor = HealthMonitor("cam", frozen_after_s=30)
    image = scene()
    drained: list[HealthEvent] = []
    done = threading.Event()

    def source() -> None:
        for i in range(500):
            monitor.on_frame(frame(image, float(i)))
            monitor.on_disconnect(T0 + timedelta(seconds=i), "gone")
        done.set()

    thread = threading.Thread(target=source)
    thread.start()
    while not done.is_set():
        drained += monitor.drain_events()
    thread.join()
    drained += monitor.drain_events()
    assert states(drained) == [SourceState.ONLINE, SourceState.OFFLINE] * 500


def test_event_time_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError):
        HealthEvent("cam", SourceState.OFFLINE, datetime(2024, 1, 1), "x")
