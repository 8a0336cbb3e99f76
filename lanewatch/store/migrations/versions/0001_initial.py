"""The service schema: cameras, zones, violations with operator state, evidence, health, keys, webhooks, outbox.

Written out in full (not generated at run time) so the database a revision
makes never changes when lanewatch/store/tables.py does. Constraint names
are left to the database, as `create_all` did before migrations, so a
database from that time that is stamped at this revision is identical.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _number(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Float(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cameras",
        _text("id", 100),
        _text("name", 200),
        _text("source_url", 2000),
        _number("sample_fps"),
        sa.Column("imgsz", sa.Integer(), nullable=False),
        _text("decode", 16),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _text("site", 200, nullable=True),
        _text("building", 200, nullable=True),
        _utc("created_at"),
        _utc("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cameras_building", "cameras", ["building"])

    op.create_table(
        "zones",
        sa.Column("pk", sa.Integer(), nullable=False),
        _text("camera_id", 100),
        _text("zone_id", 64),
        _text("name", 200),
        sa.Column("polygon", sa.JSON(), nullable=False),
        _number("dwell_seconds"),
        _number("exit_grace_seconds"),
        sa.Column("classes", sa.JSON(), nullable=False),
        _text("anchor", 20),
        _number("min_overlap", nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _utc("updated_at"),
        sa.PrimaryKeyConstraint("pk"),
        sa.ForeignKeyConstraint(["camera_id"], ["cameras.id"], ondelete="CASCADE"),
        sa.UniqueConstraint("camera_id", "zone_id", name="uq_zones_camera_zone"),
    )
    op.create_index("ix_zones_camera_id", "zones", ["camera_id"])

    op.create_table(
        "violations",
        _text("id", 64),
        _text("camera", 100),
        _text("zone", 100),
        _text("zone_name", 200),
        _text("label", 50),
        _number("start_s"),
        _number("violation_s"),
        _number("last_seen_s"),
        _number("end_s", nullable=True),
        _utc("started_at"),
        _utc("violation_at"),
        _utc("ended_at", nullable=True),
        _number("confidence"),
        _number("box_x1"),
        _number("box_y1"),
        _number("box_x2"),
        _number("box_y2"),
        _text("snapshot", 500, nullable=True),
        _text("snapshot_clean", 500, nullable=True),
        _text("state", 16),
        _text("acknowledged_by", 200, nullable=True),
        _utc("acknowledged_at", nullable=True),
        _text("ack_comment", 2000, nullable=True),
        _text("resolved_by", 200, nullable=True),
        _utc("resolved_at", nullable=True),
        _text("resolve_comment", 2000, nullable=True),
        _utc("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_violations_camera", "violations", ["camera"])
    op.create_index("ix_violations_zone", "violations", ["zone"])
    op.create_index("ix_violations_label", "violations", ["label"])
    op.create_index("ix_violations_state", "violations", ["state"])
    op.create_index("ix_violations_started_at", "violations", ["started_at"])
    op.create_index("ix_violations_cursor", "violations", ["violation_at", "id"])  # newest-first keyset pages

    op.create_table(
        "evidence",
        sa.Column("pk", sa.Integer(), nullable=False),
        _text("violation_id", 64),
        _text("kind", 16),
        _text("path", 500),
        _utc("created_at"),
        sa.PrimaryKeyConstraint("pk"),
        sa.ForeignKeyConstraint(["violation_id"], ["violations.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_evidence_violation_id", "evidence", ["violation_id"])

    op.create_table(
        "camera_health",
        sa.Column("pk", sa.Integer(), nullable=False),
        _text("camera_id", 100),
        _text("state", 16),
        _text("detail", 2000),
        _utc("started_at"),
        _utc("ended_at", nullable=True),
        sa.PrimaryKeyConstraint("pk"),
    )
    op.create_index("ix_camera_health_camera_id", "camera_health", ["camera_id"])
    op.create_index("ix_camera_health_started_at", "camera_health", ["started_at"])

    op.create_table(
        "api_keys",
        sa.Column("pk", sa.Integer(), nullable=False),
        _text("name", 200),
        _text("role", 16),
        _text("prefix", 16),
        _text("key_hash", 64),
        _utc("created_at"),
        _utc("last_used_at", nullable=True),
        _utc("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_api_keys_prefix", "api_keys", ["prefix"])

    op.create_table(
        "webhooks",
        sa.Column("pk", sa.Integer(), nullable=False),
        _text("url", 2000),
        _text("secret", 200),
        sa.Column("events", sa.JSON(), nullable=False),
        _text("description", 500, nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _utc("created_at"),
        sa.PrimaryKeyConstraint("pk"),
    )

    op.create_table(
        "webhook_outbox",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("webhook_pk", sa.Integer(), nullable=False),
        _text("idempotency_key", 64),
        _text("event_type", 64),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _utc("next_attempt_at"),
        _utc("delivered_at", nullable=True),
        _text("last_error", 2000, nullable=True),
        _utc("created_at"),
        sa.PrimaryKeyConstraint("pk"),
        sa.ForeignKeyConstraint(["webhook_pk"], ["webhooks.pk"], ondelete="CASCADE"),
    )
    op.create_index("ix_webhook_outbox_webhook_pk", "webhook_outbox", ["webhook_pk"])
    op.create_index("ix_webhook_outbox_idempotency_key", "webhook_outbox", ["idempotency_key"])
    op.create_index("ix_webhook_outbox_next_attempt_at", "webhook_outbox", ["next_attempt_at"])


def downgrade() -> None:
    for table in ("webhook_outbox", "webhooks", "api_keys", "camera_health", "evidence", "violations", "zones",
                  "cameras"):
        op.drop_table(table)  # its indexes go with it
