"""Escalation along the chain until acknowledged, and the 119 forward; scheduled by a test clock and for real."""

from __future__ import annotations

import json
import time

import pytest
from sqlmodel import Session, select

from lanewatch.alarms.records import Outcome
from lanewatch.alarms.service import AlarmService
from lanewatch.config import AlarmSettings, AlarmTarget, FirstEscalation, WebhookConfig
from lanewatch.store.outbox import WebhookDispatcher
from lanewatch.store.tables import OutboxRow, WebhookRow
from tests.alarms.conftest import alarms_of, audit_of, msg
from tests.support.serve import wait_for
from tests.support.webhook_receiver import Receiver

SECRET = "escalation-secret-0123456789"
STEPS = ("duty desk", "micro fire station", "street centre")


def _chain(urls: list[str], after_s: float) -> list[AlarmTarget]:
    return [
        AlarmTarget(name=name, url=url, secret=SECRET, after_s=after_s) for name, url in zip(STEPS, urls, strict=False)
    ]


def _sent(engine) -> list[tuple[str, str, int]]:
    """(webhook description, event type, level) of every escalation delivery queued, in order."""
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxRow, WebhookRow.description)
            .join(WebhookRow)
            .where(OutboxRow.event_type == "alarm.escalated")
            .order_by(OutboxRow.pk)
        )
        return [(d.split(": ", 1)[1], r.event_type, r.payload["level"]) for r, d in rows]


@pytest.fixture
def settings() -> AlarmSettings:
    urls = [f"http://127.0.0.1:9/{n}" for n in range(3)]
    return AlarmSettings(
        escalation_chain=_chain(urls, after_s=30), first_escalation_s=FirstEscalation(critical=60), repeat_s=120
    )


def test_an_unacknowledged_fire_climbs_the_chain_then_repeats_until_acknowledged(service, clock, bus) -> None:
    t0 = clock()
    service.submit([msg()], t0)
    [alarm] = alarms_of(service.engine)
    schedule = [
        (59, []),
        (60, [("duty desk", 1)]),
        (89, []),
        (90, [("micro fire station", 2)]),
        (120, [("street centre", 3)]),
        (239, []),
        (240, [("duty desk", 4), ("micro fire station", 4), ("street centre", 4)]),
    ]
    expected: list[tuple[str, int]] = []
    for seconds, new in schedule:
        clock.now_value = t0.__class__.fromtimestamp(t0.timestamp() + seconds, t0.tzinfo)
        service.scan()
        expected += new
        assert [(name, level) for name, _, level in _sent(service.engine)] == expected, f"at {seconds} s"
    service.acknowledge(alarm.id, "ann")
    clock.advance(3600)
    service.scan()
    assert len(_sent(service.engine)) == len(expected)
    escalations = [p for t, p in bus.published if t == "alarm.escalated"]
    assert [p["level"] for p in escalations] == [1, 2, 3, 4]
    assert escalations[0]["target"] == "duty desk" and escalations[3]["repeat"] is True
    assert [a[0] for a in audit_of(service.engine, alarm.id)].count("escalated") == 4


def test_first_escalation_depends_on_severity_and_tests_do_not_escalate(service, clock, settings) -> None:
    t0 = clock()
    service.submit([msg("f", alarm_type="fault"), msg("b", alarm_type="low_battery"), msg("t", test=True)], t0)
    clock.advance(settings.first_escalation_s.medium - 1)
    service.scan()
    assert _sent(service.engine) == []
    clock.advance(1)
    service.scan()
    assert [(name, level) for name, _, level in _sent(service.engine)] == [("duty desk", 1)]
    by_device = {a.device_id: a for a in alarms_of(service.engine)}
    assert by_device["f"].escalation_level == 1
    assert by_device["b"].next_escalation_at is None and by_device["t"].next_escalation_at is None


def test_no_chain_means_no_escalation(engine, bus, clock) -> None:
    service = AlarmService(engine, bus, AlarmSettings(), clock=clock)
    service.submit([msg()], clock())
    [alarm] = alarms_of(engine)
    assert alarm.next_escalation_at is None


def test_changing_the_chain_disables_the_old_targets(engine, bus, settings) -> None:
    AlarmService(engine, bus, settings)
    AlarmService(engine, bus, settings.model_copy(update={"escalation_chain": settings.escalation_chain[:1]}))
    with Session(engine) as session:
        enabled = {r.description.split(": ", 1)[1]: r.enabled for r in session.exec(select(WebhookRow))}
    assert enabled == {"duty desk": True, "micro fire station": False, "street centre": False}


def test_real_escalation_deliveries_and_the_119_forward(engine, bus) -> None:
    """Short times, a running scanner and dispatcher, real signed HTTP receivers on 127.0.0.1."""
    desk, station, centre = Receiver(SECRET), Receiver(SECRET), Receiver(SECRET)
    settings = AlarmSettings(
        escalation_chain=_chain([desk.url, station.url], after_s=0.4),
        first_escalation_s=FirstEscalation(critical=0.3),
        repeat_s=0.5,
        scan_interval_s=0.05,
        forward_119=AlarmTarget(name="119 centre", url=centre.url, secret=SECRET),
    )
    service = AlarmService(engine, bus, settings)
    dispatcher = WebhookDispatcher(engine, WebhookConfig(timeout_s=2), poll_s=0.05, on_delivered=service.on_delivered)
    service.start()
    dispatcher.start()
    try:
        sent_at = time.monotonic()
        service.submit([msg()], service.clock())
        [alarm] = alarms_of(engine)
        assert wait_for(lambda: len(desk.delivered()) >= 2, timeout=10), "no repeat reached the duty desk"
        first_desk, first_station = desk.delivered()[0], station.delivered()[0]
        assert 0.25 <= first_desk["at"] - sent_at <= 1.5
        assert 0.6 <= first_station["at"] - sent_at <= 2.0
        assert first_desk["at"] < first_station["at"]
        assert all(r["valid"] for r in desk.delivered() + station.delivered())
        body = json.loads(first_desk["body"])
        assert body["type"] == "alarm.escalated" and body["after"]["id"] == alarm.id and body["level"] == 1
        service.acknowledge(alarm.id, "ann")
        time.sleep(0.3)  # anything already queued goes out now
        count = len(desk.requests) + len(station.requests)
        time.sleep(1.2)  # more than two repeat intervals
        assert len(desk.requests) + len(station.requests) == count, "escalation went on after the acknowledgement"

        service.confirm(alarm.id, "ann", Outcome.REAL_FIRE)
        assert wait_for(lambda: centre.delivered(), timeout=10)
        forwarded = json.loads(centre.delivered()[0]["body"])
        assert forwarded["type"] == "alarm.forward" and forwarded["after"]["outcome"] == "real_fire"
        assert wait_for(lambda: alarms_of(engine)[0].forwarded_at is not None, timeout=5)
        final = alarms_of(engine)[0]
        assert final.forwarded_at >= final.confirmed_at
        assert "forwarded" in [a[0] for a in audit_of(engine, alarm.id)]
        assert any(p["action"] == "forwarded" for t, p in bus.published if t == "alarm.update")
    finally:
        service.stop()
        dispatcher.stop()
        for receiver in (desk, station, centre):
            receiver.close()
