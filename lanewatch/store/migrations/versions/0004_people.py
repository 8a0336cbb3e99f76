"""Organisations, people, sign-ins and the audit; cameras, devices, keys and webhooks get an organisation.

Everything there already was goes under one default organisation (a
district, code ``district``), so a deployment that upgrades keeps working as
before: its keys and webhooks stay unscoped (null: the whole system) and its
cameras and devices belong to the district, which an administrator can then
split into streets, communities and enterprises.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_ORG_CODE = "district"
DEFAULT_ORG_NAME = "本区"  # "this district": renamed by the administrator


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    organisations = op.create_table(
        "organisations",
        sa.Column("pk", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(length=100), nullable=False, unique=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_pk", sa.Integer(), sa.ForeignKey("organisations.pk", ondelete="RESTRICT"), nullable=True),
        _utc("created_at"),
        _utc("updated_at"),
    )
    op.create_index("ix_organisations_parent_pk", "organisations", ["parent_pk"])
    op.create_table(
        "people",
        sa.Column("pk", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(length=100), nullable=False, unique=True),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("org_pk", sa.Integer(), sa.ForeignKey("organisations.pk", ondelete="RESTRICT"), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        _utc("locked_until", nullable=True),
        _utc("password_changed_at"),
        _utc("created_at"),
        _utc("updated_at"),
    )
    op.create_index("ix_people_org_pk", "people", ["org_pk"])
    op.create_table(
        "sign_ins",
        sa.Column("pk", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("csrf_hash", sa.String(length=64), nullable=False),
        sa.Column("person_pk", sa.Integer(), sa.ForeignKey("people.pk", ondelete="CASCADE"), nullable=False),
        _utc("created_at"),
        _utc("last_seen_at"),
        _utc("expires_at"),
        _utc("revoked_at", nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
    )
    op.create_index("ix_sign_ins_person_pk", "sign_ins", ["person_pk"])
    op.create_index("ix_sign_ins_expires_at", "sign_ins", ["expires_at"])
    op.create_table(
        "audit",
        sa.Column("pk", sa.Integer(), primary_key=True),
        _utc("at"),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_pk", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_kind", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=200), nullable=False),
        sa.Column("org_pk", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
    )
    for column in ("at", "action", "target_kind", "target_id", "org_pk"):
        op.create_index(f"ix_audit_{column}", "audit", [column])
    for table in ("cameras", "alarm_devices", "api_keys", "webhooks"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("org_pk", sa.Integer(), nullable=True))
            batch.create_index(f"ix_{table}_org_pk", ["org_pk"])
    now = datetime.now(UTC)
    op.bulk_insert(
        organisations,
        [
            {
                "pk": 1,
                "code": DEFAULT_ORG_CODE,
                "name": DEFAULT_ORG_NAME,
                "kind": "district",
                "parent_pk": None,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    if op.get_bind().dialect.name == "postgresql":  # the row above named its pk: move the sequence past it
        op.execute("SELECT setval(pg_get_serial_sequence('organisations', 'pk'), (SELECT MAX(pk) FROM organisations))")
    op.execute("UPDATE cameras SET org_pk = 1")
    op.execute("UPDATE alarm_devices SET org_pk = 1")


def downgrade() -> None:
    for table in ("webhooks", "api_keys", "alarm_devices", "cameras"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_org_pk")
            batch.drop_column("org_pk")
    for column in ("org_pk", "target_id", "target_kind", "action", "at"):
        op.drop_index(f"ix_audit_{column}", table_name="audit")
    op.drop_table("audit")
    op.drop_index("ix_sign_ins_expires_at", table_name="sign_ins")
    op.drop_index("ix_sign_ins_person_pk", table_name="sign_ins")
    op.drop_table("sign_ins")
    op.drop_index("ix_people_org_pk", table_name="people")
    op.drop_table("people")
    op.drop_index("ix_organisations_parent_pk", table_name="organisations")
    op.drop_table("organisations")
