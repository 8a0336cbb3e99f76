"""health.json: every not-online period of each camera, in stream seconds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from lanewatch.events.health_json import health_periods, write_health_json
from lanewatch.video.health import HealthEvent, SourceState

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def event(camera: str, state: SourceState, second: float, *, offset: bool = True) -> HealthEvent:
    return HealthEvent(
        camera, state, T0 + timedelta(seconds=second), f"{state.value} detail", second if offset else None
    )


def test_each_not_online_period_is_one_record_ended_by_the_next_state(tmp_path) -> None:
    events = [
        event("gate", SourceState.ONLINE, 0),
        event("dock", SourceState.ONLINE, 0),
        event("gate", SourceState.COVERED, 12),
        event("gate", SourceState.ONLINE, 40),
        event("dock", SourceState.FROZEN, 30),
        event("gate", SourceState.OFFLINE, 55.5, offset=False),  # a disconnect: placed by its wall time
        event("gate", SourceState.ONLINE, 60),
        event("gate", SourceState.DARK, 70),
    ]
    periods = write_health_json(tmp_path / "health.json", events)
    assert json.loads((tmp_path / "health.json").read_text(encoding="utf-8")) == periods
    assert [(p["camera"], p["kind"], p["start_s"], p["end_s"]) for p in periods] == [
        ("gate", "covered", 12, 40),
        ("gate", "offline", 55.5, 60),
        ("gate", "dark", 70, None),  # still dark at the end of the run
        ("dock", "frozen", 30, None),
    ]
    assert periods[0]["detail"] == "covered detail"


def test_a_camera_that_never_delivered_a_frame_has_no_stream_time() -> None:
    assert health_periods([event("gate", SourceState.OFFLINE, 0, offset=False)]) == [
        {"camera": "gate", "kind": "offline", "start_s": None, "end_s": None, "detail": "offline detail"}
    ]


def test_a_healthy_run_writes_an_empty_list(tmp_path) -> None:
    write_health_json(tmp_path / "health.json", [event("gate", SourceState.ONLINE, 0)])
    assert json.loads((tmp_path / "health.json").read_text(encoding="utf-8")) == []
