"""The site ↔ centre uplink: the edge's outbox and the centre's sites, applied records and dead letters.

Written out in full, like 0001, so this revision's schema never changes
when lanewatch/store/uplink_tables.py does. Every database gets all four
tables (a process is an edge, a centre or neither by its settings, not by
its schema).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _int(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "uplink_outbox",
        sa.Column("seq", sa.Integer(), nullable=False),
        _text("kind", 16),
        _text("record_id", 200),
        sa.Column("payload", sa.JSON(), nullable=False),
        _utc("created_at"),
        _int("attempts"),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,  # a sequence number is never handed out twice, even after deletes
    )
    op.create_index("ix_uplink_outbox_kind", "uplink_outbox", ["kind"])

    op.create_table(
        "uplink_records",
        _text("site", 32),
        _text("kind", 16),
        _text("record_id", 200),
        _int("seq"),
        _utc("edge_time"),
        _utc("received_at"),
        sa.PrimaryKeyConstraint("site", "kind", "record_id"),
    )

    op.create_table(
        "uplink_sites",
        _text("site", 32),
        _int("org_pk", nullable=True),
        _utc("last_message_at", nullable=True),
        _utc("last_edge_time", nullable=True),
        sa.Column("clock_skew_s", sa.Float(), nullable=True),
        _int("last_seq", nullable=True),
        _int("messages"),
        _int("duplicates"),
        _int("dead_letters"),
        sa.PrimaryKeyConstraint("site"),
    )
    op.create_index("ix_uplink_sites_org_pk", "uplink_sites", ["org_pk"])

    op.create_table(
        "uplink_dead_letters",
        sa.Column("pk", sa.Integer(), nullable=False),
        _text("site", 32, nullable=True),
        _text("topic", 500),
        sa.Column("payload", sa.Text(), nullable=False),
        _text("reason", 500),
        _utc("received_at"),
        sa.PrimaryKeyConstraint("pk"),
    )
    op.create_index("ix_uplink_dead_letters_site", "uplink_dead_letters", ["site"])


def downgrade() -> None:
    for table in ("uplink_dead_letters", "uplink_sites", "uplink_records", "uplink_outbox"):
        op.drop_table(table)
