"""Lane passages: vehicles that drove through a lane zone without a violation, and how long they took.

Written out in full, like 0001, so this revision's schema never changes when
lanewatch/store/passage_tables.py does. A passage belongs to its camera
(scoped through ``cameras.org_pk``, like violations), so it carries no
organisation of its own.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "lane_passages",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(length=100), nullable=False),
        sa.Column("zone_id", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        _utc("entered_at"),
        _utc("left_at"),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("lost", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
    )
    # per lane over a time range; and all lanes over a time range
    op.create_index("ix_lane_passages_lane_entered", "lane_passages", ["camera_id", "zone_id", "entered_at"])
    op.create_index("ix_lane_passages_entered_at", "lane_passages", ["entered_at"])


def downgrade() -> None:
    op.drop_table("lane_passages")
