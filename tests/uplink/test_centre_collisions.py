"""Two centre processes' transactions at the same time (PostgreSQL): neither deadlocks nor fails the other.

Measured with 100 new sites and 2–4 centre processes (benchmarks/uplink.py): a heartbeat wrote its site's
row where it came in the batch, out of the sorted order the counters use, and a site's first messages
made its cameras one at a time in both processes; batches of 200 deadlocked or collided and were applied
again one message per transaction. These tests hold two transactions open at once, as two processes do.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session, func, select

from lanewatch.store.tables import CameraRow, ViolationRow, utcnow
from lanewatch.store.uplink_tables import UplinkSiteRow
from lanewatch.uplink import centre as centre_module
from lanewatch.uplink.centre import apply_batch
from lanewatch.uplink.centre_apply import apply_message
from tests.support.serve import wait_for
from tests.uplink.conftest import OTHER_SITE as OTHER
from tests.uplink.conftest import SITE
from tests.uplink.test_centre_apply import _message, _violation


def _waiting_on_a_lock(engine) -> bool:
    """Whether some connection of this database waits for a row lock (the other transaction's)."""
    with engine.connect() as connection:
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return connection.execute(text(waiting)).scalar_one() > 0


def _heartbeat(site: str, backlog: int) -> tuple[str, bytes]:
    now = utcnow()
    body = {"site": site, "kind": "heartbeat", "sent_at": now.isoformat(), "backlog": backlog,
            "oldest_entry_at": (now - timedelta(seconds=5)).isoformat(), "version": "0.1.0"}  # fmt: skip
    return f"lanewatch/v1/site/{site}/heartbeat", json.dumps(body).encode()


def _commit_in_thread(session: Session, errors: list[BaseException]) -> threading.Thread:
    def commit() -> None:
        try:
            session.commit()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    thread = threading.Thread(target=commit)
    thread.start()
    return thread


def test_heartbeats_and_records_of_two_sites_in_opposite_orders_commit_side_by_side(two_sites) -> None:
    engine = two_sites
    for site in (SITE, OTHER):  # both sites' rows exist, as on a centre that has run a while
        with Session(engine) as session:
            apply_message(session, *_heartbeat(site, 0), utcnow())
            session.commit()
    first, second = Session(engine), Session(engine)
    errors: list[BaseException] = []
    try:
        assert apply_message(first, *_heartbeat(OTHER, 3), utcnow()) == "heartbeat"
        assert apply_message(first, *_message(SITE, _violation("v1"), 1), utcnow()) == "applied"
        assert apply_message(second, *_heartbeat(SITE, 4), utcnow()) == "heartbeat"
        assert apply_message(second, *_message(OTHER, _violation("v2"), 1), utcnow()) == "applied"
        thread = _commit_in_thread(first, errors)
        second.commit()  # a deadlock aborts one of the two after PostgreSQL's deadlock_timeout (1 s)
        thread.join(30)
    finally:
        first.close()
        second.close()
    assert errors == []
    with Session(engine) as session:
        assert session.get(ViolationRow, "v1") is not None and session.get(ViolationRow, "v2") is not None
        rows = {r.site: r for r in session.exec(select(UplinkSiteRow))}
    assert (rows[SITE].messages, rows[SITE].backlog) == (1, 4)
    assert (rows[OTHER].messages, rows[OTHER].backlog) == (1, 3)


def test_an_older_heartbeat_in_a_later_batch_does_not_replace_the_newer_state(centre_engine) -> None:
    newer, older = _heartbeat(SITE, 9), _heartbeat(SITE, 2)
    later = utcnow()
    with Session(centre_engine) as session:
        apply_message(session, *newer, later)
        session.commit()
    with Session(centre_engine) as session:  # redelivered late, with its own (earlier) receipt time
        apply_message(session, *older, later - timedelta(seconds=30))
        apply_message(session, *_message(SITE, _violation("v1"), 1), utcnow())
        session.commit()
    with Session(centre_engine) as session:
        row = session.get(UplinkSiteRow, SITE)
    assert (row.backlog, row.messages) == (9, 1)


def test_a_new_sites_first_messages_in_two_transactions_at_once_are_applied_as_a_batch(
    centre_engine, monkeypatch
) -> None:
    monkeypatch.setattr(centre_module, "BATCH_ATTEMPTS", 1, raising=False)  # no second try: it must not collide
    holder = Session(centre_engine)
    outcomes: list[object] = []
    try:
        assert apply_message(holder, *_message(SITE, _violation("v1"), 1), utcnow()) == "applied"
        holder.flush()  # camera "gate" of the site made, not yet committed: the other process's view
        batch = [(*_message(SITE, _violation(f"v{n}"), n), utcnow()) for n in (2, 3)]
        worker = threading.Thread(target=lambda: outcomes.append(apply_batch(centre_engine, batch)))
        worker.start()
        assert wait_for(lambda: _waiting_on_a_lock(centre_engine), timeout=30)  # on the holder's new camera
        holder.commit()
        worker.join(30)
    finally:
        holder.close()
    assert outcomes == [["applied", "applied"]]
    with Session(centre_engine) as session:
        assert session.exec(select(func.count()).select_from(CameraRow)).one() == 1
        assert len(session.exec(select(ViolationRow)).all()) == 3
