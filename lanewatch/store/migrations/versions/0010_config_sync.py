"""Config sync between the centre and its sites: each synced setting's version at both ends.

``config_items`` (site, kind, key: the setting's id at the site; body, edited_at, edited_by, origin,
base_at, rejected) and, at the centre, ``config_sites`` (each site's config revision and the one last
published). Written out in full, like 0008, so this revision never changes when
lanewatch/store/uplink_tables.py does.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "config_items",
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_by", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("base_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("site", "kind", "key"),
    )
    op.create_table(
        "config_sites",
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("published", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site"),
    )


def downgrade() -> None:
    op.drop_table("config_sites")
    op.drop_table("config_items")
