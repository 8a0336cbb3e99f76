"""Live events and webhooks of what the centre applies: every listening centre process hears each applied
record once (PostgreSQL LISTEN/NOTIFY), never one of a rolled-back batch or a redelivery, and each webhook is
queued once, only inside its organisation. Messages are the edge's own (its outbox rows, as the publisher
sends them)."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest
from sqlmodel import Session, col, select

from lanewatch.events.bus import EventBus, LiveEvent
from lanewatch.store.db import open_engine
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import OutboxRow, WebhookRow, utcnow
from lanewatch.store.uplink_tables import UplinkOutboxRow, UplinkSiteRow
from lanewatch.uplink import centre_events
from lanewatch.uplink.broker import topic
from lanewatch.uplink.centre import apply_batch, apply_with_retry
from lanewatch.uplink.centre_events import LiveListener
from lanewatch.uplink.publisher import message
from tests.support.serve import wait_for
from tests.uplink.conftest import SITE


class Recording(EventBus):
    """A process's bus that also keeps what it was told, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def publish(self, kind: str, payload: dict[str, Any]) -> LiveEvent:
        self.seen.append((kind, payload))
        return super().publish(kind, payload)


def _messages(edge, site: str = SITE) -> list[tuple[str, bytes, Any]]:
    """What the edge's publisher would send, oldest first (and the outbox emptied, as confirmations do)."""
    with Session(edge.engine) as session:
        rows = list(session.exec(select(UplinkOutboxRow).order_by(col(UplinkOutboxRow.seq))))
        for row in rows:
            session.delete(row)
        session.commit()
    return [(topic(site, r.kind), message(site, r), utcnow()) for r in rows]


def _record_id(payload: dict[str, Any]) -> str:
    return payload.get("after", {}).get("id") or payload.get("device", {}).get("id") or payload["camera"]


@pytest.fixture
def listeners(centre_engine):
    """Two centre processes' buses, each with its own LISTEN connection."""
    buses = [Recording(), Recording()]
    running = [LiveListener(centre_engine, bus) for bus in buses]
    for listener in running:
        listener.start()
    assert all(listener.ready.wait(30) for listener in running)
    yield buses
    for listener in running:
        listener.stop()


def test_every_centre_process_hears_each_applied_record_once_and_redeliveries_not_at_all(
    make_edge, centre_engine, listeners
) -> None:
    edge = make_edge()
    v = edge.violation("gate")
    edge.violation(vid=v.id)
    edge.violation(vid=v.id, end=True)
    alarm = edge.fire("smoke-1")
    sent = _messages(edge)
    assert apply_batch(centre_engine, sent[:2]) is not None  # a batch, as the ingest applies what has arrived
    for item in sent[2:]:
        apply_with_retry(centre_engine, *item)
    for item in sent:  # the broker gives everything again (a centre restarted before acknowledging)
        assert apply_with_retry(centre_engine, *item) == "duplicate"

    violation_types = ["violation.new", "violation.update", "violation.end"]
    expected_count = len(sent)  # one event per record change (no pictures here)
    assert wait_for(lambda: all(len(bus.seen) >= expected_count for bus in listeners), 30)
    for bus in listeners:
        seen = bus.seen
        assert len(seen) == expected_count, [kind for kind, _ in seen]
        violations = [(kind, p) for kind, p in seen if kind.startswith("violation.")]
        assert [kind for kind, _ in violations] == violation_types
        assert {p["after"]["id"] for _, p in violations} == {v.id}
        assert {p["after"]["camera"] for _, p in violations} == {f"{SITE}.gate"}  # the centre's ids: scopes apply
        assert (
            violations[0][1]["before"] is None
            and violations[1][1]["before"]["last_seen_s"] < (violations[1][1]["after"]["last_seen_s"])
        )
        alarms = [p for kind, p in seen if kind == "alarm.new"]
        assert [p["after"]["id"] for p in alarms] == [alarm]
        assert alarms[0]["after"]["device_id"] == f"{SITE}.smoke-1"
    assert listeners[0].seen == listeners[1].seen


def test_a_rolled_back_batch_tells_nobody(make_edge, centre_engine, listeners) -> None:
    edge = make_edge()
    good = edge.violation("gate")
    first = _messages(edge)
    poison = (topic("nobody", "violation"), b'{"not": "a record"}', utcnow())
    assert apply_batch(centre_engine, [*first, poison]) is None  # rolled back whole: applied one by one later
    marker = edge.violation("yard")
    apply_with_retry(centre_engine, *_messages(edge)[0])
    assert wait_for(lambda: all(bus.seen for bus in listeners), 30)
    for bus in listeners:
        assert [p["after"]["id"] for _, p in bus.seen] == [marker.id]  # nothing of the rolled-back batch
    apply_with_retry(centre_engine, *first[0])
    assert wait_for(lambda: all(len(bus.seen) == 2 for bus in listeners), 30)
    assert [p["after"]["id"] for _, p in listeners[0].seen] == [marker.id, good.id]


def test_an_event_too_big_for_a_notification_is_read_back(make_edge, centre_engine, listeners, monkeypatch) -> None:
    monkeypatch.setattr(centre_events, "NOTIFY_MAX_BYTES", 64)
    edge = make_edge()
    v = edge.violation("gate")
    apply_with_retry(centre_engine, *_messages(edge)[0])
    assert wait_for(lambda: all(bus.seen for bus in listeners), 30)
    for bus in listeners:
        ((kind, payload),) = bus.seen
        assert kind == "violation.new" and payload["after"]["id"] == v.id
        assert payload["after"]["camera"] == f"{SITE}.gate"


def test_each_webhook_is_queued_once_and_only_inside_its_organisation(make_edge, centre_engine) -> None:
    with Session(centre_engine) as session:
        root = session.exec(select(OrganisationRow).where(OrganisationRow.code == "district")).one()
        other = OrganisationRow(code="site-b", name="B 社区", kind="community", parent_pk=root.pk)
        session.add(other)
        session.flush()
        ours = session.exec(select(OrganisationRow).where(OrganisationRow.code == SITE)).one()
        hooks = {
            "district": WebhookRow(url="http://127.0.0.1:9/d", secret="s" * 32, events=["violation.*"]),
            "ours": WebhookRow(url="http://127.0.0.1:9/a", secret="s" * 32, events=["*"], org_pk=ours.pk),
            "other": WebhookRow(url="http://127.0.0.1:9/b", secret="s" * 32, events=["*"], org_pk=other.pk),
        }
        session.add_all(hooks.values())
        session.commit()
        pks = {name: hook.pk for name, hook in hooks.items()}
    edge = make_edge()
    v = edge.violation("gate")
    edge.fire("smoke-1")
    sent = _messages(edge)
    for item in sent + sent:  # and everything redelivered
        apply_with_retry(centre_engine, *item)
    with Session(centre_engine) as session:
        rows = list(session.exec(select(OutboxRow)))
    queued = {name: sorted(r.event_type for r in rows if r.webhook_pk == pk) for name, pk in pks.items()}
    assert queued["district"] == ["violation.new"]  # only the types it asked for
    assert len(queued["ours"]) == len(sent) and {"violation.new", "alarm.new"} <= set(queued["ours"])
    assert queued["other"] == []  # another community's webhook hears nothing of this site
    keys = [r.idempotency_key for r in rows if r.webhook_pk == pks["district"]]
    assert keys == [f"{SITE}:violation:{v.id}:{json.loads(sent[0][1])['seq']}"]


def test_a_single_centre_on_sqlite_tells_its_own_bus_after_the_commit(
    make_edge, migrated_templates, request, tmp_path
) -> None:
    path = tmp_path / "centre.db"
    shutil.copyfile(migrated_templates("sqlite", request), path)
    engine = open_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        root = session.exec(select(OrganisationRow).where(OrganisationRow.code == "district")).one()
        session.add(OrganisationRow(code=SITE, name="A 社区", kind="community", parent_pk=root.pk))
        session.commit()
    bus = Recording()
    centre_events.attach(engine, bus)
    try:
        edge = make_edge()
        v = edge.violation("gate")
        sent = _messages(edge)
        assert apply_batch(engine, [*sent, (topic("nobody", "violation"), b"{}", utcnow())]) is None
        assert bus.seen == []  # rolled back: nothing told
        apply_with_retry(engine, *sent[0])
        apply_with_retry(engine, *sent[0])
        assert [(kind, p["after"]["id"]) for kind, p in bus.seen] == [("violation.new", v.id)]
        with Session(engine) as session:  # the site's counters, written once per commit, add up on SQLite too
            link = session.get(UplinkSiteRow, SITE)
            assert (link.messages, link.duplicates, link.dead_letters, link.last_seq) == (2, 1, 0, 1)
    finally:
        centre_events.detach(engine)
        engine.dispose()
