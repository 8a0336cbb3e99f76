"""Tables of the site ↔ centre uplink (revision 0005).

Edge: `UplinkOutboxRow`, the records waiting to go to the centre, written in
the transaction of the record itself. Centre: `UplinkRecordRow` (the newest
edge sequence number applied per (site, kind, record id): what makes ingest
idempotent and keeps an older update from overwriting a newer one),
`UplinkSiteRow` (each site's link state, with its edge's latest heartbeat
since revision 0009) and `UplinkDeadLetterRow`
(messages that could not be applied, kept to be looked at or replayed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from lanewatch.store.tables import _utc_column, utcnow


class UplinkOutboxRow(SQLModel, table=True):
    """One record waiting for the broker's PUBACK; ``seq`` is the site's sequence number (never reused)."""

    __tablename__ = "uplink_outbox"
    __table_args__ = {"sqlite_autoincrement": True}

    seq: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16, index=True)
    record_id: str = Field(max_length=200)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    attempts: int = 0


class UplinkRecordRow(SQLModel, table=True):
    """Centre: the edge sequence number of the newest message applied to one record of one site."""

    __tablename__ = "uplink_records"

    site: str = Field(primary_key=True, max_length=32)
    kind: str = Field(primary_key=True, max_length=16)
    record_id: str = Field(primary_key=True, max_length=200)
    seq: int
    edge_time: datetime = Field(sa_column=_utc_column())
    received_at: datetime = Field(sa_column=_utc_column())


class UplinkSiteRow(SQLModel, table=True):
    """Centre: one site's link as the centre sees it (times: the centre's clock unless named edge)."""

    __tablename__ = "uplink_sites"

    site: str = Field(primary_key=True, max_length=32)
    org_pk: int | None = Field(default=None, index=True)
    last_message_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    last_edge_time: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    clock_skew_s: float | None = None
    last_seq: int | None = None
    messages: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    # the edge's latest heartbeat (revision 0009; `lanewatch.uplink.heartbeat`): None until one arrived
    last_heartbeat_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    backlog: int | None = None
    lag_s: float | None = None
    edge_version: str | None = Field(default=None, max_length=32)


class UplinkDeadLetterRow(SQLModel, table=True):
    """Centre: a message acknowledged to the broker but not applied (unknown site, malformed), and why."""

    __tablename__ = "uplink_dead_letters"

    pk: int | None = Field(default=None, primary_key=True)
    site: str | None = Field(default=None, max_length=32, index=True)
    topic: str = Field(max_length=500)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(max_length=500)
    received_at: datetime = Field(sa_column=_utc_column())


class UplinkEvidenceRow(SQLModel, table=True):
    """Centre: a picture file received from a site (revision 0008), so the centre can verify and expire it.

    ``path`` is relative to the centre's evidence folder (``<site>/<edge path>``,
    what the centre's violation row names); one row per (site, path)."""

    __tablename__ = "uplink_evidence"
    __table_args__ = (UniqueConstraint("site", "path", name="uq_uplink_evidence_site_path"),)

    pk: int | None = Field(default=None, primary_key=True)
    site: str = Field(max_length=32)
    violation_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=16)
    path: str = Field(max_length=500)
    sha256: str = Field(max_length=64)
    bytes: int
    received_at: datetime = Field(sa_column=_utc_column(index=True))


class ConfigItemRow(SQLModel, table=True):
    """Both ends: the version of one synced setting (revision 0010; `lanewatch.uplink.config_sync`).

    ``kind`` is camera, zone or device and ``key`` its id *at the site* (``gate``, ``gate/lane-1``,
    ``smoke-1``), so edge and centre name one item alike. ``body`` is the setting (null: the zone was
    removed); ``edited_at`` the editor's clock and ``edited_by`` who; ``origin`` edge or centre; ``base_at``
    the ``edited_at`` of the version the editor changed (null: none), which tells a concurrent edit from a
    later one; ``rejected`` the version of the latest edit that lost to this one (seen twice, audited once)."""

    __tablename__ = "config_items"

    site: str = Field(primary_key=True, max_length=32)
    kind: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=200)
    body: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    edited_at: datetime = Field(sa_column=_utc_column())
    edited_by: str = Field(max_length=200)
    origin: str = Field(max_length=8)
    base_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    rejected: str | None = Field(default=None, max_length=300)


class ConfigSiteRow(SQLModel, table=True):
    """Centre: one site's config revision (bumped by every change of its items) and the one last published
    retained to ``lanewatch/v1/centre/<site>/config`` (revision 0010)."""

    __tablename__ = "config_sites"

    site: str = Field(primary_key=True, max_length=32)
    revision: int = 0
    published: int = 0
