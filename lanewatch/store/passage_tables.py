"""Lane passages (revision 0006): a vehicle that drove into a lane zone and out again without a violation.

One row per passage, written when the track leaves the zone (or is lost in
it). Queried per lane over a time range (how many went through, how long
they took), so the index leads with camera and zone, then the entry time.
A passage belongs to its camera for scoping, like a violation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from lanewatch.store.tables import _utc_column


class PassageRow(SQLModel, table=True):
    """One vehicle's time in one zone; times are stream time (UTC), `seconds` = left_at − entered_at."""

    __tablename__ = "lane_passages"
    __table_args__ = (
        Index("ix_lane_passages_lane_entered", "camera_id", "zone_id", "entered_at"),
        Index("ix_lane_passages_entered_at", "entered_at"),
    )

    pk: int | None = Field(default=None, primary_key=True)
    camera_id: str = Field(max_length=100)
    zone_id: str = Field(max_length=100)
    label: str = Field(max_length=50)  # the vehicle class (car, truck, …)
    track_id: int
    entered_at: datetime = Field(sa_column=_utc_column())
    left_at: datetime = Field(sa_column=_utc_column())
    seconds: float
    lost: bool = False  # the track was forgotten inside the zone rather than seen leaving it
