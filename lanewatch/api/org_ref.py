"""The organisation a camera or device belongs to, as requests name it (`org`: its code) and answers show it.

Creating or moving a record puts it in an organisation the caller sees:
one outside the caller's scope answers 404 like an unknown code, so a
caller cannot learn which organisations exist elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import status
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from lanewatch.api.errors import ApiError
from lanewatch.people.caller import Caller
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.words.said import Word

OrgCode = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=100,
        title="Organisation",
        description="The code of the organisation it belongs to (a community for a camera, an enterprise for a "
        "device). Default: the caller's own organisation when it is of that kind.",
    ),
]


class OrgRef(BaseModel):
    """An organisation as a record's answer names it."""

    code: str = Field(title="Organisation code")
    name: str = Field(title="Organisation name")
    kind: str = Field(title="Kind", description="district, street, community, enterprise or agency.")


def org_refs(session: Session, pks: Iterable[int | None]) -> dict[int, OrgRef]:
    """The organisations with these numbers, by number (one query for a whole list)."""
    wanted = sorted({pk for pk in pks if pk is not None})
    if not wanted:
        return {}
    rows = session.exec(select(OrganisationRow).where(col(OrganisationRow.pk).in_(wanted))).all()
    return {r.pk: OrgRef(code=r.code, name=r.name, kind=r.kind) for r in rows if r.pk is not None}


def org_ref(session: Session, pk: int | None) -> OrgRef | None:
    return org_refs(session, [pk]).get(pk) if pk is not None else None


def _no_org(code: str) -> ApiError:
    return ApiError(status.HTTP_404_NOT_FOUND, "api.org.none", code=code)


def org_in_scope(session: Session, caller: Caller, code: str) -> OrganisationRow:
    """The organisation with `code`, or 404 (the same for one outside the caller's scope)."""
    row = session.exec(select(OrganisationRow).where(OrganisationRow.code == code)).first()
    if row is None or row.pk is None or not caller.scope.allows(row.pk):
        raise _no_org(code)
    return row


def _root(session: Session) -> int | None:
    roots = session.exec(select(OrganisationRow.pk).where(col(OrganisationRow.parent_pk).is_(None))).all()
    return roots[0] if len(roots) == 1 else None


def target_org(session: Session, caller: Caller, code: str | None, *, kind: str, what: str) -> int | None:
    """The organisation number a new (or moved) `what` goes to.

    `code` None: the caller's own organisation when it is a `kind`; a key from
    before organisations (no organisation of its own, unlimited scope) puts it
    under the root, where the upgrade put every existing record; anyone else
    must say which (422). A named organisation must be inside the caller's
    scope (else 404) and be a `kind` or the root.
    """
    if code is None:
        if caller.org_pk is None:
            return _root(session) if caller.scope.unlimited else None
        own = session.get(OrganisationRow, caller.org_pk)
        if own is not None and own.kind == kind:
            return own.pk
        raise ApiError(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "api.org.say_which" if own is not None else "api.org.say_which_none",
            kind=Word(f"people.kind.{kind}"),
            what=Word(f"api.what.{what}"),
            code=own.code if own is not None else "",
            has=Word(f"people.kind.{own.kind}") if own is not None else "",
        )
    row = org_in_scope(session, caller, code)
    if row.kind != kind and row.parent_pk is not None:
        raise ApiError(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "api.org.wrong_kind",
            what=Word(f"api.what.{what}"),
            kind=Word(f"people.kind.{kind}"),
            code=code,
            has=Word(f"people.kind.{row.kind}"),
        )
    return row.pk
