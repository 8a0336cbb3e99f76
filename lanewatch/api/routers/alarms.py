"""/api/alarms: the duty desk's fire-sensor alarms: search, detail with lanes, lifecycle steps, timing report.

active → acknowledged → confirmed (real_fire / false_alarm / test) → resolved,
each step by an operator key and audited; a wrong step is a 409 that says
the current state. A caller sees and handles only alarms of devices in its
scope (others answer 404), and each acknowledge/confirm/resolve also writes
an audit entry in the step's transaction. The device registry and HTTP ingest live in
`alarm_devices` and `alarm_ingest`, mounted here before ``/{alarm_id}``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from lanewatch.alarms.devices import device_records
from lanewatch.alarms.lanes import LaneState, lane_states
from lanewatch.alarms.lifecycle import TransitionError, UnknownAlarm, audit_trail
from lanewatch.alarms.messages import AlarmType
from lanewatch.alarms.records import AlarmRecord, AlarmState, DeviceRecord, Outcome, alarm_record
from lanewatch.alarms.timings import TimingReport, report, timings
from lanewatch.api.deps import RuntimeDep, SessionDep, StrictJSONRoute
from lanewatch.api.errors import ApiError, responses
from lanewatch.api.permits import AlarmHandler, Reader
from lanewatch.api.routers import alarm_devices, alarm_ingest
from lanewatch.api.runtime import Runtime
from lanewatch.people import audit
from lanewatch.people.caller import Caller
from lanewatch.people.scope import Scope
from lanewatch.store.alarm_queries import list_alarms
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.queries import InvalidCursor
from lanewatch.store.tables import as_utc, utcnow

router = APIRouter(tags=["alarms"])
router.include_router(alarm_devices.router)
router.include_router(alarm_ingest.router)
alarms = APIRouter(prefix="/alarms", tags=["alarms"], route_class=StrictJSONRoute)

AlarmPath = Annotated[str, Path(max_length=32, title="Alarm id")]
Severity = Annotated[
    str | None, Query(pattern="^(critical|high|medium|low)$", description="critical, high, medium, low.")
]


class AlarmPage(BaseModel):
    items: list[AlarmRecord] = Field(
        description="Open alarms first by severity (fire first), newest first; then resolved ones."
    )
    next: str | None = Field(description="Pass as `after` for the next page; null at the end.")


class AuditStep(BaseModel):
    at: datetime
    action: str
    by: str = Field(description="Key name, 'device:<ingest path>' or 'system'.")
    comment: str | None
    state_before: str | None
    state_after: str


class AlarmDetail(AlarmRecord):
    audit: list[AuditStep] = Field(description="Oldest first.")
    timings: dict[str, float | None] = Field(description="Seconds per step; null where a time is missing.")
    device: DeviceRecord | None
    lanes: list[LaneState] = Field(description="Fire lanes of the device's building and its linked lanes, now.")


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    comment: str | None = Field(None, max_length=2000, title="Comment")


class Confirmation(Note):
    outcome: Literal["real_fire", "false_alarm", "test"] = Field(
        title="Outcome", description="real_fire (forwarded to 119), false_alarm or test."
    )


def _page_records(session: Session, rows: list[AlarmRow]) -> list[AlarmRecord]:
    ids = sorted({r.device_id for r in rows})
    devices = {d.id: d for d in session.exec(select(DeviceRow).where(col(DeviceRow.id).in_(ids)))} if ids else {}
    return [alarm_record(r, devices.get(r.device_id)) for r in rows]


@alarms.get("", response_model=AlarmPage, responses=responses(401, 403, 422), summary="Search alarms")
def search_alarms(
    session: SessionDep,
    caller: Reader,
    state: Annotated[list[AlarmState], Query(description="Any of these states.")] = [],  # noqa: B006
    active: Annotated[bool | None, Query(description="true: not resolved; false: resolved.")] = None,
    device: Annotated[str | None, Query(max_length=100)] = None,
    type: Annotated[AlarmType | None, Query(description="Alarm type.")] = None,
    severity: Severity = None,
    enterprise: Annotated[str | None, Query(max_length=200)] = None,
    building: Annotated[str | None, Query(max_length=200)] = None,
    test: Annotated[bool | None, Query(description="Only test-mode (true) or real (false) device reports.")] = None,
    since: Annotated[AwareDatetime | None, Query(description="Received at or after (ISO 8601 with zone).")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Received before (ISO 8601 with zone).")] = None,
    after: Annotated[str | None, Query(max_length=500, description="The previous page's `next`.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AlarmPage:
    try:
        rows, next_cursor = list_alarms(
            session,
            states=[s.value for s in state],
            active=active,
            device=device,
            alarm_type=type.value if type else None,
            severity=severity,
            enterprise=enterprise,
            building=building,
            test=test,
            since=since,
            until=until,
            after=after,
            limit=limit,
            scope=caller.scope,
        )
    except InvalidCursor:
        raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, "api.cursor.invalid") from None
    return AlarmPage(items=_page_records(session, rows), next=next_cursor)


@alarms.get(
    "/report",
    response_model=TimingReport,
    responses=responses(401, 403, 422),
    summary="Alarm timings against the 10 s / 3 s rules",
)
def timing_report(
    session: SessionDep,
    caller: Reader,
    since: Annotated[AwareDatetime | None, Query(description="Default: 24 h before `until`.")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Default: now.")] = None,
    type: Annotated[AlarmType, Query(description="Alarm type.")] = AlarmType.FIRE,
    include_tests: Annotated[bool, Query(description="Count test-mode alarms and those confirmed as tests.")] = False,
) -> TimingReport:
    until = until or utcnow()
    since = since or until - timedelta(days=1)
    if since >= until:
        raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, "api.report.since_until")
    return report(
        session,
        since=since,
        until=until,
        alarm_type=type.value,
        include_tests=include_tests,
        device_ids=caller.scope.device_ids(session),
    )


def _alarm_or_404(session: Session, alarm_id: str, scope: Scope) -> AlarmRow:
    """The alarm, or 404 (the same for one of a device outside `scope`)."""
    row = session.get(AlarmRow, alarm_id)
    device = session.get(DeviceRow, row.device_id) if row is not None and not scope.unlimited else None
    if row is None or not (scope.unlimited or (device is not None and scope.allows(device.org_pk))):
        raise ApiError(status.HTTP_404_NOT_FOUND, "alarms.none", alarm=alarm_id)
    return row


def _detail(session: Session, runtime: Runtime, row: AlarmRow, scope: Scope) -> AlarmDetail:
    device = session.get(DeviceRow, row.device_id)
    return AlarmDetail(
        **alarm_record(row, device).model_dump(),
        audit=[
            AuditStep(
                at=as_utc(a.at),
                action=a.action,
                by=a.by,
                comment=a.comment,
                state_before=a.state_before,
                state_after=a.state_after,
            )
            for a in audit_trail(session, row.id)
        ],
        timings=timings(row),
        device=device_records(session, [device], runtime.alarms.rules)[0] if device is not None else None,
        lanes=_lanes_in_scope(session, device, scope),
    )


@alarms.get(
    "/{alarm_id}",
    response_model=AlarmDetail,
    responses=responses(401, 403, 404, 422),
    summary="An alarm with its audit trail, timings, device and fire lanes",
)
def get_alarm(alarm_id: AlarmPath, session: SessionDep, runtime: RuntimeDep, caller: Reader) -> AlarmDetail:
    return _detail(session, runtime, _alarm_or_404(session, alarm_id, caller.scope), caller.scope)


def _lanes_in_scope(session: Session, device: DeviceRow | None, scope: Scope) -> list[LaneState]:
    lanes = lane_states(session, device)
    cameras = scope.camera_ids(session)
    return lanes if cameras is None else [lane for lane in lanes if lane.camera in cameras]


def _act(runtime: Runtime, caller: Caller, alarm_id: str, action: str, **kw: Any) -> AlarmRecord:
    service = runtime.alarms
    with Session(runtime.engine) as session:
        prior = _alarm_or_404(session, alarm_id, caller.scope).state

    def audited(session: Session, alarm: AlarmRow, device: DeviceRow | None) -> None:
        after = {"state": alarm.state, "outcome": alarm.outcome, "comment": kw.get("comment")}
        audit.record(
            session,
            caller,
            f"alarm.{action}",
            "alarm",
            alarm.id,
            org_pk=device.org_pk if device is not None else None,
            before={"state": prior},
            after=after,
        )

    try:
        if action == "shown":
            row = service.shown(alarm_id, caller.name)
        else:
            row = getattr(service, action)(alarm_id, caller.name, on_step=audited, **kw)
    except UnknownAlarm as exc:
        raise ApiError.of(status.HTTP_404_NOT_FOUND, exc) from None
    except TransitionError as exc:
        raise ApiError.of(status.HTTP_409_CONFLICT, exc) from None
    with Session(runtime.engine) as session:
        return alarm_record(row, session.get(DeviceRow, row.device_id))


NoteBody = Annotated[Note | None, Body(description="Optional comment.")]
ACTION_ERRORS = responses(401, 403, 404, 409, 413, 422)


@alarms.post(
    "/{alarm_id}/shown",
    response_model=AlarmRecord,
    responses=responses(401, 403, 404, 422),
    summary="The console displayed the alarm (operator; idempotent)",
)
def shown(alarm_id: AlarmPath, runtime: RuntimeDep, caller: AlarmHandler) -> AlarmRecord:
    return _act(runtime, caller, alarm_id, "shown")


@alarms.post(
    "/{alarm_id}/ack", response_model=AlarmRecord, responses=ACTION_ERRORS, summary="Acknowledge an alarm (operator)"
)
def acknowledge(alarm_id: AlarmPath, runtime: RuntimeDep, caller: AlarmHandler, body: NoteBody = None) -> AlarmRecord:
    """active → acknowledged: someone is on it; escalation stops."""
    return _act(runtime, caller, alarm_id, "acknowledge", comment=body.comment if body else None)


@alarms.post(
    "/{alarm_id}/confirm",
    response_model=AlarmRecord,
    responses=ACTION_ERRORS,
    summary="Confirm what an alarm was (operator)",
)
def confirm(alarm_id: AlarmPath, body: Confirmation, runtime: RuntimeDep, caller: AlarmHandler) -> AlarmRecord:
    """active or acknowledged → confirmed. A real fire is forwarded to the 119 target."""
    return _act(runtime, caller, alarm_id, "confirm", outcome=Outcome(body.outcome), comment=body.comment)


@alarms.post(
    "/{alarm_id}/resolve", response_model=AlarmRecord, responses=ACTION_ERRORS, summary="Resolve an alarm (operator)"
)
def resolve(alarm_id: AlarmPath, runtime: RuntimeDep, caller: AlarmHandler, body: NoteBody = None) -> AlarmRecord:
    """acknowledged or confirmed → resolved; a fire alarm must be confirmed first."""
    return _act(runtime, caller, alarm_id, "resolve", comment=body.comment if body else None)


router.include_router(alarms)
