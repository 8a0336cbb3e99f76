"""The SQLite store: lifecycle upserts, replays, timezone-aware reads, WAL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.store.db import open_engine, sqlite_url
from lanewatch.store.violation_store import ViolationStore

CST = timezone(timedelta(hours=8))
START = datetime(2026, 6, 1, 9, 0, 0, tzinfo=CST)


def _v(vid: str, **changes) -> Violation:
    base = dict(id=vid, camera="cam", zone="lane", zone_name="Lane", label="car", start_s=0.0, violation_s=8.0,
                last_seen_s=9.0, end_s=None, started_at=START, violation_at=START + timedelta(seconds=8),
                ended_at=None, confidence=0.7, box=(0.1, 0.2, 0.3, 0.4))
    return Violation(**{**base, **changes})


def test_lifecycle_upserts_and_replays_change_nothing(tmp_path) -> None:
    engine = open_engine(sqlite_url(tmp_path / "db" / "lanewatch.db"))
    store = ViolationStore(engine)
    new = _v("a")
    store(ViolationEvent("new", None, new))
    store(ViolationEvent("new", None, new))  # replayed after a crash
    store(ViolationEvent("new", None, _v("b", camera="other")))
    assert [v.id for v in store.list(active=True)] == ["a", "b"]
    ended = _v("a", end_s=30.0, ended_at=START + timedelta(seconds=30), last_seen_s=30.0)
    store(ViolationEvent("end", new, ended))
    assert [v.id for v in store.list(active=True)] == ["b"]
    got = store.get("a")
    assert got.end_s == 30.0 and got.ended_at == START + timedelta(seconds=30)
    assert got.started_at.tzinfo is not None and got.started_at == START  # same instant, stored as UTC
    assert [v.id for v in store.list(camera="other")] == ["b"]
    assert store.get("missing") is None
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_pipeline_updates_never_overwrite_the_operators_state(tmp_path) -> None:
    from sqlmodel import Session

    from lanewatch.store.tables import ViolationRow

    engine = open_engine(sqlite_url(tmp_path / "lanewatch.db"))
    store = ViolationStore(engine)
    store(ViolationEvent("new", None, _v("a")))
    with Session(engine) as session:
        row = session.get(ViolationRow, "a")
        row.state, row.acknowledged_by, row.ack_comment = "acknowledged", "duty-1", "guard sent"
        session.add(row)
        session.commit()
    store(ViolationEvent("update", _v("a"), _v("a", last_seen_s=40.0)))
    with Session(engine) as session:
        row = session.get(ViolationRow, "a")
        assert (row.state, row.acknowledged_by, row.ack_comment, row.last_seen_s) == (
            "acknowledged", "duty-1", "guard sent", 40.0)
