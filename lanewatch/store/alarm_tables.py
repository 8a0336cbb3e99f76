"""SQLModel tables of the fire-sensor side: devices, alarms, their audit, recent messages, seen message ids.

One open alarm per device and alarm type is enforced by the database:
``open_key`` is ``"<device>|<type>"`` while the alarm is unresolved and
NULL afterwards, under a unique constraint (NULLs never collide on SQLite
or PostgreSQL). Escalation state lives on the alarm row itself
(``escalation_level``, ``next_escalation_at``), so a restart continues
where it stopped. Stored messages and seen ids are bounded by the scanner
(`lanewatch.alarms.offline.prune`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from lanewatch.store.tables import _utc_column, utcnow


class DeviceRow(SQLModel, table=True):
    """A registered (or auto-registered, ``registered=False``) sensor, panel or transmission device."""

    __tablename__ = "alarm_devices"

    id: str = Field(primary_key=True, max_length=100)
    type: str = Field(max_length=40, index=True)
    name: str | None = Field(default=None, max_length=200)
    enterprise: str | None = Field(default=None, max_length=200, index=True)
    building: str | None = Field(default=None, max_length=200, index=True)
    location: str | None = Field(default=None, max_length=500)
    linked_lanes: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rules: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    registered: bool = True
    maintenance: bool = False
    maintenance_reason: str | None = Field(default=None, max_length=500)
    offline: bool = False
    offline_since: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    offline_after: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True, index=True))
    last_seen_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    battery_pct: float | None = None
    org_pk: int | None = Field(default=None, index=True)  # the enterprise it belongs to (revision 0004)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class AlarmRow(SQLModel, table=True):
    """One alarm of one device and type: raised → (repeats) → acknowledged → confirmed → resolved."""

    __tablename__ = "alarms"
    __table_args__ = (Index("ix_alarms_cursor", "priority", "received_at", "id"),)

    id: str = Field(primary_key=True, max_length=32)
    open_key: str | None = Field(default=None, max_length=160, unique=True)
    device_id: str = Field(max_length=100, index=True)
    device_type: str = Field(max_length=40)
    alarm_type: str = Field(max_length=40, index=True)
    severity: str = Field(max_length=16, index=True)
    priority: int = Field(index=True)
    state: str = Field(max_length=16, index=True)
    outcome: str | None = Field(default=None, max_length=16)
    test: bool = False
    source: str = Field(max_length=16)
    message_id: str | None = Field(default=None, max_length=200)
    detail: str | None = Field(default=None, max_length=500)
    value: float | None = None
    count: int = 1
    enterprise: str | None = Field(default=None, max_length=200, index=True)
    building: str | None = Field(default=None, max_length=200, index=True)
    location: str | None = Field(default=None, max_length=500)
    device_time: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    received_at: datetime = Field(sa_column=_utc_column())
    stored_at: datetime = Field(sa_column=_utc_column())
    shown_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    acknowledged_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    acknowledged_by: str | None = Field(default=None, max_length=200)
    confirmed_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    confirmed_by: str | None = Field(default=None, max_length=200)
    forwarded_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    resolved_by: str | None = Field(default=None, max_length=200)
    cleared_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    last_repeat_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    escalation_level: int = 0
    next_escalation_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True, index=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class AlarmAuditRow(SQLModel, table=True):
    """One step of an alarm's life: who (key name, ``device:<source>`` or ``system``), when, what, why."""

    __tablename__ = "alarm_audit"

    pk: int | None = Field(default=None, primary_key=True)
    alarm_id: str = Field(foreign_key="alarms.id", index=True, max_length=32, ondelete="CASCADE")
    at: datetime = Field(sa_column=_utc_column())
    action: str = Field(max_length=32)
    by: str = Field(max_length=200)
    comment: str | None = Field(default=None, max_length=2000)
    state_before: str | None = Field(default=None, max_length=16)
    state_after: str = Field(max_length=16)


class DeviceMessageRow(SQLModel, table=True):
    """A recent message of a device (everything but heartbeats), kept for its history page."""

    __tablename__ = "alarm_device_messages"
    __table_args__ = (Index("ix_alarm_device_messages_device_pk", "device_id", "pk"),)

    pk: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(max_length=100)
    kind: str = Field(max_length=16)
    alarm_type: str | None = Field(default=None, max_length=40)
    quantity: str | None = Field(default=None, max_length=40)
    value: float | None = None
    detail: str | None = Field(default=None, max_length=500)
    source: str = Field(max_length=16)
    test: bool = False
    device_time: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    received_at: datetime = Field(sa_column=_utc_column())


class SeenMessageRow(SQLModel, table=True):
    """A message id already applied (per device), so a redelivery or retry is counted once."""

    __tablename__ = "alarm_seen_messages"

    key: str = Field(primary_key=True, max_length=64)
    seen_at: datetime = Field(sa_column=_utc_column(index=True))
