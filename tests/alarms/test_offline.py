"""The heartbeat watch with a test clock: offline after heartbeat × grace, back online on any message."""

from __future__ import annotations

from lanewatch.alarms.devices import check_rules
from tests.alarms.conftest import add_device, alarms_of, audit_of, device_of, msg

HEARTBEAT_S = 60.0


def _register(service, device_id: str = "nb-1") -> None:
    add_device(service.engine, device_id, rules={"heartbeat_s": HEARTBEAT_S})


def test_silent_longer_than_heartbeat_times_grace_is_offline(service, clock, bus, settings) -> None:
    _register(service)
    service.submit([msg("nb-1", kind="heartbeat")], clock())
    limit = HEARTBEAT_S * settings.offline_grace_factor
    clock.advance(limit - 1)
    service.scan()
    assert device_of(service.engine, "nb-1").offline is False and alarms_of(service.engine) == []
    clock.advance(1)
    service.scan()
    device = device_of(service.engine, "nb-1")
    assert device.offline is True and device.offline_since is not None
    [alarm] = alarms_of(service.engine)
    assert (alarm.alarm_type, alarm.severity, alarm.source) == ("offline", "medium", "rule")
    assert "应每 60 秒至少上报一次" in alarm.detail  # the configured language (zh-CN by default)
    [event] = [p for t, p in bus.published if t == "device.offline"]
    assert event["device"]["id"] == "nb-1" and event["device"]["offline"] is True
    clock.advance(600)
    service.scan()  # still silent: no second alarm, no second event
    assert len(alarms_of(service.engine)) == 1
    assert len([t for t, _ in bus.published if t == "device.offline"]) == 1


def test_any_message_brings_it_back_and_resolves_the_offline_alarm(service, clock, bus) -> None:
    _register(service)
    service.submit([msg("nb-1", kind="heartbeat")], clock())
    clock.advance(HEARTBEAT_S * 10)
    service.scan()
    clock.advance(5)
    service.submit([msg("nb-1", kind="battery", value=80)], clock())
    device = device_of(service.engine, "nb-1")
    assert device.offline is False and device.offline_since is None
    [alarm] = alarms_of(service.engine)
    assert alarm.state == "resolved" and alarm.resolved_by == "device:http"
    assert [a[0] for a in audit_of(service.engine, alarm.id)] == ["raised", "resolved"]
    assert [t for t, _ in bus.published if t.startswith("device.")] == ["device.offline", "device.online"]


def test_a_registered_device_that_never_reports_goes_offline(client, keys, runtime) -> None:
    """Registered through the API, never heard from: offline after its first heartbeat window."""
    from datetime import timedelta

    from lanewatch.store.tables import utcnow

    body = {"id": "never-1", "type": "smoke_detector", "rules": {"heartbeat_s": HEARTBEAT_S}}
    assert client.post("/api/alarms/devices", json=body, headers=keys.headers("admin")).status_code == 201
    runtime.alarms.scan(utcnow() + timedelta(seconds=HEARTBEAT_S * 2))
    assert device_of(runtime.engine, "never-1").offline is False
    runtime.alarms.scan(utcnow() + timedelta(seconds=HEARTBEAT_S * runtime.alarms.settings.offline_grace_factor + 1))
    assert device_of(runtime.engine, "never-1").offline is True
    assert "登记后从未收到过消息" in alarms_of(runtime.engine, "never-1")[0].detail


def test_the_heartbeat_comes_from_the_type_when_not_overridden(service, clock, settings) -> None:
    add_device(service.engine, "mains-1", "electrical_fire_monitor")
    service.submit([msg("mains-1", kind="heartbeat")], clock())
    heartbeat = check_rules("electrical_fire_monitor", None).heartbeat_s
    clock.advance(heartbeat * settings.offline_grace_factor - 1)
    service.scan()
    assert device_of(service.engine, "mains-1").offline is False
    clock.advance(2)
    service.scan()
    assert device_of(service.engine, "mains-1").offline is True
