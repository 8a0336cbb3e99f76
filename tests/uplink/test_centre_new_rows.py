"""New records written as one COPY per table at the commit (PostgreSQL): the same rows as the ORM's.

`lanewatch.uplink.new_rows` replaces ORM rows for what the centre has not seen yet; these tests hold it to
what the ORM path gave: the same stored values, updates later in the batch kept, nothing kept of a
rolled-back transaction, rows written early read back as ORM rows, and every event told once.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from lanewatch.store.tables import CameraRow, OutboxRow, ViolationRow, WebhookRow, utcnow
from lanewatch.store.uplink_tables import UplinkRecordRow
from lanewatch.uplink.centre import apply_batch
from lanewatch.uplink.new_rows import add_new, is_new, write_new
from lanewatch.uplink.prefetch import known
from tests.uplink.conftest import SITE
from tests.uplink.test_centre_apply import _message, _violation

AT = datetime(2026, 12, 3, 8, 0, 30, tzinfo=UTC)


def _values(vid: str) -> dict:
    return {
        "id": vid, "camera": f"{SITE}.gate", "zone": "lane-1", "zone_name": "东门", "label": "car",
        "start_s": 1.0, "violation_s": 30.0, "last_seen_s": 31.0, "started_at": AT, "violation_at": AT,
        "confidence": 0.8, "box_x1": 0.1, "box_y1": 0.2, "box_x2": 0.3, "box_y2": 0.4,
    }  # fmt: skip


def _stored(engine, model, pk) -> dict:
    with Session(engine) as session:
        row = session.get(model, pk)
        assert row is not None, pk
        return row.model_dump()


def test_a_new_row_is_stored_as_the_orm_stores_it_defaults_included(centre_engine) -> None:
    with Session(centre_engine) as session:
        session.add(ViolationRow(**_values("orm")))
        session.add(CameraRow(id="orm-cam", name="东门", source_url="rtsp://127.0.0.1/a"))
        new = add_new(session, ViolationRow, ("violation", "new"), _values("new"))
        add_new(
            session,
            CameraRow,
            ("camera", "new-cam"),
            {"id": "new-cam", "name": "东门", "source_url": "rtsp://127.0.0.1/a"},
        )
        assert is_new(new) and new.state == "new" and new.end_s is None  # the table's defaults, before the commit
        session.commit()
    orm, core = _stored(centre_engine, ViolationRow, "orm"), _stored(centre_engine, ViolationRow, "new")
    updated = orm.pop("updated_at"), core.pop("updated_at")  # a default factory: the time of each row's making
    assert {**orm, "id": "new"} == core
    assert all(t.tzinfo is not None and abs((t - utcnow()).total_seconds()) < 60 for t in updated)
    cameras = [_stored(centre_engine, CameraRow, pk) for pk in ("orm-cam", "new-cam")]
    for camera in cameras:  # default factories too
        assert camera.pop("created_at").tzinfo is not None and camera.pop("updated_at").tzinfo is not None
    assert {**cameras[0], "id": "new-cam"} == cameras[1]


def test_a_rolled_back_transaction_writes_none_of_its_new_rows(centre_engine) -> None:
    with Session(centre_engine) as session:
        add_new(session, ViolationRow, ("violation", "gone"), _values("gone"))
        session.rollback()
        add_new(session, ViolationRow, ("violation", "kept"), _values("kept"))
        session.commit()
    with Session(centre_engine) as session:
        assert list(session.exec(select(ViolationRow.id))) == ["kept"]


def test_written_rows_leave_the_cache_and_are_read_back_as_orm_rows(centre_engine) -> None:
    with Session(centre_engine) as session:
        add_new(session, ViolationRow, ("violation", "v1"), _values("v1"))
        write_new(session)
        row = known(session, ("violation", "v1"), lambda: session.get(ViolationRow, "v1"))
        assert isinstance(row, ViolationRow) and not is_new(row)
        row.last_seen_s = 44.0
        session.add(row)
        session.commit()  # nothing left to insert: no second INSERT of v1
    assert _stored(centre_engine, ViolationRow, "v1")["last_seen_s"] == 44.0


def test_with_a_webhook_each_event_of_a_batch_is_delivered_once_and_the_last_update_kept(centre_engine) -> None:
    with Session(centre_engine) as session:
        session.add(WebhookRow(url="http://127.0.0.1:9/d", secret="s" * 32, events=["violation.*"]))
        session.commit()
    batch = [
        _message(SITE, _violation("v1", last_seen_s=31.0), 1),
        _message(SITE, _violation("v2", last_seen_s=32.0), 2),
        _message(SITE, _violation("v1", last_seen_s=45.0), 3),  # an update of a row not written yet
        _message(SITE, {**_violation("v1", last_seen_s=46.0), "end_s": 46.0, "ended_at": AT.isoformat()}, 4),
    ]
    assert apply_batch(centre_engine, [(*m, utcnow()) for m in batch]) == ["applied"] * 4
    with Session(centre_engine) as session:
        v1, v2 = session.get(ViolationRow, "v1"), session.get(ViolationRow, "v2")
        assert v1 is not None and v2 is not None
        assert (v1.last_seen_s, v1.end_s, v2.last_seen_s) == (46.0, 46.0, 32.0)
        seqs = dict(session.exec(select(UplinkRecordRow.record_id, UplinkRecordRow.seq)).all())
        assert seqs == {"v1": 4, "v2": 2}
        told = list(session.exec(select(OutboxRow.event_type).order_by(col(OutboxRow.pk))))
        assert told == ["violation.new", "violation.new", "violation.update", "violation.end"]
    # the same messages again: each a duplicate, nothing written twice
    assert apply_batch(centre_engine, [(*m, utcnow()) for m in batch]) == ["duplicate"] * 4
    with Session(centre_engine) as session:
        assert len(session.exec(select(OutboxRow.pk)).all()) == 4


def test_a_new_row_whose_key_another_process_stored_fails_the_commit_as_an_insert_would(centre_engine) -> None:
    """COPY's duplicate key comes back as SQLAlchemy's IntegrityError (what `retry_collisions` retries), and the
    transaction keeps nothing."""
    with Session(centre_engine) as other:
        other.add(ViolationRow(**_values("taken")))
        other.commit()
    with Session(centre_engine) as session:
        add_new(session, ViolationRow, ("violation", "free"), _values("free"))
        add_new(session, ViolationRow, ("violation", "taken"), _values("taken"))
        with pytest.raises(IntegrityError):
            session.commit()
    with Session(centre_engine) as session:
        assert session.get(ViolationRow, "free") is None
        assert session.get(ViolationRow, "taken") is not None
