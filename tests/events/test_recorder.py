"""Dwell transitions → violation lifecycle events with evidence, on synthetic frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest

from lanewatch.detect.detections import Detections
from lanewatch.events.evidence import EvidenceWriter
from lanewatch.events.recorder import ViolationRecorder, ZoneDrawing
from lanewatch.track.dwell import DwellMonitor, ZoneTiming
from lanewatch.video.frame import Frame

T0 = datetime(2026, 5, 1, 8, 0, 0, tzinfo=UTC)
ZONES = {"lane": ZoneDrawing("Fire lane", np.array([[0, 50], [200, 50], [200, 100], [0, 100]], np.int32))}


def _frame(t: float) -> Frame:
    return Frame("cam", np.full((100, 200, 3), 90, np.uint8), T0 + timedelta(seconds=t), t, int(t))


def _car(conf: float = 0.8) -> Detections:
    return Detections([[40, 60, 80, 95]], [conf], [2], ["car"], [1])


def _run(seconds: list[float], present, recorder: ViolationRecorder, dwell: DwellMonitor):
    events = []
    for t in seconds:
        inside = {"lane": _car(0.5 + t / 100) if present(t) else Detections.empty()}
        events += recorder.handle(dwell.update(t, inside), _frame(t), ZONES)
    return events


@pytest.fixture
def setup(tmp_path):
    ids = iter(f"v{i}" for i in range(100))
    recorder = ViolationRecorder("cam", EvidenceWriter(tmp_path), update_interval_s=10, new_id=lambda: next(ids))
    return recorder, DwellMonitor({"lane": ZoneTiming(dwell_seconds=8, exit_grace_seconds=3)}), tmp_path


def test_parked_car_gives_new_updates_and_end_with_stream_times(setup) -> None:
    recorder, dwell, root = setup
    events = _run([float(t) for t in range(0, 40)], lambda t: t <= 25, recorder, dwell)
    kinds = [e.kind for e in events]
    assert kinds[0] == "new" and kinds[-1] == "end" and kinds.count("new") == 1 and kinds.count("end") == 1
    new, end = events[0].after, events[-1].after
    assert (new.start_s, new.violation_s, new.end_s) == (0.0, 8.0, None)
    assert new.started_at == T0 and new.violation_at == T0 + timedelta(seconds=8)
    assert end.end_s == 25.0 and end.ended_at == T0 + timedelta(seconds=25) and end.dwell_s == 25.0
    assert events[-1].before is not None and events[-1].before.end_s is None  # before/after carried
    assert new.box == pytest.approx((0.2, 0.6, 0.4, 0.95))  # fractions of the 200×100 frame
    assert end.confidence == pytest.approx(0.75)  # best sighting
    updates = [e for e in events if e.kind == "update"]
    assert 1 <= len(updates) <= 4  # throttled: 17 sightings while violating, a few updates
    assert (root / new.snapshot).is_file() and (root / new.snapshot_clean).is_file()
    annotated, clean = cv2.imread(str(root / new.snapshot)), cv2.imread(str(root / new.snapshot_clean))
    assert (clean == 90).all() and not (annotated == 90).all()


def test_pass_through_records_nothing(setup) -> None:
    recorder, dwell, root = setup
    assert _run([float(t) for t in range(0, 20)], lambda t: 2 <= t <= 6, recorder, dwell) == []
    assert not any(root.rglob("*.jpg"))


def test_flush_reports_active_violation_at_end_of_source(setup) -> None:
    recorder, dwell, _ = setup
    events = _run([float(t) for t in range(0, 13)], lambda t: True, recorder, dwell)
    assert [e.kind for e in events] == ["new"]
    recorder.handle(dwell.finish(12.0), _frame(12.0), ZONES)
    flushed = recorder.flush()
    assert len(flushed) == 1 and flushed[0].after.last_seen_s == 12.0 and flushed[0].after.end_s is None
    assert recorder.flush() == []  # nothing new to say


def test_the_record_starts_when_the_stop_began_not_when_the_car_entered(setup) -> None:
    """A car crawls in for 10 s, then stands: the violation's start is its stop, dwell after it."""
    recorder, dwell, _ = setup
    events = []
    for t in range(0, 30):
        x = 4.0 * min(t, 10)  # 4 px/s on a 40 x 35 px box: beyond the tolerance every 2 s
        car = Detections([[x, 60, x + 40, 95]], [0.8], [2], ["car"], [1])
        events += recorder.handle(dwell.update(float(t), {"lane": car}), _frame(float(t)), ZONES)
    new = next(e.after for e in events if e.kind == "new")
    assert 9.0 <= new.start_s <= 10.0 and new.violation_s == pytest.approx(new.start_s + 8.0)
    assert new.started_at == T0 + timedelta(seconds=new.start_s)
