"""Each site's latest edge heartbeat at the centre, so an idle edge can be told from a dead one.

``uplink_sites.last_heartbeat_at`` (centre receive time), ``backlog`` (outbox
entries waiting at the edge), ``lag_s`` (how long its oldest entry has waited,
by the centre's clock), ``edge_version`` (the edge's lanewatch version); all
null until a heartbeat arrived (`lanewatch.uplink.heartbeat`). Written out in
full, like 0008, so this revision never changes when
lanewatch/store/uplink_tables.py does.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("uplink_sites") as batch:
        batch.add_column(sa.Column("last_heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("backlog", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("lag_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("edge_version", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("uplink_sites") as batch:
        batch.drop_column("edge_version")
        batch.drop_column("lag_s")
        batch.drop_column("backlog")
        batch.drop_column("last_heartbeat_at")
