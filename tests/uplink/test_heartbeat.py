"""The edge's heartbeat: sent by the publisher to a real Mosquitto, applied at the centre on PostgreSQL."""

from __future__ import annotations

import json
import queue
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlmodel import Session, select

import lanewatch
from lanewatch.config import UplinkConfig
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import as_utc
from lanewatch.store.uplink_tables import UplinkOutboxRow, UplinkSiteRow
from lanewatch.uplink.broker import topic
from lanewatch.uplink.centre_apply import BadMessage
from lanewatch.uplink.heartbeat import apply_heartbeat, decode
from lanewatch.uplink.publisher import UplinkPublisher
from tests.support.serve import wait_for
from tests.uplink.conftest import SITE, T0


def _body(**changes: object) -> dict:
    body = {
        "site": SITE,
        "kind": "heartbeat",
        "sent_at": (T0 - timedelta(seconds=2)).isoformat(),
        "backlog": 7,
        "oldest_entry_at": (T0 - timedelta(seconds=90)).isoformat(),
        "version": "0.1.0",
    }
    body.update(changes)
    return body


def _site(engine) -> UplinkSiteRow | None:
    with Session(engine) as session:
        return session.get(UplinkSiteRow, SITE)


def _apply(engine, body: object, at=T0, site: str = SITE) -> None:
    with Session(engine) as session:
        apply_heartbeat(session, site, body, at)
        session.commit()


def test_a_heartbeat_makes_the_site_row_with_backlog_lag_skew_and_version(centre_engine) -> None:
    _apply(centre_engine, _body())
    row = _site(centre_engine)
    with Session(centre_engine) as session:
        org_pk = session.exec(select(OrganisationRow.pk).where(OrganisationRow.code == SITE)).one()
    assert row is not None
    assert (row.org_pk, as_utc(row.last_heartbeat_at), row.backlog, row.lag_s, row.clock_skew_s, row.edge_version) == (
        org_pk,
        T0,
        7,
        88.0,  # sent_at − oldest_entry_at: the edge's own clock
        2.0,
        "0.1.0",
    )
    assert (row.messages, row.last_message_at) == (0, None)  # a heartbeat is not a message


@pytest.mark.parametrize("edge_off_s", [-7200.0, -3.5, 0.0, 45.0, 3600.0])
def test_a_skewed_edge_clock_changes_the_skew_and_not_the_lag(centre_engine, edge_off_s: float) -> None:
    """An edge whose clock runs `edge_off_s` ahead (behind when negative) stamps both sent_at and its oldest
    entry with that clock: the lag it reports stays 88 s, the skew takes the whole difference."""
    off = timedelta(seconds=edge_off_s)
    sent_at, oldest = T0 - timedelta(seconds=2) + off, T0 - timedelta(seconds=90) + off
    _apply(centre_engine, _body(sent_at=sent_at.isoformat(), oldest_entry_at=oldest.isoformat()))
    row = _site(centre_engine)
    assert row is not None and (row.lag_s, row.clock_skew_s) == (88.0, 2.0 - edge_off_s)


def test_a_later_heartbeat_replaces_an_older_one_and_a_late_old_one_changes_nothing(centre_engine) -> None:
    _apply(centre_engine, _body())
    later = T0 + timedelta(seconds=30)
    _apply(centre_engine, _body(backlog=0, oldest_entry_at=None, sent_at=later.isoformat()), at=later)
    _apply(centre_engine, _body(backlog=99), at=T0 + timedelta(seconds=1))  # redelivered late
    row = _site(centre_engine)
    assert row is not None
    assert (as_utc(row.last_heartbeat_at), row.backlog, row.lag_s, row.clock_skew_s) == (later, 0, 0.0, 0.0)


def test_a_heartbeat_keeps_the_message_counters(centre_engine) -> None:
    with Session(centre_engine) as session:
        session.add(UplinkSiteRow(site=SITE, messages=5, duplicates=1, dead_letters=2, last_seq=9))
        session.commit()
    _apply(centre_engine, _body())
    row = _site(centre_engine)
    assert row is not None and (row.messages, row.duplicates, row.dead_letters, row.last_seq, row.backlog) == (
        5,
        1,
        2,
        9,
        7,
    )


def test_an_unknown_site_is_kept_without_organisation(centre_engine) -> None:
    _apply(centre_engine, _body(site="nobody"), site="nobody")
    with Session(centre_engine) as session:
        row = session.get(UplinkSiteRow, "nobody")
    assert row is not None and row.org_pk is None and row.backlog == 7


@pytest.mark.parametrize(
    "body",
    [
        "not an object",
        {k: v for k, v in _body().items() if k != "backlog"},
        _body(site="other"),
        _body(kind="violation"),
        _body(backlog=-1),
        _body(backlog="7"),
        _body(backlog=True),
        _body(sent_at="yesterday"),
        _body(sent_at="2026-12-03T08:00:00"),  # no time zone
        _body(oldest_entry_at=12),
        _body(version=""),
        _body(version="x" * 33),
    ],
)
def test_bad_heartbeats_are_refused_and_change_nothing(centre_engine, body) -> None:
    with Session(centre_engine) as session, pytest.raises(BadMessage):
        apply_heartbeat(session, SITE, body, T0)
    assert _site(centre_engine) is None


@pytest.mark.parametrize("raw", [b"{", b"[1]", b"\xff"])
def test_unreadable_heartbeats_are_bad_messages(raw) -> None:
    with pytest.raises(BadMessage):
        decode(raw)


def _when(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    assert parsed.tzinfo is not None
    return parsed


def _listen(broker) -> tuple[mqtt.Client, queue.Queue]:
    got: queue.Queue = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="heartbeat-listener", protocol=mqtt.MQTTv5)
    client.on_message = lambda c, u, m: got.put((m.topic, m.qos, json.loads(m.payload)))
    client.connect(broker.host, broker.port)
    client.subscribe(topic(SITE, "heartbeat"), qos=1)
    client.loop_start()
    return client, got


def test_the_publisher_sends_heartbeats_with_its_backlog_and_they_are_no_outbox_rows(make_edge, broker) -> None:
    edge = make_edge()
    first = edge.violation("gate")
    edge.violation("yard")
    with Session(edge.engine) as session:
        oldest = session.exec(select(UplinkOutboxRow).order_by(UplinkOutboxRow.seq)).first()
    assert oldest is not None and first
    client, got = _listen(broker)
    config = UplinkConfig(enabled=True, host=broker.host, port=broker.port, site=SITE, heartbeat_s=5)
    publisher = UplinkPublisher(edge.engine, config, poll_s=0.05)
    try:
        publisher.start()
        name, qos, body = got.get(timeout=15)  # the first goes at once after connecting
        assert (name, qos) == (topic(SITE, "heartbeat"), 1)
        assert body["site"] == SITE and body["kind"] == "heartbeat" and body["version"] == lanewatch.__version__
        assert body["backlog"] == 2 == edge.backlog()  # no centre confirms: both wait; the heartbeat is no row
        assert body["oldest_entry_at"] == as_utc(oldest.created_at).isoformat()
        assert as_utc(oldest.created_at) <= _when(body["sent_at"])
        edge.violation("side")
        _, _, again = got.get(timeout=10)  # heartbeat_s later
        assert again["backlog"] == 3 and _when(again["sent_at"]) > _when(body["sent_at"])
        assert publisher.counters()["heartbeats"] == 2 and edge.backlog() == 3
    finally:
        publisher.stop()
        client.loop_stop()
        client.disconnect()


def test_no_heartbeat_is_sent_or_queued_while_disconnected(make_edge, broker) -> None:
    edge = make_edge()
    edge.violation("gate")
    broker.stop()
    config = UplinkConfig(
        enabled=True, host=broker.host, port=broker.port, site=SITE, heartbeat_s=5, reconnect_max_s=0.5
    )
    publisher = UplinkPublisher(edge.engine, config, poll_s=0.05)
    try:
        publisher.start()
        assert not wait_for(lambda: publisher.connected, 2)
        assert publisher.counters()["heartbeats"] == 0 and edge.backlog() == 1
        broker.start()
        assert wait_for(lambda: publisher.counters()["heartbeats"] == 1, 20)  # one, at the connect: none queued
        assert edge.backlog() == 1
    finally:
        publisher.stop()
