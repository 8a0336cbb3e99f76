"""Edge → broker → centre with real Mosquitto, an edge on SQLite and the centre on PostgreSQL."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

from sqlmodel import Session, select

from lanewatch.store.health_store import HealthStore
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import CameraRow, HealthEventRow
from lanewatch.video.health import HealthEvent, SourceState
from tests.support.serve import wait_for
from tests.uplink import centre_view
from tests.uplink.conftest import SITE, T0

TIMEOUT = 30.0


def _without(record: dict, *names: str) -> dict:
    return {k: v for k, v in record.items() if k not in names}


def test_violations_and_alarms_arrive_with_the_same_ids_and_fields(make_edge, centre_engine, links) -> None:
    publisher, centre = links
    edge = make_edge()
    centre(centre_engine)
    publisher(edge.engine)
    gate = edge.violation("gate")
    edge.violation(vid=gate.id)
    edge.violation(vid=gate.id, end=True)
    other = edge.violation("yard")
    alarm_id = edge.fire("smoke-1")
    edge.alarms.acknowledge(alarm_id, "duty-1", "on the way")
    with Session(edge.engine) as session:
        HealthStore.apply(session, HealthEvent("gate", SourceState.OFFLINE, T0, "no frames for 10 s"))
        session.commit()

    expected_violations = centre_view.violations(edge.engine)
    expected_alarms = centre_view.alarms(edge.engine)

    def arrived() -> bool:
        got = centre_view.alarms(centre_engine)
        return (
            centre_view.violations(centre_engine).keys() == expected_violations.keys()
            and got.get(alarm_id, {}).get("state") == "acknowledged"
        )

    assert wait_for(arrived, TIMEOUT), centre_view.violations(centre_engine)
    at_centre = centre_view.violations(centre_engine)
    for vid, record in expected_violations.items():
        assert at_centre[vid]["camera"] == f"{SITE}.{record['camera']}"
        assert _without(at_centre[vid], "camera") == _without(record, "camera")
    assert at_centre[gate.id]["active"] is False and at_centre[other.id]["active"] is True
    alarm = centre_view.alarms(centre_engine)[alarm_id]
    assert alarm["device_id"] == f"{SITE}.smoke-1"
    assert _without(alarm, "device_id", "next_escalation_at") == _without(
        expected_alarms[alarm_id], "device_id", "next_escalation_at"
    )
    with Session(centre_engine) as session:  # the site's cameras belong to its organisation: scopes work
        org = session.exec(select(OrganisationRow).where(OrganisationRow.code == SITE)).one()
        camera = session.get(CameraRow, f"{SITE}.gate")
        assert camera is not None and camera.org_pk == org.pk and camera.enabled is False
    link = centre_view.site(centre_engine, SITE)
    assert link is not None and link.messages >= 6 and link.last_edge_time is not None
    assert link.clock_skew_s is not None and abs(link.clock_skew_s) < 5
    assert wait_for(lambda: edge.backlog() == 0, TIMEOUT)  # deleted once the centre confirmed
    with Session(centre_engine) as session:
        health = session.exec(select(HealthEventRow)).one()
        assert (health.camera_id, health.state, health.detail) == (f"{SITE}.gate", "offline", "no frames for 10 s")


def _applied_in_seq_order(engine) -> bool:
    from lanewatch.store.uplink_tables import UplinkRecordRow

    with Session(engine) as session:
        rows = list(session.exec(select(UplinkRecordRow).order_by(UplinkRecordRow.seq)))
    return all(a.received_at <= b.received_at for a, b in itertools.pairwise(rows))


def _entries_made(edge) -> int:
    """Every outbox entry the edge ever wrote (SQLite AUTOINCREMENT's high-water mark)."""
    from sqlalchemy import text

    with edge.engine.connect() as conn:
        return conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'uplink_outbox'")).scalar_one()


def test_a_broker_outage_loses_nothing_and_drains_in_order(make_edge, centre_engine, links, broker) -> None:
    publisher, centre = links
    edge = make_edge()
    ingest = centre(centre_engine)
    uplink = publisher(edge.engine)
    first = edge.violation("gate")
    assert wait_for(lambda: first.id in centre_view.violations(centre_engine) and edge.backlog() == 0, TIMEOUT)

    broker.stop()
    assert wait_for(lambda: not uplink.connected, TIMEOUT)
    written = [edge.violation(f"cam-{i % 3}").id for i in range(30)]
    alarm_id = edge.fire("smoke-9")
    edge.violation(vid=first.id, end=True)
    assert edge.backlog() == 32  # all waiting on disk
    broker.start()

    def drained() -> bool:
        at_centre = centre_view.violations(centre_engine)
        return (
            edge.backlog() == 0
            and all(v in at_centre for v in written)
            and alarm_id in centre_view.alarms(centre_engine)
            and at_centre[first.id]["active"] is False
        )

    assert wait_for(drained, TIMEOUT), (edge.backlog(), broker.log_tail())
    assert wait_for(lambda: ingest.counters()["applied"] == _entries_made(edge), TIMEOUT), ingest.counters()
    assert len(centre_view.violations(centre_engine)) == 31  # none twice, none lost
    assert _applied_in_seq_order(centre_engine)


def _outbox_message(edge) -> tuple[str, bytes]:
    """The topic and bytes the publisher would send for the newest outbox entry."""
    from lanewatch.store.uplink_tables import UplinkOutboxRow
    from lanewatch.uplink.broker import topic
    from lanewatch.uplink.publisher import message

    with Session(edge.engine) as session:
        row = session.exec(select(UplinkOutboxRow).order_by(UplinkOutboxRow.seq.desc())).first()
        return topic(SITE, row.kind), message(SITE, row)


def _publish_by_hand(broker, topic: str, payload: bytes) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="by-hand", protocol=mqtt.MQTTv5)
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.publish(topic, payload, qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def test_a_message_delivered_again_or_late_changes_nothing(make_edge, centre_engine, links, broker) -> None:
    publisher, centre = links
    edge = make_edge()
    ingest = centre(centre_engine)
    v = edge.violation("gate")
    first = _outbox_message(edge)
    publisher(edge.engine)
    assert wait_for(lambda: v.id in centre_view.violations(centre_engine), TIMEOUT)
    edge.violation(vid=v.id, end=True)  # a newer update
    assert wait_for(lambda: centre_view.violations(centre_engine)[v.id]["active"] is False, TIMEOUT)
    newest = centre_view.violations(centre_engine)[v.id]
    applied = ingest.counters()["applied"]

    _publish_by_hand(broker, *first)  # the "new" again, after the "end": a redelivery that came late
    _publish_by_hand(broker, *first)
    assert wait_for(lambda: ingest.counters()["duplicates"] >= 2, TIMEOUT), ingest.counters()
    assert centre_view.violations(centre_engine) == {v.id: newest}
    assert ingest.counters()["applied"] == applied
    assert centre_view.site(centre_engine, SITE).duplicates >= 2


def test_a_publisher_killed_before_draining_loses_nothing(make_edge, centre_engine, links, broker) -> None:
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    _, centre = links
    edge = make_edge()
    first_centre = centre(centre_engine)
    assert first_centre.subscribed.wait(TIMEOUT)
    ids = [edge.violation(f"cam-{i % 4}").id for i in range(60)] + [edge.fire("smoke-2")]
    url = str(edge.engine.url)
    root = Path(__file__).resolve().parents[2]

    def run_publisher() -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.uplink.edge_publisher", url, broker.host, str(broker.port), SITE],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "READY"
        return process

    def held() -> int:
        return len(set(ids) & (centre_view.violations(centre_engine).keys() | centre_view.alarms(centre_engine).keys()))

    def all_handed_to_the_broker() -> bool:
        from lanewatch.store.uplink_tables import UplinkOutboxRow

        with Session(edge.engine) as session:
            return session.exec(select(UplinkOutboxRow).where(UplinkOutboxRow.attempts == 0)).first() is None

    first_centre.stop()  # its broker session keeps the messages; no confirmation reaches the edge meanwhile
    process = run_publisher()
    try:
        assert wait_for(all_handed_to_the_broker, TIMEOUT)
        os.kill(process.pid, signal.SIGKILL)  # published, not confirmed: still in the outbox
        process.wait(10)
        assert edge.backlog() == len(ids)
        centre(centre_engine)  # the same client id: it gets its queued messages
        process = run_publisher()  # sends them all again: the centre keeps one of each
        assert wait_for(lambda: held() == len(ids) and edge.backlog() == 0, TIMEOUT), (held(), edge.backlog())
    finally:
        process.kill()
        process.wait(10)
    assert len(centre_view.violations(centre_engine)) == 60


def test_a_full_outbox_drops_camera_health_first_and_keeps_every_record(
    make_edge, centre_engine, links, caplog
) -> None:
    from lanewatch.store.health_store import HealthStore
    from lanewatch.video.health import HealthEvent, SourceState

    publisher, centre = links
    edge = make_edge(max_rows=10)
    for i in range(6):
        state = SourceState.OFFLINE if i % 2 == 0 else SourceState.ONLINE
        with Session(edge.engine) as session:
            HealthStore.apply(session, HealthEvent("gate", state, T0 + timedelta(seconds=i), "link"))
            session.commit()
    ids = [edge.violation("gate").id for _ in range(12)]
    # 6 health + 12 violations, limit 10: the 6 health entries made room, the last 2 violations went past it
    assert edge.outbox.counters() == {"dropped": 6, "over_limit": 2}
    assert edge.backlog() == 12
    assert "uplink outbox full" in caplog.text
    centre(centre_engine)
    publisher(edge.engine)
    assert wait_for(lambda: set(ids) <= centre_view.violations(centre_engine).keys(), TIMEOUT)


def test_a_device_back_online_shows_so_at_the_centre(make_edge, centre_engine, links) -> None:
    from lanewatch.alarms.messages import MessageKind, SensorMessage
    from lanewatch.store.alarm_tables import DeviceRow
    from lanewatch.store.tables import utcnow

    publisher, centre = links
    edge = make_edge()
    with Session(edge.engine) as session:
        session.add(DeviceRow(id="smoke-7", type="smoke_detector", name="3 号楼烟感", offline=True, offline_since=T0))
        session.commit()
    edge.alarms.submit([SensorMessage(device_id="smoke-7", kind=MessageKind.HEARTBEAT)], utcnow())  # device.online
    centre(centre_engine)
    publisher(edge.engine)

    def at_centre():
        with Session(centre_engine) as session:
            return session.get(DeviceRow, f"{SITE}.smoke-7")

    device = wait_for(at_centre, TIMEOUT)
    assert device is not None and device.offline is False and device.name == "3 号楼烟感"
    assert device.offline_after is None and device.last_seen_at is not None
    with Session(centre_engine) as session:
        org = session.exec(select(OrganisationRow).where(OrganisationRow.code == SITE)).one()
    assert device.org_pk == org.pk


def test_the_outbox_signals_a_write_only_once_it_is_committed(make_edge) -> None:
    from lanewatch.events.violation import ViolationEvent
    from lanewatch.store.violation_store import ViolationStore

    edge = make_edge()
    v = edge.violation("gate")  # committed: signalled
    assert edge.outbox.written.is_set()
    edge.outbox.written.clear()
    with Session(edge.engine) as session:
        ViolationStore.apply(session, ViolationEvent("end", v, replace(v, end_s=v.last_seen_s)))
        session.flush()
        assert edge.backlog() == 1  # another connection sees only the committed entry
        assert not edge.outbox.written.is_set()  # a read now would not see this one: not yet signalled
        session.rollback()
    assert not edge.outbox.written.is_set()


def test_a_publisher_following_the_outbox_sends_a_new_record_without_waiting_for_its_idle_read(
    make_edge, centre_engine, links, broker
) -> None:
    from lanewatch.config import UplinkConfig
    from lanewatch.uplink.publisher import UplinkPublisher

    _, centre = links
    centre(centre_engine)
    edge = make_edge()
    config = UplinkConfig(enabled=True, host=broker.host, port=broker.port, site=SITE, confirm_timeout_s=2.0)
    publisher = UplinkPublisher(edge.engine, config, poll_s=0.05)
    publisher.follow(edge.outbox.written)
    publisher.idle_s = 3600.0  # only the signal can explain a prompt send
    publisher.start()
    try:
        first = edge.violation("gate").id
        assert wait_for(lambda: publisher.counters()["confirmed"] == 1, TIMEOUT)  # idle now: nothing left to read
        second = edge.violation("gate").id
        assert wait_for(lambda: {first, second} <= centre_view.violations(centre_engine).keys(), TIMEOUT)
    finally:
        publisher.stop()
