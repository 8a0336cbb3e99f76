"""After a restart, active violations are continued by the same car or ended — never duplicated or lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from lanewatch.detect.detections import Detections
from lanewatch.events.recorder import ViolationRecorder, ZoneDrawing
from lanewatch.track.dwell import DwellMonitor, ZoneTiming
from lanewatch.video.frame import Frame

T0 = datetime(2026, 5, 1, 8, 0, 0, tzinfo=UTC)
ZONES = {"lane": ZoneDrawing("Lane", np.array([[0, 50], [200, 50], [200, 100], [0, 100]], np.int32))}
TIMING = {"lane": ZoneTiming(dwell_seconds=8, exit_grace_seconds=3)}


def _frame(wall_s: float, offset_s: float) -> Frame:
    return Frame("cam", np.zeros((100, 200, 3), np.uint8), T0 + timedelta(seconds=wall_s), offset_s, 0)


def _car(x: float = 40) -> Detections:
    return Detections([[x, 60, x + 40, 95]], [0.8], [2], ["car"], [1])


def _session(recorder, wall_start: float, seconds: int, present) -> list:
    dwell, events = DwellMonitor(TIMING), []
    for t in range(seconds):
        inside = {"lane": _car() if present(t) else Detections.empty()}
        events += recorder.handle(dwell.update(float(t), inside), _frame(wall_start + t, float(t)), ZONES)
    return events


def _before_crash():
    first = ViolationRecorder("cam", None, new_id=lambda: "v-1")
    events = _session(first, 0, 20, lambda t: True)
    assert [e.kind for e in events][:1] == ["new"]
    return events[-1].after  # what the store holds when the process is killed


def test_same_car_after_restart_continues_the_violation() -> None:
    stored = _before_crash()
    second = ViolationRecorder("cam", None, new_id=lambda: pytest.fail("a duplicate violation was created"))
    second.resume([stored], window_s=10)
    events = _session(second, 60, 30, lambda t: t < 20)  # restarted 60 s later; the car leaves at 20 s
    assert {e.after.id for e in events} == {"v-1"}
    assert next(e.kind for e in events) == "update" and events[-1].kind == "end"
    ended = events[-1].after
    assert ended.started_at == T0 and ended.ended_at == T0 + timedelta(seconds=60 + 19)
    assert ended.dwell_s == pytest.approx(79)  # measured in wall time across the restart


def test_car_gone_after_restart_ends_the_violation_at_its_last_sighting() -> None:
    stored = _before_crash()
    second = ViolationRecorder("cam", None, new_id=lambda: pytest.fail("unexpected new violation"))
    second.resume([stored], window_s=10)
    events = _session(second, 60, 15, lambda t: False)
    assert [(e.kind, e.after.id) for e in events] == [("end", "v-1")]
    last_seen_at = stored.violation_at + timedelta(seconds=stored.last_seen_s - stored.violation_s)
    assert events[0].after.ended_at == last_seen_at


def test_another_car_elsewhere_in_the_zone_is_a_new_violation() -> None:
    stored = _before_crash()
    ids = iter(["v-2"])
    second = ViolationRecorder("cam", None, new_id=lambda: next(ids))
    second.resume([stored], window_s=10)
    dwell, events = DwellMonitor(TIMING), []
    for t in range(15):
        inside = {"lane": _car(x=140)}  # a different stall
        events += second.handle(dwell.update(float(t), inside), _frame(60 + t, float(t)), ZONES)
    # the new car violates at 8 s; the old violation is ended once the 10 s resume window has passed
    assert [(e.kind, e.after.id) for e in events] == [("new", "v-2"), ("end", "v-1")]
