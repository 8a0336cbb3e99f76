"""A moved camera's violations are marked unreliable, and a person confirming the zones ends the move."""

from __future__ import annotations

from datetime import timedelta

from lanewatch.config import PictureHealthConfig
from lanewatch.events.unreliable import CAMERA_MOVED, mark
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.video.health import SourceState
from lanewatch.video.picture_health import PictureHealth

from .test_picture_health import T0, frame, scene, shifted

SETTINGS = PictureHealthConfig(every_s=0, confirm_s=10, moved_confirm_s=2, reference_s=2, moved_every_s=0)


def moved_judge() -> PictureHealth:
    """A judge whose camera was turned 64 px at 3 s; the move is confirmed at 5 s, reported from 3 s."""
    judge = PictureHealth(SETTINGS)
    for t in range(3):
        judge.check(frame(scene(), t))
    for t in (3, 4):
        assert judge.check(frame(shifted(scene(), 64), t)) is None
    change = judge.check(frame(shifted(scene(), 64), 5))
    assert change is not None and change.kind is SourceState.MOVED
    return judge


def violation(violation_s: float, **changes) -> Violation:
    base = {
        "id": f"cam-lane-{violation_s}",
        "camera": "cam",
        "zone": "lane",
        "zone_name": "Lane",
        "label": "car",
        "start_s": violation_s - 1,
        "violation_s": violation_s,
        "last_seen_s": violation_s + 1,
        "end_s": None,
        "started_at": T0,
        "violation_at": T0 + timedelta(seconds=violation_s),
        "ended_at": None,
        "confidence": 0.8,
        "box": (0.1, 0.1, 0.2, 0.2),
    }
    return Violation(**{**base, **changes})


def test_the_move_counts_from_its_first_shifted_view() -> None:
    judge = moved_judge()
    assert judge.moved_periods == [(3, None)]
    assert not judge.moved_at(2.9) and judge.moved_at(3) and judge.moved_at(4.5) and judge.moved_at(100)


def test_violations_raised_during_the_move_are_marked_on_every_event() -> None:
    judge = moved_judge()
    before_move, in_gap, after_confirm = violation(2.0), violation(4.0), violation(6.0)
    events = [
        ViolationEvent("update", before_move, before_move),
        ViolationEvent("new", None, in_gap),  # raised before the move was confirmed, still inside it
        ViolationEvent("end", after_confirm, violation(6.0, end_s=9.0)),
    ]
    marked = mark(events, judge)
    assert [e.after.unreliable_reason for e in marked] == [None, CAMERA_MOVED, CAMERA_MOVED]
    assert marked[2].before is not None and marked[2].before.unreliable
    assert not marked[0].after.unreliable
    assert mark(events, PictureHealth(SETTINGS)) == events  # a camera that never moved: untouched


def test_confirming_the_zones_takes_the_current_view_and_ends_the_move() -> None:
    judge = moved_judge()
    assert judge.confirm_view()
    ended = judge.check(frame(shifted(scene(), 64), 6))
    assert ended is not None and ended.kind is None and ended.offset_s == 6
    assert judge.reported is None and judge.moved_periods == [(3, 6)]
    assert judge.moved_at(5.9) and not judge.moved_at(6)
    # the turned view is now the reference: seeing it again is not a move, the old view now is
    assert [judge.check(frame(shifted(scene(), 64), t)) for t in (7, 8, 9)] == [None, None, None]
    assert judge.check(frame(scene(), 10)) is None
    change = judge.check(frame(scene(), 12))
    assert change is not None and change.kind is SourceState.MOVED and change.offset_s == 10


def test_nothing_to_confirm_before_the_camera_has_a_reference() -> None:
    judge = PictureHealth(SETTINGS)
    assert not judge.confirm_view()
    assert judge.check(frame(scene(), 0)) is None
