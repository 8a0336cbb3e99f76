"""Persist violation lifecycle events; read violations back as records.

Every event is an upsert keyed by the violation id, so replaying an event
(after a crash between write and acknowledgement) changes nothing. The
pipeline only writes the columns it owns: an operator's acknowledgement or
resolution is never overwritten by a later update from the camera.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.store import record_tap
from lanewatch.store.tables import EvidenceRow, ViolationRow, utcnow
from lanewatch.store.tables import as_utc as _utc


def to_row(v: Violation) -> ViolationRow:
    x1, y1, x2, y2 = v.box
    return ViolationRow(
        id=v.id,
        camera=v.camera,
        zone=v.zone,
        zone_name=v.zone_name,
        label=v.label,
        start_s=v.start_s,
        violation_s=v.violation_s,
        last_seen_s=v.last_seen_s,
        end_s=v.end_s,
        started_at=_utc(v.started_at),
        violation_at=_utc(v.violation_at),
        ended_at=_utc(v.ended_at),
        confidence=v.confidence,
        box_x1=x1,
        box_y1=y1,
        box_x2=x2,
        box_y2=y2,
        snapshot=v.snapshot,
        snapshot_clean=v.snapshot_clean,
        unreliable=v.unreliable,
        unreliable_reason=v.unreliable_reason,
        updated_at=utcnow(),
    )


def from_row(r: ViolationRow) -> Violation:
    return Violation(
        id=r.id,
        camera=r.camera,
        zone=r.zone,
        zone_name=r.zone_name,
        label=r.label,
        start_s=r.start_s,
        violation_s=r.violation_s,
        last_seen_s=r.last_seen_s,
        end_s=r.end_s,
        started_at=_utc(r.started_at),
        violation_at=_utc(r.violation_at),
        ended_at=_utc(r.ended_at),
        confidence=r.confidence,
        box=(r.box_x1, r.box_y1, r.box_x2, r.box_y2),
        snapshot=r.snapshot,
        snapshot_clean=r.snapshot_clean,
        unreliable_reason=(r.unreliable_reason or "unknown") if r.unreliable else None,
    )


PIPELINE_COLUMNS = (
    "camera",
    "zone",
    "zone_name",
    "label",
    "start_s",
    "violation_s",
    "last_seen_s",
    "end_s",
    "started_at",
    "violation_at",
    "ended_at",
    "confidence",
    "box_x1",
    "box_y1",
    "box_x2",
    "box_y2",
    "snapshot",
    "snapshot_clean",
    "updated_at",
)


EVIDENCE_KINDS = (("annotated", "snapshot"), ("clean", "snapshot_clean"))
"""Evidence kind → the violation column holding its file."""


def _record_evidence(session: Session, row: ViolationRow) -> None:
    """One `EvidenceRow` per snapshot kind, added the first time the violation carries that file.

    The snapshots are taken when a violation opens, so this normally happens on
    its ``new`` event; a replayed event finds the rows there and adds nothing.
    """
    wanted = {kind: getattr(row, column) for kind, column in EVIDENCE_KINDS if getattr(row, column)}
    if not wanted:
        return
    session.flush()  # the violation row first: evidence references it
    have = set(session.exec(select(EvidenceRow.kind).where(EvidenceRow.violation_id == row.id)))
    for kind, path in wanted.items():
        if kind not in have:
            session.add(EvidenceRow(violation_id=row.id, kind=kind, path=path))


class ViolationStore:
    """A sink for `ViolationEvent`s backed by the SQL store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, event: ViolationEvent) -> None:
        with Session(self.engine) as session:
            self.apply(session, event)
            session.commit()

    @staticmethod
    def apply(session: Session, event: ViolationEvent) -> ViolationRow:
        """Upsert the pipeline-owned columns in the caller's transaction (so outbox rows can join it)."""
        fresh = to_row(event.after)
        row = session.get(ViolationRow, fresh.id)
        if row is None:
            session.add(fresh)
            row = fresh
        else:
            for column in PIPELINE_COLUMNS:
                setattr(row, column, getattr(fresh, column))
            if fresh.unreliable and not row.unreliable:  # a mark, once set, stays (see events.unreliable)
                row.unreliable, row.unreliable_reason = True, fresh.unreliable_reason
            session.add(row)
        _record_evidence(session, row)
        record_tap.emit(session, "violation", row)  # e.g. the uplink's outbox row, in this transaction
        return row

    def get(self, violation_id: str) -> Violation | None:
        with Session(self.engine) as session:
            row = session.get(ViolationRow, violation_id)
            return from_row(row) if row else None

    def list(self, camera: str | None = None, active: bool | None = None) -> list[Violation]:
        with Session(self.engine) as session:
            query = select(ViolationRow).order_by(col(ViolationRow.started_at), col(ViolationRow.id))
            if camera is not None:
                query = query.where(ViolationRow.camera == camera)
            if active is not None:
                query = query.where(
                    col(ViolationRow.end_s).is_(None) if active else col(ViolationRow.end_s).is_not(None)
                )
            return [from_row(r) for r in session.exec(query)]
