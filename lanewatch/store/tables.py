"""SQLModel tables: the storage shape of everything lanewatch keeps.

API request/response models are separate (lanewatch/api/); these are only
what lives in the database. Times are stored as timezone-aware UTC
(SQLite hands them back naive: `as_utc` re-attaches the zone). Lists and
polygons are JSON columns, booleans are booleans.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything stored is UTC (a stored time stays a time, None stays None)."""
    if value is None or value.tzinfo is UTC:  # PostgreSQL's times already are (`store.engine`): no copy
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_column(nullable: bool = False, index: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class CameraRow(SQLModel, table=True):
    """A camera and how its stream is read. `source_url` may hold credentials: never return it raw."""

    __tablename__ = "cameras"

    id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    source_url: str = Field(max_length=2000)
    sample_fps: float = 0.5
    imgsz: int = 960
    decode: str = Field(default="auto", max_length=16)
    enabled: bool = True
    site: str | None = Field(default=None, max_length=200)
    building: str | None = Field(default=None, max_length=200, index=True)
    org_pk: int | None = Field(default=None, index=True)  # the community it belongs to (revision 0004)
    # this camera's picture-health thresholds that differ from the service's `picture:` (revision 0007)
    picture: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class ZoneRow(SQLModel, table=True):
    """A lane zone of one camera: the same fields as a zone file's zone."""

    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("camera_id", "zone_id", name="uq_zones_camera_zone"),)

    pk: int | None = Field(default=None, primary_key=True)
    camera_id: str = Field(foreign_key="cameras.id", index=True, max_length=100, ondelete="CASCADE")
    zone_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    polygon: list[list[float]] = Field(sa_column=Column(JSON, nullable=False))
    dwell_seconds: float
    exit_grace_seconds: float
    classes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    anchor: str = Field(max_length=20)
    min_overlap: float | None = None
    rule: str = Field(default="stopped", max_length=16)  # what counts towards the dwell (revision 0003)
    position: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class ViolationRow(SQLModel, table=True):
    """One violation. Lifecycle: active (end_s null) → ended; operator state: new → acknowledged → resolved."""

    __tablename__ = "violations"
    __table_args__ = (Index("ix_violations_cursor", "violation_at", "id"),)

    id: str = Field(primary_key=True, max_length=64)
    camera: str = Field(index=True, max_length=100)
    zone: str = Field(index=True, max_length=100)
    zone_name: str = Field(max_length=200)
    label: str = Field(index=True, max_length=50)
    start_s: float
    violation_s: float
    last_seen_s: float
    end_s: float | None = None
    started_at: datetime = Field(sa_column=_utc_column(index=True))
    violation_at: datetime = Field(sa_column=_utc_column())
    ended_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    confidence: float
    box_x1: float
    box_y1: float
    box_x2: float
    box_y2: float
    snapshot: str | None = Field(default=None, max_length=500)
    snapshot_clean: str | None = Field(default=None, max_length=500)
    state: str = Field(default="new", max_length=16, index=True)
    unreliable: bool = False  # raised while the camera's view had moved off its zones (revision 0007)
    unreliable_reason: str | None = Field(default=None, max_length=32)  # e.g. "camera_moved"
    acknowledged_by: str | None = Field(default=None, max_length=200)
    acknowledged_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    ack_comment: str | None = Field(default=None, max_length=2000)
    resolved_by: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    resolve_comment: str | None = Field(default=None, max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class EvidenceRow(SQLModel, table=True):
    """An evidence file of a violation (annotated or clean JPEG), relative to the evidence directory."""

    __tablename__ = "evidence"

    pk: int | None = Field(default=None, primary_key=True)
    violation_id: str = Field(foreign_key="violations.id", index=True, max_length=64, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    path: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class HealthEventRow(SQLModel, table=True):
    """A period a camera spent in one state (online / offline / frozen); `ended_at` null while current."""

    __tablename__ = "camera_health"

    pk: int | None = Field(default=None, primary_key=True)
    camera_id: str = Field(index=True, max_length=100)
    state: str = Field(max_length=16)
    detail: str = Field(default="", max_length=2000)
    started_at: datetime = Field(sa_column=_utc_column(index=True))
    ended_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class ApiKeyRow(SQLModel, table=True):
    """An API key: only its SHA-256 is stored; `prefix` identifies it in lists and logs."""

    __tablename__ = "api_keys"

    pk: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    prefix: str = Field(max_length=16, index=True)
    key_hash: str = Field(max_length=64, unique=True)
    org_pk: int | None = Field(default=None, index=True)  # its scope; null: the whole system (revision 0004)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    last_used_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class WebhookRow(SQLModel, table=True):
    """A webhook subscription; deliveries are signed with `secret` (HMAC-SHA256)."""

    __tablename__ = "webhooks"

    pk: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200)
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    description: str | None = Field(default=None, max_length=500)
    enabled: bool = True
    org_pk: int | None = Field(default=None, index=True)  # only events in its scope; null: all (revision 0004)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class OutboxRow(SQLModel, table=True):
    """One pending or done webhook delivery: written in the same transaction as the event it reports."""

    __tablename__ = "webhook_outbox"

    pk: int | None = Field(default=None, primary_key=True)
    webhook_pk: int = Field(foreign_key="webhooks.pk", index=True, ondelete="CASCADE")
    idempotency_key: str = Field(max_length=64, index=True)
    event_type: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column(index=True))
    delivered_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
