"""A heartbeat through the centre's own ingest path (the shared subscription takes every topic of a site,
heartbeats too): it updates the site's link row, is not a record, and a broken one is a dead letter."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from lanewatch.store.tables import utcnow
from lanewatch.store.uplink_tables import UplinkDeadLetterRow, UplinkRecordRow, UplinkSiteRow
from lanewatch.uplink.broker import topic
from lanewatch.uplink.centre import apply_batch, apply_with_retry
from tests.uplink.conftest import SITE


def _heartbeat(backlog: int) -> bytes:
    body = {"site": SITE, "kind": "heartbeat", "sent_at": utcnow().isoformat(), "backlog": backlog,
            "oldest_entry_at": None, "version": "0.1.0"}  # fmt: skip
    return json.dumps(body).encode()


def test_heartbeats_reach_the_site_row_alone_and_in_a_batch(centre_engine) -> None:
    assert apply_with_retry(centre_engine, topic(SITE, "heartbeat"), _heartbeat(7), utcnow()) == "heartbeat"
    with Session(centre_engine) as session:
        link = session.get(UplinkSiteRow, SITE)
        assert link is not None and link.backlog == 7 and link.messages == 0  # state, not a message
    items = [(topic(SITE, "heartbeat"), _heartbeat(n), utcnow()) for n in (5, 3)]
    assert apply_batch(centre_engine, items) == ["heartbeat", "heartbeat"]
    with Session(centre_engine) as session:
        assert session.get(UplinkSiteRow, SITE).backlog == 3  # the later one
        assert session.exec(select(UplinkRecordRow)).all() == []
        assert session.exec(select(UplinkDeadLetterRow)).all() == []


def test_a_broken_heartbeat_is_a_dead_letter(centre_engine) -> None:
    assert apply_with_retry(centre_engine, topic(SITE, "heartbeat"), b"not json", utcnow()) == "dead"
    with Session(centre_engine) as session:
        (letter,) = session.exec(select(UplinkDeadLetterRow)).all()
        assert letter.site == SITE and "JSON" in letter.reason
