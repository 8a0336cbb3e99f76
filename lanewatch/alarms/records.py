"""The JSON shape of an alarm and of a device: one model for the API, the live events and the webhooks.

Table rows (lanewatch/store/alarm_tables.py) are the storage shape; these
are what a person or a receiver reads. Times are UTC with the offset.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.tables import as_utc


class AlarmState(StrEnum):
    """The duty desk's lifecycle of an alarm."""

    ACTIVE = "active"  # raised, nobody has acknowledged it yet (escalates)
    ACKNOWLEDGED = "acknowledged"  # someone is on it
    CONFIRMED = "confirmed"  # classified: real fire, false alarm or test
    RESOLVED = "resolved"  # closed; a new message of the same type raises a new alarm


class Outcome(StrEnum):
    REAL_FIRE = "real_fire"
    FALSE_ALARM = "false_alarm"
    TEST = "test"


SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
RESOLVED_PRIORITY = 9


def priority(severity: str, state: str) -> int:
    """Sort key of the alarm list: open alarms by severity (fire first), then everything resolved."""
    return RESOLVED_PRIORITY if state == AlarmState.RESOLVED else SEVERITY_RANK.get(severity, 3)


class AlarmRecord(BaseModel):
    """An alarm as the duty console, the live events and the webhooks see it."""

    id: str = Field(title="Alarm id")
    device_id: str = Field(title="Device id")
    device_type: str = Field(title="Device type")
    device_name: str | None = Field(title="Device name")
    registered: bool = Field(
        title="Device registered", description="False: the device was auto-registered by this message; review it."
    )
    alarm_type: str = Field(title="Alarm type")
    severity: str = Field(title="Severity", description="critical (fire), high, medium, low.")
    state: AlarmState = Field(title="State")
    outcome: Outcome | None = Field(title="Outcome", description="Set when confirmed.")
    test: bool = Field(title="Test mode", description="The device reported it in test mode.")
    source: str = Field(title="Ingest path", description="http, mqtt, gb26875, simulator, or rule.")
    detail: str | None = Field(title="Detail")
    value: float | None = Field(title="Value", description="The reading that raised it, if any.")
    count: int = Field(title="Messages", description="1 plus the repeats received while it was open.")
    enterprise: str | None = Field(title="Enterprise")
    building: str | None = Field(title="Building")
    location: str | None = Field(title="Floor / location")
    device_time: datetime | None = Field(title="Device time")
    received_at: datetime = Field(title="Received at")
    stored_at: datetime = Field(title="Stored at")
    shown_at: datetime | None = Field(title="First shown on a console at")
    acknowledged_at: datetime | None = Field(title="Acknowledged at")
    acknowledged_by: str | None = Field(title="Acknowledged by")
    confirmed_at: datetime | None = Field(title="Confirmed at")
    confirmed_by: str | None = Field(title="Confirmed by")
    forwarded_at: datetime | None = Field(title="Forwarded to 119 at", description="When the delivery succeeded.")
    resolved_at: datetime | None = Field(title="Resolved at")
    resolved_by: str | None = Field(title="Resolved by")
    cleared_at: datetime | None = Field(title="Cleared by the device at")
    last_repeat_at: datetime | None = Field(title="Last repeat at")
    escalation_level: int = Field(title="Escalations sent")
    next_escalation_at: datetime | None = Field(title="Next escalation at")
    updated_at: datetime = Field(title="Updated at")


def alarm_record(row: AlarmRow, device: DeviceRow | None) -> AlarmRecord:
    return AlarmRecord(
        id=row.id,
        device_id=row.device_id,
        device_type=row.device_type,
        device_name=device.name if device is not None else None,
        registered=device.registered if device is not None else False,
        alarm_type=row.alarm_type,
        severity=row.severity,
        state=AlarmState(row.state),
        outcome=Outcome(row.outcome) if row.outcome is not None else None,
        test=row.test,
        source=row.source,
        detail=row.detail,
        value=row.value,
        count=row.count,
        enterprise=row.enterprise,
        building=row.building,
        location=row.location,
        device_time=as_utc(row.device_time),
        received_at=as_utc(row.received_at),
        stored_at=as_utc(row.stored_at),
        shown_at=as_utc(row.shown_at),
        acknowledged_at=as_utc(row.acknowledged_at),
        acknowledged_by=row.acknowledged_by,
        confirmed_at=as_utc(row.confirmed_at),
        confirmed_by=row.confirmed_by,
        forwarded_at=as_utc(row.forwarded_at),
        resolved_at=as_utc(row.resolved_at),
        resolved_by=row.resolved_by,
        cleared_at=as_utc(row.cleared_at),
        last_repeat_at=as_utc(row.last_repeat_at),
        escalation_level=row.escalation_level,
        next_escalation_at=as_utc(row.next_escalation_at),
        updated_at=as_utc(row.updated_at),
    )


def alarm_json(row: AlarmRow, device: DeviceRow | None) -> dict[str, Any]:
    return alarm_record(row, device).model_dump(mode="json")


class LinkedLane(BaseModel):
    camera: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$", title="Camera id")
    zone: str | None = Field(None, max_length=64, title="Zone id", description="None: every zone of the camera.")


class DeviceRecord(BaseModel):
    """A device with its live status."""

    id: str = Field(title="Device id")
    type: str = Field(title="Device type")
    name: str | None = Field(title="Name")
    enterprise: str | None = Field(title="Enterprise")
    building: str | None = Field(title="Building", description="Cameras of the same building are its fire lanes.")
    location: str | None = Field(title="Floor / location")
    linked_lanes: list[LinkedLane] = Field(title="Linked lanes", description="Lanes besides its building's.")
    rules: dict[str, Any] = Field(title="Rule overrides", description="Laid over the type's default rules.")
    heartbeat_s: float | None = Field(title="Expected heartbeat interval (s)")
    registered: bool = Field(title="Registered", description="False: auto-registered from a message; review it.")
    maintenance: bool = Field(title="Flagged for maintenance")
    maintenance_reason: str | None = Field(title="Why it was flagged")
    offline: bool = Field(title="Offline")
    offline_since: datetime | None = Field(title="Offline since")
    last_seen_at: datetime | None = Field(title="Last message received at")
    battery_pct: float | None = Field(title="Battery (%)")
    open_alarms: list[str] = Field(title="Open alarm types")
    created_at: datetime = Field(title="Created at")
    updated_at: datetime = Field(title="Updated at")


def device_record(row: DeviceRow, *, heartbeat_s: float | None, open_alarms: list[str]) -> DeviceRecord:
    return DeviceRecord(
        id=row.id,
        type=row.type,
        name=row.name,
        enterprise=row.enterprise,
        building=row.building,
        location=row.location,
        linked_lanes=[LinkedLane.model_validate(x) for x in row.linked_lanes or []],
        rules=row.rules or {},
        heartbeat_s=heartbeat_s,
        registered=row.registered,
        maintenance=row.maintenance,
        maintenance_reason=row.maintenance_reason,
        offline=row.offline,
        offline_since=as_utc(row.offline_since),
        last_seen_at=as_utc(row.last_seen_at),
        battery_pct=row.battery_pct,
        open_alarms=sorted(open_alarms),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )
