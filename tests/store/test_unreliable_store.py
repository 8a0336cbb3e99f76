"""A violation marked unreliable (raised while its camera had moved) keeps the mark in the store and the API."""

from __future__ import annotations

from datetime import timedelta

from lanewatch.events.bus import violation_payload
from lanewatch.events.unreliable import CAMERA_MOVED
from lanewatch.events.violation import ViolationEvent
from lanewatch.store.violation_store import ViolationStore

from .test_violation_store import START, _v


def test_the_mark_is_stored_kept_through_later_events_and_read_back(engine) -> None:
    store = ViolationStore(engine)
    marked = _v("a", unreliable_reason=CAMERA_MOVED)
    store(ViolationEvent("new", None, marked))
    store(ViolationEvent("new", None, _v("b")))
    # after a restart the moves are forgotten: a later event arrives without the mark
    ended = _v("a", end_s=30.0, ended_at=START + timedelta(seconds=30), last_seen_s=30.0)
    store(ViolationEvent("end", marked, ended))
    a, b = store.get("a"), store.get("b")
    assert a is not None and a.unreliable and a.unreliable_reason == CAMERA_MOVED and a.end_s == 30.0
    assert b is not None and not b.unreliable and b.unreliable_reason is None


def test_live_events_and_webhooks_carry_the_mark() -> None:
    payload = violation_payload(ViolationEvent("new", None, _v("a", unreliable_reason=CAMERA_MOVED)))
    assert payload["after"]["unreliable"] is True and payload["after"]["unreliable_reason"] == CAMERA_MOVED
    plain = violation_payload(ViolationEvent("new", None, _v("b")))
    assert plain["after"]["unreliable"] is False and plain["after"]["unreliable_reason"] is None
