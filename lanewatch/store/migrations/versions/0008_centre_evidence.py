"""The centre's register of the evidence pictures it received from its sites.

``uplink_evidence``: one row per picture file the centre holds for a site
(violation id, kind annotated/clean, path relative to the evidence folder,
sha256 and size of the bytes written, when received), so the centre knows
what it holds, can verify a file against its digest and can delete old ones
with their row (retention). One row per (site, path): a redelivery of the
same picture finds its row and changes nothing. Written out in full, like
0005, so this revision never changes when lanewatch/store/uplink_tables.py
does.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "uplink_evidence",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("violation_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("site", "path", name="uq_uplink_evidence_site_path"),
    )
    op.create_index("ix_uplink_evidence_violation_id", "uplink_evidence", ["violation_id"])
    op.create_index("ix_uplink_evidence_received_at", "uplink_evidence", ["received_at"])


def downgrade() -> None:
    op.drop_table("uplink_evidence")
