"""The ingest sink on both databases: dedup, one open alarm per device + type, clears, rules, group commit."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, func, select

from lanewatch.alarms.messages import IngestSource
from lanewatch.store.alarm_tables import DeviceMessageRow
from tests.alarms.conftest import add_device, alarms_of, audit_of, device_of, msg


def test_the_same_message_id_twice_is_applied_once(service, clock) -> None:
    first = service.submit([msg(message_id="m-1")], clock())
    again = service.submit([msg(message_id="m-1")], clock())
    assert (first.accepted, first.duplicates) == (1, 0)
    assert (again.accepted, again.duplicates) == (0, 1)
    [alarm] = alarms_of(service.engine)
    assert alarm.count == 1


def test_a_message_id_is_per_device(service, clock) -> None:
    result = service.submit([msg("a", message_id="1"), msg("b", message_id="1"), msg("a", message_id="1")], clock())
    assert (result.accepted, result.duplicates) == (2, 1)
    assert sorted(a.device_id for a in alarms_of(service.engine)) == ["a", "b"]


def test_repeats_of_an_open_alarm_bump_its_counter(service, clock, bus) -> None:
    service.submit([msg(message_id="1")], clock())
    clock.advance(5)
    service.submit([msg(message_id="2"), msg(message_id="3")], clock())
    [alarm] = alarms_of(service.engine)
    assert alarm.count == 3 and alarm.state == "active"
    assert alarm.last_repeat_at is not None
    kinds = [(t, p["action"]) for t, p in bus.published]
    assert kinds == [("alarm.new", "raised"), ("alarm.update", "repeated")]
    assert bus.published[1][1]["before"]["count"] == 1 and bus.published[1][1]["after"]["count"] == 3


def test_a_resolved_alarm_makes_room_for_a_new_one(service, clock) -> None:
    service.submit([msg(alarm_type="fault")], clock())
    [first] = alarms_of(service.engine)
    service.acknowledge(first.id, "op")
    service.resolve(first.id, "op")
    service.submit([msg(alarm_type="fault")], clock.advance(1))
    alarms = alarms_of(service.engine)
    assert [a.state for a in alarms] == ["resolved", "active"]
    assert alarms[0].open_key is None and alarms[1].open_key == "smoke-1|fault"


def test_an_unknown_device_is_auto_registered_and_its_fire_kept(service, clock, bus) -> None:
    result = service.submit([msg("new-gw-7", device_type="manual_call_point")], clock())
    assert result.accepted == 1
    device = device_of(service.engine, "new-gw-7")
    assert device.registered is False and device.type == "manual_call_point"
    [alarm] = alarms_of(service.engine)
    assert alarm.alarm_type == "fire" and alarm.severity == "critical"
    assert bus.published[0][1]["after"]["registered"] is False


def test_a_device_clear_never_resolves_a_fire(service, clock, bus) -> None:
    service.submit([msg()], clock())
    service.submit([msg(kind="clear")], clock.advance(3))
    [alarm] = alarms_of(service.engine)
    assert alarm.state == "active" and alarm.cleared_at is not None and alarm.open_key is not None
    assert [a[0] for a in audit_of(service.engine, alarm.id)] == ["raised", "cleared"]
    assert bus.published[-1][0] == "alarm.update" and bus.published[-1][1]["action"] == "cleared"


def test_a_device_clear_resolves_a_fault(service, clock, bus) -> None:
    service.submit([msg(alarm_type="fault")], clock())
    service.submit([msg(kind="clear", alarm_type="fault")], clock.advance(3))
    [alarm] = alarms_of(service.engine)
    assert alarm.state == "resolved" and alarm.resolved_by == "device:http" and alarm.open_key is None
    assert [a[0] for a in audit_of(service.engine, alarm.id)] == ["raised", "cleared", "resolved"]
    assert bus.published[-1][0] == "alarm.end"


def test_a_clear_with_nothing_open_is_only_recorded(service, clock) -> None:
    service.submit([msg(kind="clear", alarm_type="fault")], clock())
    assert alarms_of(service.engine) == []
    with Session(service.engine) as session:
        assert session.exec(select(func.count()).select_from(DeviceMessageRow)).one() == 1


def test_the_test_flag_is_kept_and_never_drops_a_fire(service, clock) -> None:
    service.submit([msg(test=True)], clock())
    [alarm] = alarms_of(service.engine)
    assert alarm.test is True and alarm.state == "active" and alarm.severity == "critical"


def test_incomplete_messages_are_refused_by_index(service, clock) -> None:
    result = service.submit([msg(), msg(kind="reading"), msg(kind="battery", value=140)], clock())
    assert result.accepted == 1
    assert result.errors[0].startswith("消息[1]：读数消息需要")  # in the deployment's language (Chinese first)
    assert result.errors[1].startswith("消息[2]：电量消息需要")


def test_readings_go_through_the_device_rules(service, clock) -> None:
    add_device(
        service.engine,
        "gas-1",
        "combustible_gas",
        rules={"thresholds": [{"quantity": "gas_lel_pct", "alarm_type": "gas_leak", "above": 20}]},
    )
    service.submit([msg("gas-1", kind="reading", quantity="gas_lel_pct", value=5)], clock())
    assert alarms_of(service.engine) == []
    service.submit([msg("gas-1", kind="reading", quantity="gas_lel_pct", value=35)], clock.advance(10))
    [alarm] = alarms_of(service.engine)
    assert (alarm.alarm_type, alarm.severity, alarm.source) == ("gas_leak", "high", IngestSource.RULE.value)
    assert "20" in alarm.detail


def test_battery_and_tamper(service, clock) -> None:
    add_device(service.engine, "nb-1", "smoke_detector", rules={"low_battery_pct": 20})
    service.submit([msg("nb-1", kind="battery", value=12), msg("nb-1", kind="tamper")], clock())
    device = device_of(service.engine, "nb-1")
    assert device.battery_pct == 12
    assert sorted(a.alarm_type for a in alarms_of(service.engine)) == ["low_battery", "tamper"]


def test_heartbeats_mark_the_device_seen_without_storing_a_message(service, clock) -> None:
    add_device(service.engine, "hb-1")
    service.submit([msg("hb-1", kind="heartbeat")], clock())
    assert device_of(service.engine, "hb-1").last_seen_at is not None
    with Session(service.engine) as session:
        assert session.exec(select(func.count()).select_from(DeviceMessageRow)).one() == 0


def test_concurrent_submits_are_coalesced_and_nothing_is_lost(service, clock, bus) -> None:
    threads, per_thread = 8, 25
    results = []

    def send(n: int) -> None:
        for i in range(per_thread):
            results.append(service.submit([msg(f"dev-{n}-{i}", message_id=f"{n}-{i}")], clock()))

    workers = [threading.Thread(target=send, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sum(r.accepted for r in results) == threads * per_thread
    assert len(alarms_of(service.engine)) == threads * per_thread
    assert len([t for t, _ in bus.published if t == "alarm.new"]) == threads * per_thread
    assert service.commits <= threads * per_thread  # never more commits than batches


def test_a_failing_batch_does_not_fail_the_others_in_its_group(service, clock, monkeypatch) -> None:
    """One batch that breaks inside the transaction is retried alone; the rest of its group is stored."""
    from lanewatch.alarms import apply as apply_module

    original = apply_module.BatchApplier._message

    def broken(self, message, received_at):
        if message.device_id == "poison":
            raise RuntimeError("boom")
        return original(self, message, received_at)

    monkeypatch.setattr(apply_module.BatchApplier, "_message", broken)
    service._queue.append(apply_module.Job([msg("poison")], clock()))  # queued as if by another thread
    service._done[id(service._queue[0])] = threading.Event()
    result = service.submit([msg("good")], clock())
    assert result.accepted == 1
    assert [a.device_id for a in alarms_of(service.engine)] == ["good"]


def test_a_device_time_in_another_zone_is_stored_as_the_same_instant(service, clock) -> None:
    """A China Standard Time device clock must not come back 8 hours off (SQLite drops offsets)."""
    from datetime import datetime, timedelta, timezone

    from lanewatch.store.tables import as_utc

    local = datetime(2026, 6, 1, 16, 0, 5, tzinfo=timezone(timedelta(hours=8)))
    service.submit([msg("smoke-cst", device_time=local)], clock())
    [alarm] = alarms_of(service.engine, "smoke-cst")
    assert as_utc(alarm.device_time) == local  # 08:00:05 UTC, the same instant


def test_a_rule_alarm_is_raised_again_after_its_batch_was_rolled_back(service, clock, monkeypatch) -> None:
    """The rule engine fired inside a transaction that failed: the retry must raise the alarm, not think it did."""
    from lanewatch.alarms import apply as apply_module

    add_device(
        service.engine,
        "gas-2",
        "combustible_gas",
        rules={"thresholds": [{"quantity": "gas_lel_pct", "alarm_type": "gas_leak", "above": 20}]},
    )
    original = apply_module.BatchApplier._alarm_or_clear
    failures = iter([True])

    def fails_once(self, device, message, received_at):
        if next(failures, False):
            raise RuntimeError("database went away")
        return original(self, device, message, received_at)

    monkeypatch.setattr(apply_module.BatchApplier, "_alarm_or_clear", fails_once)
    with pytest.raises(RuntimeError):
        service.submit([msg("gas-2", kind="reading", quantity="gas_lel_pct", value=35, message_id="r1")], clock())
    assert alarms_of(service.engine) == []
    service.submit([msg("gas-2", kind="reading", quantity="gas_lel_pct", value=36, message_id="r2")], clock.advance(5))
    assert [a.alarm_type for a in alarms_of(service.engine)] == ["gas_leak"]


@pytest.mark.parametrize("kind", ["reading", "battery", "operation"])
def test_stored_messages_are_bounded_per_device(service, clock, kind, settings) -> None:
    settings.readings_per_device = 10
    extra = {
        "reading": {"quantity": "temperature_c", "value": 21.0},
        "battery": {"value": 90},
        "operation": {"detail": "reset"},
    }[kind]
    service.submit([msg("t-1", kind=kind, **extra) for _ in range(25)], clock())
    service.prune(clock())
    with Session(service.engine) as session:
        assert session.exec(select(func.count()).select_from(DeviceMessageRow)).one() == 10
