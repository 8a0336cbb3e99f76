"""Several messages in one centre transaction (PostgreSQL): order, duplicates, poison fallback, ack after commit."""

from __future__ import annotations

import json
import threading

from sqlmodel import Session, select

from lanewatch.config import CentreConfig
from lanewatch.mqtt_receive import Received
from lanewatch.store.tables import ViolationRow, utcnow
from lanewatch.store.uplink_tables import UplinkDeadLetterRow, UplinkRecordRow, UplinkSiteRow
from lanewatch.uplink import centre
from lanewatch.uplink.broker import confirm_topic
from lanewatch.uplink.centre import CentreIngest, apply_batch
from tests.support.serve import wait_for
from tests.uplink.conftest import OTHER_SITE as OTHER
from tests.uplink.conftest import SITE
from tests.uplink.test_centre_apply import _message, _violation


def test_two_updates_of_one_record_in_one_batch_end_in_the_newest_state(centre_engine) -> None:
    first = _message(SITE, _violation("v1", last_seen_s=31.0), 1)
    second = _message(SITE, _violation("v1", last_seen_s=45.0), 2)
    outcomes = apply_batch(centre_engine, [(*first, utcnow()), (*second, utcnow())])
    assert outcomes == ["applied", "applied"]
    with Session(centre_engine) as session:
        assert session.get(ViolationRow, "v1").last_seen_s == 45.0
        site = session.exec(select(UplinkSiteRow).where(UplinkSiteRow.site == SITE)).one()
        assert (site.messages, site.last_seq) == (2, 2)


def test_a_batch_with_a_poison_message_keeps_nothing(centre_engine) -> None:
    good = _message(SITE, _violation("v1"), 1)
    poison = (f"lanewatch/v1/site/{SITE}/violation", b"{not json")
    assert apply_batch(centre_engine, [(*good, utcnow()), (*poison, utcnow())]) is None
    with Session(centre_engine) as session:
        assert session.get(ViolationRow, "v1") is None
        assert session.exec(select(UplinkDeadLetterRow)).all() == []


class _FakeClient:
    """Records acknowledgements, and at each one whether the record is already committed."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.acked: list[tuple[int, bool]] = []

    def ack(self, mid: int, qos: int) -> None:
        with Session(self.engine) as session:
            self.acked.append((mid, session.get(ViolationRow, f"v{mid}") is not None))

    def publish(self, *args, **kwargs) -> None:
        pass


def _work_through(engine, client: _FakeClient, messages: list[tuple[str, bytes]]) -> CentreIngest:
    """A centre ingest's worker on these messages (queued as received, mids from 1), talking to `client`,
    until each is acknowledged."""
    ingest = CentreIngest(engine, CentreConfig(enabled=True, host="127.0.0.1", port=1, client_id="batch"))
    ingest._client = client  # type: ignore[assignment]
    for mid, (topic, payload) in enumerate(messages, start=1):
        ingest._queue.put(Received(topic, payload, mid, 1, ingest._generation, utcnow()))
    worker = threading.Thread(target=ingest._run_worker)
    worker.start()
    try:
        assert wait_for(lambda: len(client.acked) == len(messages), timeout=30)
    finally:
        ingest._stopping.set()
        worker.join(10)
    return ingest


def test_the_worker_applies_good_messages_once_dead_letters_the_poison_and_acks_after_commit(centre_engine) -> None:
    fake = _FakeClient(centre_engine)
    messages = [
        _message(SITE, _violation("v1"), 1),
        _message(SITE, _violation("v2"), 2),
        _message(SITE, _violation("v1"), 1),  # a redelivery
        (f"lanewatch/v1/site/{SITE}/violation", b"{not json"),
        _message(SITE, _violation("v5"), 3),
    ]
    ingest = _work_through(centre_engine, fake, messages)
    assert [mid for mid, _ in fake.acked] == [1, 2, 3, 4, 5]
    assert all(stored for mid, stored in fake.acked if mid in (1, 2, 5))  # each acked only once committed
    assert ingest.counters()["applied"] == 3
    assert ingest.counters()["duplicates"] == 1
    assert ingest.counters()["dead_letters"] == 1
    with Session(centre_engine) as session:
        assert len(session.exec(select(UplinkDeadLetterRow)).all()) == 1
        assert {v.id for v in session.exec(select(ViolationRow))} == {"v1", "v2", "v5"}
        site = session.exec(select(UplinkSiteRow).where(UplinkSiteRow.site == SITE)).one()
        assert site.duplicates == 1


class _RecordingClient(_FakeClient):
    """Also records what the worker publishes (the confirmations), in order with the acknowledgements."""

    def __init__(self, engine) -> None:
        super().__init__(engine)
        self.sent: list[tuple[str, object]] = []
        self.stored_when_told = True

    def ack(self, mid: int, qos: int) -> None:
        super().ack(mid, qos)
        self.sent.append(("ack", mid))

    def publish(self, topic: str, payload: str, qos: int = 0, **kwargs) -> None:
        seqs = json.loads(payload)["seqs"]
        with Session(self.engine) as session:  # a number is told to its edge only once its record is stored
            stored = set(session.exec(select(UplinkRecordRow.seq).where(UplinkRecordRow.site == topic.split("/")[3])))
        self.sent.append((topic, seqs))
        self.stored_when_told = self.stored_when_told and set(seqs) <= stored


def test_batches_are_confirmed_once_per_site_with_all_their_numbers_after_the_commit(two_sites, monkeypatch) -> None:
    monkeypatch.setattr(centre, "BATCH_MAX", 2)  # three batches
    monkeypatch.setattr(centre, "CONFIRM_EVERY_S", 3600.0)  # gathered until the worker finds nothing to apply
    client = _RecordingClient(two_sites)
    messages = [
        _message(SITE, _violation("v1"), 1),
        _message(OTHER, _violation("v2"), 7),
        _message(SITE, _violation("v3"), 2),
        _message(OTHER, _violation("v4"), 8),
        _message(SITE, _violation("v5"), 3),
    ]
    _work_through(two_sites, client, messages)  # its worker stopped: what it gathered is told by then
    confirmations = [(t, seqs) for t, seqs in client.sent if t != "ack"]
    assert sorted(confirmations) == [(confirm_topic(SITE), [1, 2, 3]), (confirm_topic(OTHER), [7, 8])]
    assert client.stored_when_told
    with Session(two_sites) as session:
        sites = {s.site: s for s in session.exec(select(UplinkSiteRow))}
        assert (sites[SITE].messages, sites[SITE].last_seq) == (3, 3)
        assert (sites[OTHER].messages, sites[OTHER].last_seq) == (2, 8)
