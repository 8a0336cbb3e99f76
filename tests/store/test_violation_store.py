"""The violation store on SQLite and PostgreSQL: lifecycle upserts, replays, timezone-aware reads, evidence rows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.store.db import open_engine, sqlite_url
from lanewatch.store.tables import EvidenceRow, ViolationRow
from lanewatch.store.violation_store import ViolationStore

CST = timezone(timedelta(hours=8))
START = datetime(2026, 6, 1, 9, 0, 0, 123456, tzinfo=CST)


def _v(vid: str, **changes) -> Violation:
    base = {
        "id": vid,
        "camera": "cam",
        "zone": "lane",
        "zone_name": "Lane",
        "label": "car",
        "start_s": 0.0,
        "violation_s": 8.0,
        "last_seen_s": 9.0,
        "end_s": None,
        "started_at": START,
        "violation_at": START + timedelta(seconds=8),
        "ended_at": None,
        "confidence": 0.7,
        "box": (0.1, 0.2, 0.3, 0.4),
    }
    return Violation(**{**base, **changes})


def test_lifecycle_upserts_and_replays_change_nothing(engine) -> None:
    store = ViolationStore(engine)
    new = _v("a")
    store(ViolationEvent("new", None, new))
    store(ViolationEvent("new", None, new))  # replayed after a crash
    store(ViolationEvent("new", None, _v("b", camera="other")))
    assert [v.id for v in store.list(active=True)] == ["a", "b"]
    ended = _v("a", end_s=30.0, ended_at=START + timedelta(seconds=30), last_seen_s=30.0)
    store(ViolationEvent("end", new, ended))
    store(ViolationEvent("end", new, ended))  # replayed
    assert [v.id for v in store.list(active=True)] == ["b"]
    assert [v.id for v in store.list(active=False)] == ["a"]
    got = store.get("a")
    assert got == ended  # every field round-trips, times as the same instants
    assert got.end_s == 30.0 and got.ended_at == START + timedelta(seconds=30)
    assert [v.id for v in store.list(camera="other")] == ["b"]
    assert store.get("missing") is None


def test_times_come_back_timezone_aware_utc_with_microseconds(engine) -> None:
    ViolationStore(engine)(ViolationEvent("new", None, _v("a")))
    got = ViolationStore(engine).get("a")
    for value in (got.started_at, got.violation_at):
        assert value.utcoffset() == timedelta(0)
    assert got.started_at == START and got.started_at.microsecond == 123456
    assert got.violation_at == START + timedelta(seconds=8)


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    engine = open_engine(sqlite_url(tmp_path / "db" / "lanewatch.db"))
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_pipeline_updates_never_overwrite_the_operators_state(engine) -> None:
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
            "acknowledged",
            "duty-1",
            "guard sent",
            40.0,
        )


def _evidence(engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(EvidenceRow).order_by(EvidenceRow.violation_id, EvidenceRow.kind))
        return [(r.violation_id, r.kind, r.path) for r in rows]


def test_a_new_violation_records_its_two_evidence_files_once(engine) -> None:
    store = ViolationStore(engine)
    shot = _v("a", snapshot="cam/a.jpg", snapshot_clean="cam/a-clean.jpg")
    store(ViolationEvent("new", None, shot))
    store(ViolationEvent("new", None, shot))  # replayed
    store(
        ViolationEvent(
            "update", shot, _v("a", snapshot="cam/a.jpg", snapshot_clean="cam/a-clean.jpg", last_seen_s=20.0)
        )
    )
    store(ViolationEvent("new", None, _v("b")))  # no snapshots (no evidence writer): no rows
    assert _evidence(engine) == [("a", "annotated", "cam/a.jpg"), ("a", "clean", "cam/a-clean.jpg")]


@pytest.mark.parametrize("kind", ["new", "update"])
def test_evidence_joins_the_callers_transaction(engine, kind) -> None:
    """`apply` writes nothing by itself: a rolled-back transaction leaves neither violation nor evidence."""
    shot = _v("a", snapshot="cam/a.jpg", snapshot_clean="cam/a-clean.jpg")
    with Session(engine) as session:
        ViolationStore.apply(session, ViolationEvent(kind, None, shot))
        session.rollback()
    assert ViolationStore(engine).get("a") is None and _evidence(engine) == []
