"""The speaker-call log of one violation as the API shows it (``/api/violations/{id}/speaker``).

The log itself is audit rows (`lanewatch.store.speaker_log`); this is only its response shape,
kept beside the violations router so that router stays about violations.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session

from lanewatch.store import speaker_log
from lanewatch.store.tables import ViolationRow, as_utc


class SpeakerCallOut(BaseModel):
    """One call of a lane speaker and its result."""

    at: datetime = Field(title="Called at", description="When the call was made (UTC).")
    target: str = Field(title="Speaker", description="The `speakers:` entry's name.")
    call: int = Field(title="Call number", description="1: at after_s, 2: repeat_s later, ...")
    status: int | None = Field(title="HTTP status", description="None when no answer came.")
    error: str | None = Field(title="Error", description="None when the speaker answered 2xx.")
    duration_ms: int | None = Field(title="Request took (ms)")
    lasted_s: float | None = Field(title="The violation had lasted (s)")
    pending: bool = Field(title="Pending", description="The request is still out.")


class SpeakerLogOut(BaseModel):
    """A violation's speaker calls, newest first, and whether they are stopped."""

    violation: str = Field(title="Violation id")
    calling: bool = Field(
        title="Calls may go on", description="The violation lasts, is not acknowledged or resolved, and is not stopped."
    )
    stopped: bool = Field(title="Stopped by a person")
    stopped_by: str | None = Field(title="Stopped by")
    stopped_at: datetime | None = Field(title="Stopped at")
    calls: list[SpeakerCallOut] = Field(title="Calls", description="Newest first.")


def speaker_log_out(session: Session, violation: ViolationRow) -> SpeakerLogOut:
    stop = speaker_log.stopped(session, violation.id)
    calls = [
        SpeakerCallOut(
            at=as_utc(row.at),
            target=str(after.get("target", "")),
            call=int(after.get("call", 0)),
            status=after.get("status"),
            error=after.get("error"),
            duration_ms=after.get("duration_ms"),
            lasted_s=after.get("lasted_s"),
            pending=bool(after.get("pending")),
        )
        for row in speaker_log.calls(session, violation.id)
        for after in [row.after or {}]
    ]
    return SpeakerLogOut(
        violation=violation.id,
        calling=stop is None and violation.end_s is None and violation.state == "new",
        stopped=stop is not None,
        stopped_by=stop.by if stop is not None else None,
        stopped_at=stop.at if stop is not None else None,
        calls=calls,
    )
