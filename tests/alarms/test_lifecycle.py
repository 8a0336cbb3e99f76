"""Operator steps on both databases: allowed transitions, refusals, audit, maintenance flag, shown."""

from __future__ import annotations

import pytest

from lanewatch.alarms.lifecycle import TransitionError, UnknownAlarm
from lanewatch.alarms.records import Outcome
from tests.alarms.conftest import add_device, alarms_of, audit_of, device_of, msg


def _raise(service, clock, **fields) -> str:
    service.submit([msg(**fields)], clock())
    return alarms_of(service.engine)[-1].id


def test_the_duty_workflow_is_audited_step_by_step(service, clock, bus) -> None:
    alarm_id = _raise(service, clock)
    service.shown(alarm_id, "console")
    clock.advance(4)
    service.acknowledge(alarm_id, "ann", "on my way")
    clock.advance(30)
    service.confirm(alarm_id, "ann", Outcome.REAL_FIRE, "smoke seen on camera")
    clock.advance(600)
    alarm = service.resolve(alarm_id, "bob", "fire brigade left")
    assert alarm.state == "resolved" and alarm.outcome == "real_fire" and alarm.open_key is None
    assert (alarm.acknowledged_by, alarm.confirmed_by, alarm.resolved_by) == ("ann", "ann", "bob")
    assert audit_of(service.engine, alarm_id) == [
        ("raised", "device:http", None, "active"),
        ("shown", "console", "active", "active"),
        ("acknowledged", "ann", "active", "acknowledged"),
        ("confirmed", "ann", "acknowledged", "confirmed"),
        ("resolved", "bob", "confirmed", "resolved"),
    ]
    assert [t for t, _ in bus.published] == ["alarm.new", "alarm.update", "alarm.update", "alarm.update", "alarm.end"]
    assert bus.published[3][1]["before"]["state"] == "acknowledged"
    assert bus.published[3][1]["after"]["outcome"] == "real_fire"


def test_confirming_straight_away_records_the_acknowledgement(service, clock) -> None:
    alarm_id = _raise(service, clock)
    alarm = service.confirm(alarm_id, "ann", Outcome.TEST)
    assert alarm.acknowledged_by == "ann" and alarm.acknowledged_at == alarm.confirmed_at


@pytest.mark.parametrize(
    "steps, refused, says",
    [
        ([], "resolve", "confirm it"),  # a fire must be confirmed before resolving
        (["acknowledge"], "resolve", "confirm it"),
        (["acknowledge"], "acknowledge", "already acknowledged"),
        (["confirm"], "acknowledge", "already confirmed"),
        (["confirm"], "confirm", "already confirmed"),
        (["confirm", "resolve"], "acknowledge", "already resolved"),
        (["confirm", "resolve"], "resolve", "already resolved"),
    ],
)
def test_wrong_steps_are_refused_with_the_current_state(service, clock, steps, refused, says) -> None:
    alarm_id = _raise(service, clock)
    do = {
        "acknowledge": lambda: service.acknowledge(alarm_id, "ann"),
        "confirm": lambda: service.confirm(alarm_id, "ann", Outcome.FALSE_ALARM),
        "resolve": lambda: service.resolve(alarm_id, "ann"),
    }
    for step in steps:
        do[step]()
    before = audit_of(service.engine, alarm_id)
    with pytest.raises(TransitionError, match=says):
        do[refused]()
    assert audit_of(service.engine, alarm_id) == before


def test_a_fault_may_be_resolved_once_acknowledged_but_not_before(service, clock) -> None:
    alarm_id = _raise(service, clock, alarm_type="fault")
    with pytest.raises(TransitionError, match="acknowledge it"):
        service.resolve(alarm_id, "ann")
    service.acknowledge(alarm_id, "ann")
    assert service.resolve(alarm_id, "ann").state == "resolved"


def test_unknown_alarm(service) -> None:
    with pytest.raises(UnknownAlarm):
        service.acknowledge("0" * 32, "ann")


def test_shown_is_recorded_once(service, clock) -> None:
    alarm_id = _raise(service, clock)
    first = service.shown(alarm_id, "console-1").shown_at
    clock.advance(10)
    assert service.shown(alarm_id, "console-2").shown_at == first
    assert [a[0] for a in audit_of(service.engine, alarm_id)] == ["raised", "shown"]


def test_more_false_alarms_a_day_than_the_limit_flag_the_device(service, clock, bus, settings) -> None:
    add_device(service.engine, "smoky", name="Kitchen smoke")
    limit = settings.maintenance_false_alarms_per_day
    for n in range(limit + 1):
        alarm_id = _raise(service, clock, device_id="smoky")
        service.confirm(alarm_id, "ann", Outcome.FALSE_ALARM, "cooking")
        service.resolve(alarm_id, "ann")
        clock.advance(3600)
        flagged = device_of(service.engine, "smoky").maintenance
        assert flagged is (n + 1 > limit)
    device = device_of(service.engine, "smoky")
    assert f"{limit + 1} false alarms" in device.maintenance_reason
    [event] = [p for t, p in bus.published if t == "device.maintenance"]
    assert event["device"]["id"] == "smoky" and event["device"]["maintenance"] is True


def test_false_alarms_spread_over_days_do_not_flag(service, clock, settings) -> None:
    add_device(service.engine, "ok-1")
    for _ in range(settings.maintenance_false_alarms_per_day + 2):
        alarm_id = _raise(service, clock, device_id="ok-1")
        service.confirm(alarm_id, "ann", Outcome.FALSE_ALARM)
        service.resolve(alarm_id, "ann")
        clock.advance(13 * 3600)  # at most 2 of them in any 24 h
    assert device_of(service.engine, "ok-1").maintenance is False
