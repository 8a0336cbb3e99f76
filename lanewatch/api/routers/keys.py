"""/api/keys routes: list, create and revoke API keys (admin). Hashes never leave the server."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from lanewatch.api.auth import Admin, new_key_row
from lanewatch.api.deps import SessionDep, StrictJSONRoute
from lanewatch.api.errors import responses
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


class KeyOut(BaseModel):
    """A stored key, identified by its prefix; the key itself is not kept."""

    pk: int = Field(title="Key number")
    name: str = Field(title="Name")
    role: str = Field(title="Role")
    prefix: str = Field(title="Prefix", description="The key's first characters, to tell keys apart.")
    created_at: datetime = Field(title="Created at")
    last_used_at: datetime | None = Field(title="Last used at", description="Updated at most once a minute.")
    revoked_at: datetime | None = Field(title="Revoked at")

    @classmethod
    def of(cls, row: ApiKeyRow) -> KeyOut:
        assert row.pk is not None  # a stored row has its primary key
        return cls(
            pk=row.pk,
            name=row.name,
            role=row.role,
            prefix=row.prefix,
            created_at=as_utc(row.created_at),
            last_used_at=as_utc(row.last_used_at),
            revoked_at=as_utc(row.revoked_at),
        )


class KeyCreated(KeyOut):
    key: str = Field(title="Key", description="The new key. Shown only in this answer: store it now.")


@router.get("", response_model=list[KeyOut], responses=responses(401, 403), summary="List API keys")
def list_keys(session: SessionDep, _: Admin) -> list[KeyOut]:
    return [KeyOut.of(row) for row in session.exec(select(ApiKeyRow).order_by(col(ApiKeyRow.pk)))]


@router.post(
    "",
    response_model=KeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 413, 422),
    summary="Create an API key (shown once)",
)
def create_key(body: KeyCreate, session: SessionDep, _: Admin) -> KeyCreated:
    try:
        row, key = new_key_row(body.role, body.name)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"name: {exc}") from None
    session.add(row)
    session.commit()
    session.refresh(row)
    return KeyCreated(**KeyOut.of(row).model_dump(), key=key)


@router.delete(
    "/{pk}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
    summary="Revoke an API key",
)
def revoke_key(pk: KeyPk, session: SessionDep, _: Admin) -> None:
    """The key stops working at once; it stays in the list with `revoked_at` set. Revoking twice is harmless."""
    row = session.get(ApiKeyRow, pk)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no API key {pk}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
