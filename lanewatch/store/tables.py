"""SQLModel tables (storage shape; API request/response models live elsewhere)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


def _utc_column(nullable: bool = False, index: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ViolationRow(SQLModel, table=True):
    """One violation; updated in place through its lifecycle (active → ended)."""

    __tablename__ = "violations"

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
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
