"""Violations raised while the camera's view had moved are marked unreliable; cameras carry their own
picture-health thresholds.

``violations.unreliable`` / ``unreliable_reason`` (e.g. "camera_moved", see
lanewatch/events/unreliable.py); ``cameras.picture``: the thresholds of
``PictureHealthConfig`` this camera sets differently from the service's
``picture:`` (JSON object, null: none).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("violations") as batch:
        batch.add_column(sa.Column("unreliable", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("unreliable_reason", sa.String(length=32), nullable=True))
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("picture", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("picture")
    with op.batch_alter_table("violations") as batch:
        batch.drop_column("unreliable_reason")
        batch.drop_column("unreliable")
