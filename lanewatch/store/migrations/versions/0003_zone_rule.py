"""Zones get a rule: what counts towards the dwell ('stopped' or 'present'); existing zones become 'stopped'.

Until this revision the dwell clock counted any time inside a zone; from
now on a lane counts only the time a vehicle stands still (see
lanewatch/track/dwell.py). Existing zones take the new default, `stopped`,
which is what a fire lane means: crawling traffic no longer alerts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # server_default fills the rows already there; batch mode lets SQLite do it too.
    with op.batch_alter_table("zones") as batch:
        batch.add_column(sa.Column("rule", sa.String(length=16), nullable=False, server_default="stopped"))


def downgrade() -> None:
    with op.batch_alter_table("zones") as batch:
        batch.drop_column("rule")
