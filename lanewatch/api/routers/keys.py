"""/api/keys routes: list, create and revoke API keys (KEYS_MANAGE). Hashes never leave the server.

A key may carry an organisation (`org`): its scope. A scoped caller sees and
revokes only keys inside its own scope, and the keys it creates stay there
(by default its own organisation), so no one can make a key that sees more
than they do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from lanewatch.api.auth import new_key_row
from lanewatch.api.deps import SessionDep, StrictJSONRoute
from lanewatch.api.errors import ApiError, responses
from lanewatch.api.org_ref import OrgRef, org_in_scope, org_ref, org_refs
from lanewatch.api.permits import KeyManager
from lanewatch.people.scope import scoped
from lanewatch.store.tables import ApiKeyRow, as_utc, utcnow

router = APIRouter(prefix="/keys", tags=["keys"], route_class=StrictJSONRoute)

KeyPk = Annotated[int, Path(ge=1, le=2**31 - 1, title="Key number", description="The key's `pk` from the list.")]


class KeyCreate(BaseModel):
    """A key to create."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=200, title="Name", description="Who or what uses the key.")
    role: Literal["viewer", "operator", "admin", "device"] = Field(
        title="Role",
        description="viewer (read), operator (also ack/resolve), admin (also cameras, zones, keys); "
        "device: only delivers alarm messages (POST /api/alarms/ingest).",
    )
    org: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        title="Organisation",
        description="Code of the organisation whose subtree the key sees. Default: your own organisation "
        "(none for an unscoped caller: the whole system).",
    )


class KeyOut(BaseModel):
    """A stored key, identified by its prefix; the key itself is not kept."""

    pk: int = Field(title="Key number")
    name: str = Field(title="Name")
    role: str = Field(title="Role")
    prefix: str = Field(title="Prefix", description="The key's first characters, to tell keys apart.")
    created_at: datetime = Field(title="Created at")
    last_used_at: datetime | None = Field(title="Last used at", description="Updated at most once a minute.")
    revoked_at: datetime | None = Field(title="Revoked at")
    org: OrgRef | None = Field(None, title="Organisation", description="Its scope; null: the whole system.")

    @classmethod
    def of(cls, row: ApiKeyRow, org: OrgRef | None = None) -> KeyOut:
        assert row.pk is not None  # a stored row has its primary key
        return cls(
            pk=row.pk,
            name=row.name,
            role=row.role,
            prefix=row.prefix,
            created_at=as_utc(row.created_at),
            last_used_at=as_utc(row.last_used_at),
            revoked_at=as_utc(row.revoked_at),
            org=org,
        )


class KeyCreated(KeyOut):
    key: str = Field(title="Key", description="The new key. Shown only in this answer: store it now.")


@router.get("", response_model=list[KeyOut], responses=responses(401, 403), summary="List API keys")
def list_keys(session: SessionDep, caller: KeyManager) -> list[KeyOut]:
    rows = session.exec(scoped(select(ApiKeyRow), caller.scope, ApiKeyRow).order_by(col(ApiKeyRow.pk))).all()
    orgs = org_refs(session, (r.org_pk for r in rows))
    return [KeyOut.of(row, orgs.get(row.org_pk) if row.org_pk is not None else None) for row in rows]


@router.post(
    "",
    response_model=KeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 413, 422),
    summary="Create an API key (shown once)",
)
def create_key(body: KeyCreate, session: SessionDep, caller: KeyManager) -> KeyCreated:
    org_pk = org_in_scope(session, caller, body.org).pk if body.org is not None else caller.org_pk
    try:
        row, key = new_key_row(body.role, body.name)
    except ValueError:
        raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, "api.keys.bad_name") from None
    row.org_pk = org_pk
    session.add(row)
    session.commit()
    session.refresh(row)
    return KeyCreated(**KeyOut.of(row, org_ref(session, row.org_pk)).model_dump(), key=key)


@router.delete(
    "/{pk}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
    summary="Revoke an API key",
)
def revoke_key(pk: KeyPk, session: SessionDep, caller: KeyManager) -> None:
    """The key stops working at once; it stays in the list with `revoked_at` set. Revoking twice is harmless."""
    row = session.get(ApiKeyRow, pk)
    if row is None or not caller.scope.allows(row.org_pk):
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.keys.none", pk=pk)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
