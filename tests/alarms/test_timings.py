"""The timings report from alarms with known times: percentiles per step and the 10 s / 3 s rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from lanewatch.alarms.timings import percentile, report, timings
from lanewatch.store.alarm_tables import AlarmRow
from tests.alarms.conftest import T0


def _alarm(
    n: int,
    *,
    device_s: float,
    stored_s: float,
    confirm_s: float | None = None,
    forward_s: float | None = None,
    **changes,
) -> AlarmRow:
    """An alarm received at T0 + n min, sent `device_s` s earlier, stored `stored_s` s after receipt."""
    received = T0 + timedelta(minutes=n)
    confirmed = received + timedelta(seconds=confirm_s) if confirm_s is not None else None
    base = {
        "id": f"{n:032d}",
        "device_id": f"d{n}",
        "device_type": "smoke_detector",
        "alarm_type": "fire",
        "severity": "critical",
        "priority": 9,
        "state": "resolved",
        "source": "http",
        "received_at": received,
        "device_time": received - timedelta(seconds=device_s),
        "stored_at": received + timedelta(seconds=stored_s),
        "confirmed_at": confirmed,
        "outcome": "real_fire" if confirmed else None,
        "forwarded_at": confirmed + timedelta(seconds=forward_s) if forward_s is not None else None,
        "updated_at": received,
    }
    return AlarmRow(**{**base, **changes})


@pytest.mark.parametrize(
    "values, q, expected",
    [
        ([], 0.5, None),
        ([4.0], 0.95, 4.0),
        ([1, 2, 3, 4], 0.5, 2),
        ([5, 1, 4, 2, 3], 0.5, 3),
        (list(range(1, 101)), 0.95, 95),
        (list(range(1, 21)), 0.95, 19),
    ],
)
def test_nearest_rank_percentile(values, q, expected) -> None:
    assert percentile(values, q) == expected


def test_report_figures_and_rule_violations(engine) -> None:
    rows = [
        _alarm(0, device_s=1.0, stored_s=0.5, confirm_s=20, forward_s=1.0),
        _alarm(1, device_s=2.0, stored_s=0.5, confirm_s=30, forward_s=4.5),  # 119 forward too slow
        _alarm(2, device_s=12.0, stored_s=0.2),  # device → centre too slow
        _alarm(3, device_s=3.0, stored_s=0.1, confirm_s=10),  # real fire not forwarded yet
        _alarm(4, device_s=50.0, stored_s=0.1, test=True),  # test mode: left out
        _alarm(5, device_s=1.0, stored_s=0.1, alarm_type="fault"),  # another type: left out
        _alarm(90, device_s=1.0, stored_s=0.1),  # outside the window
    ]
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
        result = report(session, since=T0, until=T0 + timedelta(hours=1))
    assert result.alarms == 4
    steps = {s.step: s for s in result.steps}
    assert (
        steps["device_to_received"].count,
        steps["device_to_received"].p50_s,
        steps["device_to_received"].max_s,
    ) == (4, 2.0, 12.0)
    assert steps["device_to_stored"].max_s == pytest.approx(12.2)
    assert (steps["confirmed_to_forwarded"].count, steps["confirmed_to_forwarded"].p95_s) == (2, 4.5)
    assert steps["stored_to_shown"].count == 0 and steps["stored_to_shown"].p50_s is None
    rules = {r.rule: r for r in result.rules}
    assert (rules["device_to_centre"].checked, rules["device_to_centre"].alarm_ids) == (4, [rows[2].id])
    assert (rules["confirm_to_forward"].checked, rules["confirm_to_forward"].alarm_ids) == (2, [rows[1].id])
    assert result.not_forwarded == 1
    with Session(engine) as session:
        with_tests = report(session, since=T0, until=T0 + timedelta(hours=1), include_tests=True)
    assert with_tests.alarms == 5


def test_one_alarms_timings() -> None:
    found = timings(_alarm(0, device_s=1.5, stored_s=0.25, confirm_s=None))
    assert found["device_to_received_s"] == 1.5 and found["received_to_stored_s"] == 0.25
    assert found["device_to_stored_s"] == 1.75 and found["confirmed_to_forwarded_s"] is None
