"""The fire-sensor side: devices, alarms, alarm audit, recent device messages, seen message ids.

Written out in full, like 0001, so this revision's schema never changes
when lanewatch/store/alarm_tables.py does.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _number(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Float(), nullable=nullable)


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "alarm_devices",
        _text("id", 100),
        _text("type", 40),
        _text("name", 200, nullable=True),
        _text("enterprise", 200, nullable=True),
        _text("building", 200, nullable=True),
        _text("location", 500, nullable=True),
        sa.Column("linked_lanes", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        _flag("registered"),
        _flag("maintenance"),
        _text("maintenance_reason", 500, nullable=True),
        _flag("offline"),
        _utc("offline_since", nullable=True),
        _utc("offline_after", nullable=True),
        _utc("last_seen_at", nullable=True),
        _number("battery_pct", nullable=True),
        _utc("created_at"),
        _utc("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("type", "enterprise", "building", "offline_after"):
        op.create_index(f"ix_alarm_devices_{column}", "alarm_devices", [column])

    op.create_table(
        "alarms",
        _text("id", 32),
        _text("open_key", 160, nullable=True),
        _text("device_id", 100),
        _text("device_type", 40),
        _text("alarm_type", 40),
        _text("severity", 16),
        sa.Column("priority", sa.Integer(), nullable=False),
        _text("state", 16),
        _text("outcome", 16, nullable=True),
        _flag("test"),
        _text("source", 16),
        _text("message_id", 200, nullable=True),
        _text("detail", 500, nullable=True),
        _number("value", nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        _text("enterprise", 200, nullable=True),
        _text("building", 200, nullable=True),
        _text("location", 500, nullable=True),
        _utc("device_time", nullable=True),
        _utc("received_at"),
        _utc("stored_at"),
        _utc("shown_at", nullable=True),
        _utc("acknowledged_at", nullable=True),
        _text("acknowledged_by", 200, nullable=True),
        _utc("confirmed_at", nullable=True),
        _text("confirmed_by", 200, nullable=True),
        _utc("forwarded_at", nullable=True),
        _utc("resolved_at", nullable=True),
        _text("resolved_by", 200, nullable=True),
        _utc("cleared_at", nullable=True),
        _utc("last_repeat_at", nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        _utc("next_escalation_at", nullable=True),
        _utc("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),  # one open alarm per device + type
    )
    for column in ("device_id", "alarm_type", "severity", "priority", "state", "enterprise", "building",
                   "next_escalation_at"):
        op.create_index(f"ix_alarms_{column}", "alarms", [column])
    op.create_index("ix_alarms_cursor", "alarms", ["priority", "received_at", "id"])

    op.create_table(
        "alarm_audit",
        sa.Column("pk", sa.Integer(), nullable=False),
        _text("alarm_id", 32),
        _utc("at"),
        _text("action", 32),
        _text("by", 200),
        _text("comment", 2000, nullable=True),
        _text("state_before", 16, nullable=True),
        _text("state_after", 16),
        sa.PrimaryKeyConstraint("pk"),
        sa.ForeignKeyConstraint(["alarm_id"], ["alarms.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_alarm_audit_alarm_id", "alarm_audit", ["alarm_id"])

    op.create_table(
        "alarm_device_messages",
        sa.Column("pk", sa.Integer(), nullable=False),
        _text("device_id", 100),
        _text("kind", 16),
        _text("alarm_type", 40, nullable=True),
        _text("quantity", 40, nullable=True),
        _number("value", nullable=True),
        _text("detail", 500, nullable=True),
        _text("source", 16),
        _flag("test"),
        _utc("device_time", nullable=True),
        _utc("received_at"),
        sa.PrimaryKeyConstraint("pk"),
    )
    op.create_index("ix_alarm_device_messages_device_pk", "alarm_device_messages", ["device_id", "pk"])

    op.create_table(
        "alarm_seen_messages",
        _text("key", 64),
        _utc("seen_at"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_alarm_seen_messages_seen_at", "alarm_seen_messages", ["seen_at"])


def downgrade() -> None:
    for table in ("alarm_seen_messages", "alarm_device_messages", "alarm_audit", "alarms", "alarm_devices"):
        op.drop_table(table)
