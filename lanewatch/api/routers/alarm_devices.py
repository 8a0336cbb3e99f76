"""/api/alarms/devices: the registry of fire sensors, panels and transmission devices.

DEVICES_EDIT registers and edits devices (DEVICES_TEST alone may set their
maintenance flag); READ reads them with their live status (offline,
battery, maintenance, open alarms). Each caller sees only the devices of
its scope (others answer 404); every change is audited. A device that sent a message
before anyone registered it is already here with ``registered: false``:
review it and PATCH ``registered: true`` (and its details).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlmodel import Session, col, delete, select

from lanewatch.alarms.device_types import DeviceRules
from lanewatch.alarms.devices import check_rules, device_records, offline_after
from lanewatch.alarms.messages import DEVICE_ID_PATTERN, DeviceType
from lanewatch.alarms.records import AlarmRecord, DeviceRecord, LinkedLane, alarm_record
from lanewatch.api.deps import RuntimeDep, SessionDep, StrictJSONRoute
from lanewatch.api.errors import ApiError, responses
from lanewatch.api.org_ref import OrgCode, OrgRef, org_refs, target_org
from lanewatch.api.permits import Anyone, DeviceEditor, Reader, demand
from lanewatch.api.runtime import Runtime
from lanewatch.people import audit, event_scope
from lanewatch.people.caller import Caller
from lanewatch.people.roles import Permission
from lanewatch.people.scope import Scope
from lanewatch.store.alarm_queries import list_devices
from lanewatch.store.alarm_tables import AlarmRow, DeviceMessageRow, DeviceRow
from lanewatch.store.tables import as_utc, utcnow

router = APIRouter(prefix="/alarms/devices", tags=["alarm devices"], route_class=StrictJSONRoute)

DevicePath = Annotated[str, Path(max_length=100, title="Device id")]
Text200 = Annotated[str | None, Field(max_length=200)]


class DeviceFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200 = Field(None, title="Name")
    enterprise: Text200 = Field(None, title="Enterprise")
    building: Text200 = Field(None, title="Building", description="Cameras of the same building are its lanes.")
    location: str | None = Field(None, max_length=500, title="Floor / location")
    linked_lanes: list[LinkedLane] = Field(default_factory=list, max_length=50, title="Linked lanes")
    rules: dict[str, Any] = Field(
        default_factory=dict,
        title="Rule overrides",
        description="Any of heartbeat_s, thresholds, rate_of_rise, low_battery_pct.",
    )


class DeviceCreate(DeviceFields):
    id: str = Field(pattern=DEVICE_ID_PATTERN, title="Device id")
    type: DeviceType = Field(title="Device type")
    org: OrgCode = None


class DevicePatch(DeviceFields):
    """Only the fields sent change."""

    # The None defaults only stand for "not sent" (read through model_fields_set; pydantic does not validate
    # defaults), so a sent null is still refused and the schema stays non-nullable: hence the ignores.
    type: DeviceType = Field(None, title="Device type")  # type: ignore[assignment]  # "not sent", see above
    registered: bool = Field(  # type: ignore[assignment]  # "not sent", see above
        None, title="Registered", description="true once an auto-registered device is reviewed."
    )
    maintenance: bool = Field(  # type: ignore[assignment]  # "not sent", see above
        None, title="Flagged for maintenance", description="false clears the flag."
    )
    org: OrgCode = Field(None, description="Move the device to this enterprise (inside your scope).")


class DeviceOut(DeviceRecord):
    """A device with its live status and the enterprise (organisation) it belongs to."""

    org: OrgRef | None = Field(title="Organisation")


class DevicePage(BaseModel):
    items: list[DeviceOut]
    next: str | None = Field(description="Pass as `after` for the next page; null at the end.")


class DeviceMessage(BaseModel):
    kind: str
    alarm_type: str | None
    quantity: str | None
    value: float | None
    detail: str | None
    source: str
    test: bool
    device_time: datetime | None
    received_at: datetime


class DeviceHistory(BaseModel):
    messages: list[DeviceMessage] = Field(description="Newest first; heartbeats are not stored.")
    alarms: list[AlarmRecord] = Field(description="Newest first.")


def device_or_404(session: Session, device_id: str, scope: Scope) -> DeviceRow:
    """The device, or 404 (the same for one outside `scope`)."""
    row = session.get(DeviceRow, device_id)
    if row is None or not scope.allows(row.org_pk):
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.device.none", device=device_id)
    return row


def _checked_rules(device_type: str, rules: dict[str, Any]) -> DeviceRules:
    try:
        return check_rules(device_type, rules)
    except ValueError as exc:
        raise ApiError(422, "api.device.rules", problems=[f"rules: {exc}"], problem=str(exc)) from None


def _records(session: Session, runtime: Runtime, rows: list[DeviceRow]) -> list[DeviceOut]:
    orgs = org_refs(session, (r.org_pk for r in rows))
    return [
        DeviceOut(**record.model_dump(), org=orgs.get(row.org_pk) if row.org_pk is not None else None)
        for row, record in zip(rows, device_records(session, rows, runtime.alarms.rules), strict=True)
    ]


def _record(session: Session, runtime: Runtime, row: DeviceRow) -> DeviceOut:
    return _records(session, runtime, [row])[0]


AUDITED: tuple[str, ...] = ("type", "name", "enterprise", "building", "location", "linked_lanes", "rules", "registered")
AUDITED += ("maintenance", "maintenance_reason", "org_pk")


def _fields(row: DeviceRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in AUDITED}


def _audit(session: Session, caller: Caller, row: DeviceRow, action: str, before: dict[str, Any] | None) -> None:
    """One audit entry: the whole device on create/delete, the changed fields on an update or move."""
    if action == "update":
        old, new = audit.changed_fields(before or {}, _fields(row))
        if not new:
            return
        action = "move" if "org_pk" in new else action
        audit.record(session, caller, f"device.{action}", "device", row.id, org_pk=row.org_pk, before=old, after=new)
    elif action == "create":
        audit.record(session, caller, "device.create", "device", row.id, org_pk=row.org_pk, after=_fields(row))
    else:
        audit.record(session, caller, f"device.{action}", "device", row.id, org_pk=row.org_pk, before=before)


@router.get("", response_model=DevicePage, responses=responses(401, 403, 422), summary="List devices")
def search_devices(
    session: SessionDep,
    runtime: RuntimeDep,
    caller: Reader,
    type: Annotated[DeviceType | None, Query(description="Device type.")] = None,
    enterprise: Annotated[str | None, Query(max_length=200)] = None,
    building: Annotated[str | None, Query(max_length=200)] = None,
    offline: Annotated[bool | None, Query(description="Only offline (true) or online (false) devices.")] = None,
    maintenance: Annotated[bool | None, Query(description="Only devices flagged for maintenance (true).")] = None,
    registered: Annotated[bool | None, Query(description="false: auto-registered devices to review.")] = None,
    after: Annotated[str | None, Query(max_length=100, description="The previous page's `next`.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DevicePage:
    rows, next_cursor = list_devices(
        session,
        device_type=type.value if type else None,
        enterprise=enterprise,
        building=building,
        offline=offline,
        maintenance=maintenance,
        registered=registered,
        after=after,
        limit=limit,
        scope=caller.scope,
    )
    return DevicePage(items=_records(session, runtime, rows), next=next_cursor)


@router.post(
    "",
    response_model=DeviceOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 409, 413, 422),
    summary="Register a device",
)
def create_device(body: DeviceCreate, session: SessionDep, runtime: RuntimeDep, caller: DeviceEditor) -> DeviceOut:
    """The device belongs to `org` (default: the caller's own enterprise); it must be inside the caller's scope."""
    org_pk = target_org(session, caller, body.org, kind="enterprise", what="device")
    rules = _checked_rules(body.type.value, body.rules)
    existing = session.get(DeviceRow, body.id)
    if existing is not None:
        key = "api.device.exists" if existing.registered else "api.device.exists_auto"
        raise ApiError(status.HTTP_409_CONFLICT, key, device=body.id)
    now = utcnow()
    row = DeviceRow(
        id=body.id,
        type=body.type.value,
        name=body.name,
        enterprise=body.enterprise,
        building=body.building,
        location=body.location,
        linked_lanes=[lane.model_dump() for lane in body.linked_lanes],
        rules=body.rules,
        offline_after=offline_after(rules, now, runtime.alarms.settings.offline_grace_factor),
        created_at=now,
        updated_at=now,
        org_pk=org_pk,
    )
    session.add(row)
    _audit(session, caller, row, "create", None)
    session.commit()
    event_scope.changed()
    session.refresh(row)
    return _record(session, runtime, row)


@router.get("/{device_id}", response_model=DeviceOut, responses=responses(401, 403, 404, 422), summary="Get a device")
def get_device(device_id: DevicePath, session: SessionDep, runtime: RuntimeDep, caller: Reader) -> DeviceOut:
    return _record(session, runtime, device_or_404(session, device_id, caller.scope))


@router.patch(
    "/{device_id}",
    response_model=DeviceOut,
    responses=responses(401, 403, 404, 413, 422),
    summary="Edit a device",
)
def update_device(
    device_id: DevicePath, body: DevicePatch, session: SessionDep, runtime: RuntimeDep, caller: Anyone
) -> DeviceOut:
    """DEVICES_EDIT; setting only `maintenance` needs DEVICES_TEST. Sending `org` moves the device."""
    fields = set(body.model_fields_set)
    demand(caller, Permission.DEVICES_TEST if fields <= {"maintenance"} else Permission.DEVICES_EDIT)
    row = device_or_404(session, device_id, caller.scope)
    before = _fields(row)
    for name in ("type", "registered", "maintenance", "org"):
        if name in fields and getattr(body, name) is None:
            raise ApiError(422, "api.device.not_null", problems=[f"{name}: must not be null"], field=name)
    if "org" in fields:
        fields.discard("org")
        row.org_pk = target_org(session, caller, body.org, kind="enterprise", what="device")
    device_type = body.type.value if "type" in fields else row.type
    rules = body.rules if "rules" in fields else row.rules
    _checked_rules(device_type, rules)
    for name in fields:
        value = getattr(body, name)
        if name == "linked_lanes":
            value = [lane.model_dump() for lane in value]
        elif name == "type":
            value = value.value
        setattr(row, name, value)
    if "maintenance" in fields and not body.maintenance:
        row.maintenance_reason = None
    row.updated_at = utcnow()
    session.add(row)
    _audit(session, caller, row, "update", before)
    session.commit()
    event_scope.changed()
    session.refresh(row)
    runtime.alarms.rule_engine.forget(device_id)  # thresholds may have changed: start their timers afresh
    return _record(session, runtime, row)


@router.delete(
    "/{device_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 409, 422),
    summary="Delete a device",
)
def delete_device(device_id: DevicePath, session: SessionDep, runtime: RuntimeDep, caller: DeviceEditor) -> Response:
    """Its alarms stay in the history; its stored messages go. Refused while it has open alarms."""
    row = device_or_404(session, device_id, caller.scope)
    open_count = len(
        session.exec(
            select(AlarmRow.id).where(AlarmRow.device_id == device_id, col(AlarmRow.open_key).is_not(None))
        ).all()
    )
    if open_count:
        raise ApiError(status.HTTP_409_CONFLICT, "api.device.open_alarms", device=device_id, count=open_count)
    session.exec(delete(DeviceMessageRow).where(col(DeviceMessageRow.device_id) == device_id))
    _audit(session, caller, row, "delete", _fields(row))
    session.delete(row)
    session.commit()
    event_scope.changed()
    runtime.alarms.rule_engine.forget(device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{device_id}/history",
    response_model=DeviceHistory,
    responses=responses(401, 403, 404, 422),
    summary="A device's recent messages and alarms",
)
def device_history(
    device_id: DevicePath,
    session: SessionDep,
    caller: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    since: Annotated[AwareDatetime | None, Query(description="Received at or after.")] = None,
) -> DeviceHistory:
    device = device_or_404(session, device_id, caller.scope)
    messages = select(DeviceMessageRow).where(DeviceMessageRow.device_id == device_id)
    alarms = select(AlarmRow).where(AlarmRow.device_id == device_id)
    if since is not None:
        messages = messages.where(DeviceMessageRow.received_at >= as_utc(since))
        alarms = alarms.where(AlarmRow.received_at >= as_utc(since))
    found = session.exec(messages.order_by(col(DeviceMessageRow.pk).desc()).limit(limit))
    return DeviceHistory(
        messages=[
            DeviceMessage(
                kind=m.kind,
                alarm_type=m.alarm_type,
                quantity=m.quantity,
                value=m.value,
                detail=m.detail,
                source=m.source,
                test=m.test,
                device_time=as_utc(m.device_time),
                received_at=as_utc(m.received_at),
            )
            for m in found
        ],
        alarms=[
            alarm_record(a, device)
            for a in session.exec(
                alarms.order_by(col(AlarmRow.received_at).desc(), col(AlarmRow.id).desc()).limit(limit)
            )
        ],
    )
