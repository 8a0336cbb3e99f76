"""Picture problems are stored, streamed and offered to webhooks like frozen: one period per state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from lanewatch.events.bus import EVENT_TYPES, health_payload, valid_pattern
from lanewatch.store.queries import HealthStore
from lanewatch.store.tables import as_utc
from lanewatch.video.health import PICTURE_STATES, HealthEvent, SourceState

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("state", sorted(PICTURE_STATES))
def test_a_picture_problem_is_a_stored_period_with_a_start_and_an_end(engine, state) -> None:
    sink = HealthStore(engine)
    sink(HealthEvent("gate", SourceState.ONLINE, T0, "receiving frames", 0.0))
    sink(HealthEvent("gate", state, T0 + timedelta(seconds=30), "why", 30.0))
    sink(HealthEvent("gate", SourceState.ONLINE, T0 + timedelta(seconds=90), "picture healthy again", 90.0))
    with Session(engine) as session:
        online, problem, first = HealthStore.history(session, "gate", limit=10)
        assert (problem.state, problem.detail) == (state.value, "why")
        assert as_utc(problem.started_at) == T0 + timedelta(seconds=30)
        assert as_utc(problem.ended_at) == T0 + timedelta(seconds=90) == as_utc(online.started_at)
        assert (first.state, as_utc(first.ended_at)) == ("online", T0 + timedelta(seconds=30))


def test_every_camera_state_is_a_live_event_type_webhooks_can_subscribe_to() -> None:
    for state in SourceState:
        assert f"camera.{state.value}" in EVENT_TYPES
        assert valid_pattern(f"camera.{state.value}")
    covered = health_payload(HealthEvent("gate", SourceState.COVERED, T0, "90% flat"))
    assert covered == {"type": "camera.covered", "camera": "gate", "at": T0.isoformat(), "detail": "90% flat"}
