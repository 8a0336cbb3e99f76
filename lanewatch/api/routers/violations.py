"""/api/violations routes: search with cursor pages, operator acknowledgement/resolution, evidence pictures.

Operator state: new → acknowledged → resolved (resolving straight from new
is allowed). Each step is one conditional UPDATE, so two operators acting at
once cannot both succeed; the loser gets a 409 saying what happened.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal, cast
from urllib.parse import quote

from fastapi import APIRouter, Body, Path, Query, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import to_json, to_jsonable_python
from sqlalchemy import update
from sqlmodel import Session, col

from lanewatch.api.deps import RuntimeDep, SessionDep, StrictJSONRoute
from lanewatch.api.errors import ApiError, responses
from lanewatch.api.imaging import crop_box, decode_jpeg, encode_jpeg
from lanewatch.api.permits import Reader, ViolationHandler
from lanewatch.api.runtime import Runtime
from lanewatch.api.speaker_calls import SpeakerLogOut, speaker_log_out
from lanewatch.events.report import violation_json
from lanewatch.people import audit
from lanewatch.people.caller import Caller
from lanewatch.people.scope import Scope
from lanewatch.store import record_tap, speaker_log
from lanewatch.store.queries import InvalidCursor, ViolationSearch, violation_values
from lanewatch.store.tables import CameraRow, ViolationRow, as_utc, utcnow
from lanewatch.store.violation_store import from_row
from lanewatch.words.said import Code, Word

log = logging.getLogger(__name__)

router = APIRouter(prefix="/violations", tags=["violations"], route_class=StrictJSONRoute)

State = Literal["new", "acknowledged", "resolved"]
ViolationValues = Any
"""A violation's columns read by name: a `ViolationRow`, or the named tuple `violation_values` gives."""
ViolationPath = Annotated[str, Path(max_length=64, title="Violation id")]


class ViolationOut(BaseModel):
    """A violation with its operator state. Times are UTC; `*_s` are seconds of stream time."""

    id: str = Field(title="Violation id")
    camera: str = Field(title="Camera id")
    zone: str = Field(title="Zone id")
    zone_name: str = Field(title="Zone name")
    label: str = Field(title="Class", description="What stopped in the lane (car, truck, ...).")
    active: bool = Field(title="Active", description="Still in the lane (not ended).")
    start_s: float = Field(title="Entered at (s of stream time)")
    violation_s: float = Field(title="Became a violation at (s of stream time)")
    last_seen_s: float = Field(title="Last seen at (s of stream time)")
    end_s: float | None = Field(title="Ended at (s of stream time)")
    dwell_s: float = Field(title="Dwell (s)", description="Time in the lane, to the end or to the last sighting.")
    started_at: datetime = Field(title="Entered at")
    violation_at: datetime = Field(title="Became a violation at")
    ended_at: datetime | None = Field(title="Ended at")
    confidence: float = Field(title="Detector confidence")
    box: list[float] = Field(
        min_length=4, max_length=4, title="Box", description="x1, y1, x2, y2 as fractions of the frame."
    )
    state: State = Field(title="Operator state")
    unreliable: bool = Field(
        title="Unreliable",
        description="Raised while the camera's view had moved off its zones: check it before acting on it.",
    )
    unreliable_reason: str | None = Field(title="Why unreliable", description="camera_moved, or null.")
    acknowledged_by: str | None = Field(title="Acknowledged by (key name)")
    acknowledged_at: datetime | None = Field(title="Acknowledged at")
    ack_comment: str | None = Field(title="Acknowledgement comment")
    resolved_by: str | None = Field(title="Resolved by (key name)")
    resolved_at: datetime | None = Field(title="Resolved at")
    resolve_comment: str | None = Field(title="Resolution comment")
    updated_at: datetime = Field(title="Updated at")
    snapshot_url: str | None = Field(title="Annotated snapshot", description="Relative URL of the annotated JPEG.")
    clean_snapshot_url: str | None = Field(title="Clean snapshot", description="Relative URL of the clean JPEG.")

    @classmethod
    def of(cls, row: ViolationValues) -> ViolationOut:
        """Built without validation from `violation_fields` (every value comes from a typed column of our
        own table)."""
        return cls.model_construct(**violation_fields(row))


def violation_fields(row: ViolationValues) -> dict[str, Any]:
    """`ViolationOut`'s fields as Python values (times made aware UTC), from an ORM row or plain columns.

    Why a dict and not the model: validating (or even constructing) 27 fields of each of 50 rows was the
    largest single cost of a page of `GET /api/violations`, which the duty desks and API consumers poll;
    `violation_out_json` and the page write these values out directly."""
    url = f"/api/violations/{quote(row.id, safe='')}/snapshot.jpg"
    end_s = row.end_s
    return {
        "id": row.id,
        "camera": row.camera,
        "zone": row.zone,
        "zone_name": row.zone_name,
        "label": row.label,
        "active": end_s is None,
        "start_s": row.start_s,
        "violation_s": row.violation_s,
        "last_seen_s": row.last_seen_s,
        "end_s": end_s,
        "dwell_s": (end_s if end_s is not None else row.last_seen_s) - row.start_s,
        "started_at": as_utc(row.started_at),
        "violation_at": as_utc(row.violation_at),
        "ended_at": as_utc(row.ended_at),
        "confidence": row.confidence,
        "box": [row.box_x1, row.box_y1, row.box_x2, row.box_y2],
        "state": row.state,  # the column holds only State values
        "unreliable": row.unreliable,
        "unreliable_reason": row.unreliable_reason,
        "acknowledged_by": row.acknowledged_by,
        "acknowledged_at": as_utc(row.acknowledged_at),
        "ack_comment": row.ack_comment,
        "resolved_by": row.resolved_by,
        "resolved_at": as_utc(row.resolved_at),
        "resolve_comment": row.resolve_comment,
        "updated_at": as_utc(row.updated_at),
        "snapshot_url": f"{url}?annotated=1" if row.snapshot else None,
        "clean_snapshot_url": f"{url}?annotated=0" if row.snapshot_clean else None,
    }


def violation_out_json(row: ViolationValues) -> dict[str, Any]:
    """The violation as the API writes it (``ViolationOut.of(row).model_dump(mode="json")``, without the model):
    what the uplink carries and live events tell."""
    return cast(dict[str, Any], to_jsonable_python(violation_fields(row)))


class ViolationPage(BaseModel):
    items: list[ViolationOut] = Field(title="Violations", description="Newest first.")
    next: str | None = Field(title="Next cursor", description="Pass as `after` for the next page; null at the end.")


class OperatorNote(BaseModel):
    """An operator's acknowledgement or resolution."""

    model_config = ConfigDict(extra="forbid", strict=True)

    comment: str | None = Field(None, max_length=2000, title="Comment", description="What was done or seen.")


def _camera_org(session: Session, camera_id: str) -> int | None:
    camera = session.get(CameraRow, camera_id)
    return camera.org_pk if camera is not None else None


def violation_or_404(session: Session, violation_id: str, scope: Scope) -> ViolationRow:
    """The violation, or 404 (the same for one of a camera outside `scope`)."""
    row = session.get(ViolationRow, violation_id)
    if row is None or not (scope.unlimited or scope.allows(_camera_org(session, row.camera))):
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.violation.none", violation=violation_id)
    return row


@router.get("", response_model=ViolationPage, responses=responses(401, 403, 422), summary="Search violations")
def search_violations(
    session: SessionDep,
    caller: Reader,
    camera: Annotated[str | None, Query(max_length=100, description="Camera id.")] = None,
    zone: Annotated[str | None, Query(max_length=100, description="Zone id.")] = None,
    state: Annotated[State | None, Query(description="Operator state.")] = None,
    label: Annotated[str | None, Query(max_length=50, description="Class (car, truck, ...).")] = None,
    active: Annotated[bool | None, Query(description="true: still in the lane; false: ended.")] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="Became a violation at or after this time (ISO 8601 with a time zone).")
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="Became a violation before this time (ISO 8601 with a time zone).")
    ] = None,
    after: Annotated[str | None, Query(max_length=500, description="Cursor from the previous page's `next`.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
) -> Response:
    search = ViolationSearch(camera, zone, state, label, active, since, until, after, limit, caller.scope)
    try:
        rows, next_cursor = violation_values(session, search)
    except InvalidCursor:
        raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, "api.cursor.invalid") from None
    page = {"items": [violation_fields(row) for row in rows], "next": next_cursor}
    # Written here, not by FastAPI from the return value: it would validate the page whole again, field by
    # field, only to write the same JSON (`response_model` still gives the schema in the API docs).
    return Response(to_json(page), media_type="application/json")


@router.get(
    "/{violation_id}", response_model=ViolationOut, responses=responses(401, 403, 404, 422), summary="Get a violation"
)
def get_violation(violation_id: ViolationPath, session: SessionDep, caller: Reader) -> ViolationOut:
    return ViolationOut.of(violation_or_404(session, violation_id, caller.scope))


def _event_shape(row: ViolationRow) -> dict[str, Any]:
    """The pipeline's violation JSON plus the operator state."""
    operator = ViolationOut.of(row).model_dump(
        mode="json",
        include={
            "state",
            "acknowledged_by",
            "acknowledged_at",
            "ack_comment",
            "resolved_by",
            "resolved_at",
            "resolve_comment",
        },
    )
    return {**violation_json(from_row(row)), **operator}


def _publish(runtime: Runtime, payload: dict[str, Any]) -> None:
    """Tell live clients; the change is already saved, so a failing bus only costs the notification."""
    try:
        runtime.bus.publish(payload["type"], payload)
    except Exception:
        log.exception("could not publish the %s of violation %s", payload["action"], payload["after"]["id"])


def _transition(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    violation_id: str,
    *,
    action: Literal["acknowledged", "resolved"],
    comment: str | None,
) -> ViolationOut:
    before = _event_shape(violation_or_404(session, violation_id, caller.scope))
    now = utcnow()
    if action == "acknowledged":
        allowed: tuple[str, ...] = ("new",)
        values = {"acknowledged_by": caller.name, "acknowledged_at": now, "ack_comment": comment}
    else:
        allowed = ("new", "acknowledged")
        values = {"resolved_by": caller.name, "resolved_at": now, "resolve_comment": comment}
    result = session.exec(
        update(ViolationRow)
        .where(col(ViolationRow.id) == violation_id, col(ViolationRow.state).in_(allowed))
        .values(state=action, updated_at=now, **values)
    )
    if result.rowcount == 1:
        verb = "acknowledge" if action == "acknowledged" else "resolve"
        audit.record(
            session,
            caller,
            f"violation.{verb}",
            "violation",
            violation_id,
            org_pk=_camera_org(session, before["camera"]),
            before={"state": before["state"]},
            after={"state": action, "comment": comment},
        )
        changed = session.get(ViolationRow, violation_id, populate_existing=True)
        if changed is not None:
            record_tap.emit(session, "violation", changed)  # an edge forwards the new state to the centre
    session.commit()
    after = violation_or_404(session, violation_id, caller.scope)
    session.refresh(after)
    if result.rowcount != 1:
        who = after.resolved_by if after.state == "resolved" else after.acknowledged_by
        raise ApiError(
            status.HTTP_409_CONFLICT,
            "api.violation.already_acknowledged" if action == "acknowledged" else "api.violation.already_resolved",
            violation=violation_id,
            state=Code("state", after.state),
            who=who,
        )
    _publish(
        runtime,
        {
            "type": "violation.update",
            "action": action,
            "by": caller.name,
            "before": before,
            "after": _event_shape(after),
        },
    )
    return ViolationOut.of(after)


NoteBody = Annotated[OperatorNote | None, Body(description="Optional comment.")]


@router.post(
    "/{violation_id}/ack",
    response_model=ViolationOut,
    responses=responses(401, 403, 404, 409, 413, 422),
    summary="Acknowledge a violation (operator)",
)
def acknowledge(
    violation_id: ViolationPath,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: ViolationHandler,
    body: NoteBody = None,
) -> ViolationOut:
    """new → acknowledged. Someone is on it."""
    return _transition(
        session, runtime, caller, violation_id, action="acknowledged", comment=body.comment if body else None
    )


@router.post(
    "/{violation_id}/resolve",
    response_model=ViolationOut,
    responses=responses(401, 403, 404, 409, 413, 422),
    summary="Resolve a violation (operator)",
)
def resolve(
    violation_id: ViolationPath,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: ViolationHandler,
    body: NoteBody = None,
) -> ViolationOut:
    """new or acknowledged → resolved. The lane was cleared (or it was a false alarm: say so in the comment)."""
    return _transition(
        session, runtime, caller, violation_id, action="resolved", comment=body.comment if body else None
    )


def evidence_path(evidence_dir: FsPath, stored: str) -> FsPath | None:
    """The stored relative path inside `evidence_dir`, or None if it would lead anywhere else."""
    if not stored or "\x00" in stored:
        return None
    try:
        root = FsPath(evidence_dir).resolve()
        path = (root / stored).resolve()
    except (OSError, ValueError, RuntimeError):
        return None
    return path if path != root and path.is_relative_to(root) else None


@router.get(
    "/{violation_id}/snapshot.jpg",
    response_class=Response,
    summary="Evidence picture",
    responses={200: {"content": {"image/jpeg": {}}, "description": "JPEG picture."}, **responses(401, 403, 404, 422)},
)
def snapshot(
    violation_id: ViolationPath,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: Reader,
    annotated: Annotated[
        bool, Query(description="The annotated picture (zone, box, label) or the clean frame.")
    ] = True,
    crop: Annotated[bool, Query(description="Only the offending object's box, with a margin.")] = False,
    quality: Annotated[int | None, Query(ge=1, le=100, description="Re-encode at this JPEG quality.")] = None,
) -> Response:
    row = violation_or_404(session, violation_id, caller.scope)
    kind = "annotated" if annotated else "clean"
    shot = Word("api.snapshot.annotated" if annotated else "api.snapshot.clean")
    stored = row.snapshot if annotated else row.snapshot_clean
    if not stored:
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.violation.no_snapshot", violation=violation_id, kind=shot)
    path = evidence_path(runtime.evidence_dir, stored)
    if path is None:
        log.warning("violation %s: %s snapshot path points outside the evidence directory", violation_id, kind)
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.violation.snapshot_outside", violation=violation_id, kind=shot)
    try:
        data = path.read_bytes()
    except OSError:  # deleted by retention, or never written
        raise ApiError(
            status.HTTP_404_NOT_FOUND, "api.violation.snapshot_missing", violation=violation_id, kind=shot
        ) from None
    if crop or quality is not None:
        image = decode_jpeg(data)
        if image is None:
            raise ApiError(
                status.HTTP_500_INTERNAL_SERVER_ERROR,
                "api.violation.snapshot_unreadable",
                violation=violation_id,
                kind=shot,
            )
        if crop:
            image = crop_box(image, (row.box_x1, row.box_y1, row.box_x2, row.box_y2))
        data = encode_jpeg(image, quality if quality is not None else 90)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.get(
    "/{violation_id}/speaker",
    response_model=SpeakerLogOut,
    responses=responses(401, 403, 404, 422),
    summary="The lane speaker's calls for a violation",
)
def speaker_calls(violation_id: ViolationPath, session: SessionDep, caller: Reader) -> SpeakerLogOut:
    """Every call (newest first) with its HTTP status or error, and whether a person stopped them."""
    return speaker_log_out(session, violation_or_404(session, violation_id, caller.scope))


@router.post(
    "/{violation_id}/speaker/stop",
    response_model=SpeakerLogOut,
    responses=responses(401, 403, 404, 422),
    summary="Stop the lane speaker's calls for a violation (operator)",
)
def stop_speaker(violation_id: ViolationPath, session: SessionDep, caller: ViolationHandler) -> SpeakerLogOut:
    """No more calls for this violation (audited as speaker.stop); stopping twice changes nothing."""
    row = violation_or_404(session, violation_id, caller.scope)
    speaker_log.stop(session, caller, violation_id)
    session.commit()
    return speaker_log_out(session, row)
