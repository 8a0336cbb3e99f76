"""/api/orgs: the organisation tree in the caller's scope; administrators create, rename, move, delete, import.

An administrator whose organisation is not the root manages only its own
subtree: the organisations it may change or put things under are
`managed_orgs`. Outside the caller's scope an organisation does not exist (404).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, func, select
from starlette.concurrency import run_in_threadpool

from lanewatch.api.auth import request_language, require_permission
from lanewatch.api.deps import SessionDep, StrictJSONRoute
from lanewatch.api.errors import responses
from lanewatch.people.audit import changed_fields, record
from lanewatch.people.caller import Caller
from lanewatch.people.org_import import OrgImportError, import_text
from lanewatch.people.orgs import ORG_KINDS, PARENT_KINDS, OrgTree, kind_words
from lanewatch.people.roles import Permission
from lanewatch.people.scope import scoped
from lanewatch.store.alarm_tables import DeviceRow
from lanewatch.store.people_tables import OrganisationRow, PersonRow
from lanewatch.store.tables import ApiKeyRow, CameraRow, WebhookRow, utcnow
from lanewatch.words import t

router = APIRouter(prefix="/orgs", tags=["organisations"], route_class=StrictJSONRoute)
Reader = Annotated[Caller, Depends(require_permission(Permission.READ))]
Manager = Annotated[Caller, Depends(require_permission(Permission.ORGS_MANAGE))]
OrgPk = Annotated[int, Path(ge=1, le=2**31 - 1, title="Organisation number")]
Kind = Annotated[str, Field(pattern="^(" + "|".join(ORG_KINDS) + ")$", title="Kind", description=", ".join(ORG_KINDS))]


class OrgOut(BaseModel):
    """One organisation, listed after its parent (``depth`` 0 for the top of what the caller sees)."""

    pk: int = Field(title="Organisation number")
    code: str = Field(title="Code")
    name: str = Field(title="Name")
    kind: str = Field(title="Kind")
    parent_pk: int | None = Field(title="Parent number")
    depth: int = Field(title="Depth in the tree")


class OrgCreate(BaseModel):
    """A new organisation under a parent (only a district is a root)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    code: str = Field(min_length=1, max_length=100, pattern=r"^\S+$", title="Code", description="Unique, no spaces.")
    name: str = Field(min_length=1, max_length=200, title="Name", description="e.g. 柳树社区")
    kind: Kind
    parent_pk: int | None = Field(None, ge=1, title="Parent number")


class OrgUpdate(BaseModel):
    """What to change (fields left out stay)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(None, min_length=1, max_length=200, title="Name")
    kind: Kind | None = None
    parent_pk: int | None = Field(None, ge=1, title="Parent number", description="Move it under this one.")


def managed_orgs(session: Session, caller: Caller) -> frozenset[int] | None:
    """The organisations `caller` may change (None: all): an unlimited caller all, else its own subtree."""
    if caller.scope.unlimited:
        return None
    if caller.org_pk is None:
        return frozenset()
    return OrgTree.load(session).subtree(caller.org_pk)


def _fields(row: OrganisationRow) -> dict[str, object]:
    return {"code": row.code, "name": row.name, "kind": row.kind, "parent_pk": row.parent_pk}


def _visible(session: Session, caller: Caller, pk: int, lang: str) -> OrganisationRow:
    row = session.get(OrganisationRow, pk)
    if row is None or not caller.scope.allows(pk):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=t("people.orgs.none", lang, pk=pk))
    return row


def _check_managed(session: Session, caller: Caller, pk: int | None, lang: str) -> None:
    managed = managed_orgs(session, caller)
    if managed is not None and (pk is None or pk not in managed):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=t("people.orgs.not_managed", lang))


def _out(rows: list[OrganisationRow]) -> list[OrgOut]:
    pks = {row.pk for row in rows}
    children: dict[int | None, list[OrganisationRow]] = {}
    for row in rows:
        children.setdefault(row.parent_pk if row.parent_pk in pks else None, []).append(row)
    listed: list[OrgOut] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in sorted(children.get(parent, []), key=lambda r: r.code):
            assert row.pk is not None
            listed.append(OrgOut(depth=depth, **_fields(row), pk=row.pk))  # type: ignore[arg-type]
            walk(row.pk, depth + 1)

    walk(None, 0)
    return listed


@router.get("", response_model=list[OrgOut], responses=responses(401, 403), summary="The organisation tree")
def list_orgs(session: SessionDep, caller: Reader) -> list[OrgOut]:
    """The organisations in the caller's scope, each after its parent."""
    return _out(list(session.exec(scoped(select(OrganisationRow), caller.scope, OrganisationRow)).all()))


def _check_place(session: Session, kind: str, parent_pk: int | None, pk: int | None, lang: str) -> None:
    try:
        OrgTree.load(session).check_parent(kind, parent_pk, pk, lang)
    except ValueError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=t("people.orgs.misplaced", lang, problem=str(exc))
        ) from None


@router.post(
    "",
    response_model=OrgOut,
    status_code=201,
    responses=responses(401, 403, 404, 409, 422),
    summary="Create an organisation",
)
def create_org(body: OrgCreate, request: Request, session: SessionDep, caller: Manager) -> OrgOut:
    lang = request_language(request)
    if body.parent_pk is not None:
        _visible(session, caller, body.parent_pk, lang)
    _check_managed(session, caller, body.parent_pk, lang)
    _check_place(session, body.kind, body.parent_pk, None, lang)
    if session.exec(select(OrganisationRow).where(OrganisationRow.code == body.code)).first() is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=t("people.orgs.code_taken", lang, code=body.code))
    row = OrganisationRow(code=body.code, name=body.name.strip(), kind=body.kind, parent_pk=body.parent_pk)
    session.add(row)
    session.flush()
    record(session, caller, "org.create", "organisation", row.code, org_pk=row.pk, after=_fields(row))
    session.commit()
    session.refresh(row)
    return _out([row])[0]


@router.patch(
    "/{pk}", response_model=OrgOut, responses=responses(401, 403, 404, 422), summary="Rename or move an organisation"
)
def update_org(pk: OrgPk, body: OrgUpdate, request: Request, session: SessionDep, caller: Manager) -> OrgOut:
    lang = request_language(request)
    row = _visible(session, caller, pk, lang)
    _check_managed(session, caller, pk, lang)
    before = _fields(row)
    changes = body.model_dump(exclude_unset=True)
    kind = changes.get("kind") or row.kind
    parent_pk = changes.get("parent_pk", row.parent_pk)
    if "parent_pk" in changes and parent_pk is not None:
        _visible(session, caller, parent_pk, lang)
        _check_managed(session, caller, parent_pk, lang)
    _check_place(session, kind, parent_pk, pk, lang)
    if kind != row.kind:
        tree = OrgTree.load(session)
        for child in tree.children.get(pk, []):
            if kind not in PARENT_KINDS[tree.nodes[child].kind]:
                misfit = tree.nodes[child].kind
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    detail=t("people.orgs.children_misfit", lang, kind=kind_words(misfit, lang)),
                )
    if changes.get("name") is not None:
        row.name = changes["name"].strip()
    row.kind, row.parent_pk, row.updated_at = kind, parent_pk, utcnow()
    session.add(row)
    old, new = changed_fields(before, _fields(row))
    if new:
        record(session, caller, "org.update", "organisation", row.code, org_pk=row.pk, before=old, after=new)
    session.commit()
    session.refresh(row)
    return _out([row])[0]


MEMBER_WORDS = {
    "orgs": "people.orgs.member.orgs",
    "people": "people.orgs.member.people",
    "cameras": "people.orgs.member.cameras",
    "devices": "people.orgs.member.devices",
    "keys": "people.orgs.member.keys",
    "webhooks": "people.orgs.member.webhooks",
}


def _members(session: Session, pk: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    columns = {
        "orgs": col(OrganisationRow.parent_pk),
        "people": col(PersonRow.org_pk),
        "cameras": col(CameraRow.org_pk),
        "devices": col(DeviceRow.org_pk),
        "keys": col(ApiKeyRow.org_pk),
        "webhooks": col(WebhookRow.org_pk),
    }
    for what, column in columns.items():
        n = session.exec(select(func.count()).where(column == pk)).one()
        if n:
            counts[what] = int(n)
    return counts


@router.delete(
    "/{pk}", status_code=204, responses=responses(401, 403, 404, 409), summary="Delete an empty organisation"
)
def delete_org(pk: OrgPk, request: Request, session: SessionDep, caller: Manager) -> None:
    """Refused (409) while anything belongs to it: organisations under it, people, cameras, devices, keys, webhooks."""
    lang = request_language(request)
    row = _visible(session, caller, pk, lang)
    _check_managed(session, caller, pk, lang)
    if caller.org_pk == pk:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=t("people.orgs.own", lang))
    members = _members(session, pk)
    if members:
        what = t("people.orgs.member.join", lang).join(f"{t(MEMBER_WORDS[k], lang)} {n}" for k, n in members.items())
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=t("people.orgs.not_empty", lang, name=row.name, members=what)
        )
    record(session, caller, "org.delete", "organisation", row.code, org_pk=row.parent_pk, before=_fields(row))
    session.delete(row)
    session.commit()


class ImportOut(BaseModel):
    created: list[str] = Field(title="Created codes")
    updated: list[str] = Field(title="Updated codes")
    unchanged: list[str] = Field(title="Unchanged codes")


YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


@router.post(
    "/import",
    response_model=ImportOut,
    responses=responses(401, 403, 413, 422),
    summary="Import organisations from CSV or YAML (upsert by code)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}, "application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
async def import_orgs(request: Request, caller: Manager) -> ImportOut:
    """The body is the file itself: ``Content-Type: text/csv`` (code,name,kind,parent_code) or ``application/yaml``.
    Only an administrator of the whole system may import (a file may touch any part of the tree)."""
    lang = request_language(request)
    if not caller.scope.unlimited:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=t("people.orgs.import.whole_only", lang))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=t("people.orgs.import.not_utf8", lang)
        ) from None

    def run() -> ImportOut:
        with Session(request.app.state.runtime.engine) as session:
            result = import_text(session, text, yaml_format=content_type in YAML_TYPES, lang=lang)
            for action, codes in (("org.create", result.created), ("org.update", result.updated)):
                for code in codes:
                    row = session.exec(select(OrganisationRow).where(OrganisationRow.code == code)).one()
                    record(session, caller, action, "organisation", code, org_pk=row.pk, after=_fields(row))
            session.commit()
            return ImportOut(created=result.created, updated=result.updated, unchanged=result.unchanged)

    try:
        return await run_in_threadpool(run)
    except OrgImportError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
