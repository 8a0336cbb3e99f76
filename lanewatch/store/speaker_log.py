"""The speaker calls of a violation, kept as audit rows: the call log, and who stopped the calls.

A call is written (``speaker.call``, actor: the system) *before* its request goes out, with
``pending`` set, and completed with its result after: a process that dies mid-call leaves a
pending row, which the next start marks interrupted and never repeats. So what was called is
read from the database, not from memory, and a restart neither loses nor doubles a call.
A person's stop is a ``speaker.stop`` row; no new column was needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from lanewatch.people import audit
from lanewatch.people.caller import Caller
from lanewatch.store.people_tables import AuditRow
from lanewatch.store.tables import CameraRow, ViolationRow, as_utc

CALL = "speaker.call"
STOP = "speaker.stop"
INTERRUPTED = "interrupted: the service stopped during the call; its result is unknown"


@dataclass(frozen=True, slots=True)
class SpeakerStop:
    by: str
    at: datetime


def _rows(session: Session, violation_id: str, action: str) -> list[AuditRow]:
    query = select(AuditRow).where(
        AuditRow.target_kind == "violation", AuditRow.target_id == violation_id, AuditRow.action == action
    )
    return list(session.exec(query.order_by(col(AuditRow.pk).desc())))


def calls(session: Session, violation_id: str) -> list[AuditRow]:
    """The violation's speaker calls, newest first."""
    return _rows(session, violation_id, CALL)


def stopped(session: Session, violation_id: str) -> SpeakerStop | None:
    """Who stopped the violation's speaker calls, and when; None while they may go on."""
    rows = _rows(session, violation_id, STOP)
    return SpeakerStop(by=rows[-1].actor_name, at=as_utc(rows[-1].at)) if rows else None


def _org(session: Session, violation_id: str) -> int | None:
    violation = session.get(ViolationRow, violation_id)
    camera = session.get(CameraRow, violation.camera) if violation is not None else None
    return camera.org_pk if camera is not None else None


def stop(session: Session, caller: Caller, violation_id: str) -> bool:
    """Record that `caller` stopped the calls (in the caller's transaction); False if they were already stopped."""
    if stopped(session, violation_id) is not None:
        return False
    audit.record(session, caller, STOP, "violation", violation_id, org_pk=_org(session, violation_id), after={})
    return True


def begin_call(session: Session, violation_id: str, target: str, call: int, lasted_s: float) -> AuditRow:
    """The pending row of a call about to be made (commit it before the request goes out)."""
    after: dict[str, Any] = {
        "target": target,
        "call": call,
        "lasted_s": round(lasted_s, 1),
        "status": None,
        "error": None,
        "duration_ms": None,
        "pending": True,
    }
    return audit.record(session, None, CALL, "violation", violation_id, org_pk=_org(session, violation_id), after=after)


def finish_call(session: Session, row: AuditRow, status: int | None, error: str | None, duration_ms: int) -> None:
    """The call's result: the HTTP status, or what went wrong, and how long the request took."""
    assert row.after is not None
    row.after = {**row.after, "status": status, "error": error, "duration_ms": duration_ms, "pending": False}
    session.add(row)


def interrupt_pending(session: Session, violation_id: str) -> int:
    """Mark calls left pending by a process that stopped mid-call; returns how many."""
    marked = 0
    for row in calls(session, violation_id):
        if row.after is not None and row.after.get("pending"):
            row.after = {**row.after, "error": INTERRUPTED, "pending": False}
            session.add(row)
            marked += 1
    return marked
