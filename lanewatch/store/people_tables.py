"""Tables of who may see what: organisations, people, sign-ins, and the audit of changes.

Organisations form a tree (district → streets/towns → communities and
enterprises; district-wide agencies hang under the district). Cameras,
sensor devices, API keys and webhooks carry the organisation they belong to
(``org_pk``; on keys and webhooks null means the whole system). A person
belongs to one organisation and has one role; what they see is computed from
the tree by `lanewatch.people.scope`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from lanewatch.store.tables import _utc_column, utcnow


class OrganisationRow(SQLModel, table=True):
    """One organisation: ``kind`` is district, street, community, enterprise or agency."""

    __tablename__ = "organisations"

    pk: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    parent_pk: int | None = Field(default=None, foreign_key="organisations.pk", index=True, ondelete="RESTRICT")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


def root_org_pk(session: Session) -> int | None:
    """The root organisation (the district; the oldest one if there are several), None before any exists.

    Where records appear without anyone choosing their organisation (the demo camera, a device that
    reported before it was registered), they go here: visible to the district, not to nobody.
    """
    return session.exec(
        select(OrganisationRow.pk).where(col(OrganisationRow.parent_pk).is_(None)).order_by(col(OrganisationRow.pk))
    ).first()


class PersonRow(SQLModel, table=True):
    """A person who signs in. Only an argon2 hash of the password is kept."""

    __tablename__ = "people"

    pk: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=32)
    org_pk: int = Field(foreign_key="organisations.pk", index=True, ondelete="RESTRICT")
    language: str | None = Field(default=None, max_length=16)
    disabled: bool = False
    failed_attempts: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    password_changed_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class SignInRow(SQLModel, table=True):
    """A signed-in browser: the cookie's token and the CSRF token are kept only as SHA-256 hashes."""

    __tablename__ = "sign_ins"

    pk: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    csrf_hash: str = Field(max_length=64)
    person_pk: int = Field(foreign_key="people.pk", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    expires_at: datetime = Field(sa_column=_utc_column(index=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    user_agent: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=64)


class AuditRow(SQLModel, table=True):
    """Who changed what: one row per change of a zone, camera, device, person or organisation, and per
    acknowledge/confirm/resolve. ``before``/``after`` hold the changed fields (never secrets)."""

    __tablename__ = "audit"

    pk: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_utc_column(index=True))
    actor_kind: str = Field(max_length=16)  # person | key | system
    actor_pk: int | None = None
    actor_name: str = Field(max_length=200)
    action: str = Field(max_length=64, index=True)  # e.g. zone.update, violation.acknowledge
    target_kind: str = Field(max_length=32, index=True)
    target_id: str = Field(max_length=200, index=True)
    org_pk: int | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
