"""/api/people: who may sign in. Administrators list, create, change (role, organisation, disable, reset the
password) and delete people; one whose organisation is not the root manages only its own subtree, and
nobody gives, or changes, a role that may do more than their own. A change holds at the person's next
request: the role and organisation are read from the person's row on every request, not kept in the sign-in.

A password set or reset here is a temporary one: the person must choose their
own at the next sign-in. Disabling, a reset and a delete sign the person out
everywhere. Every change is in the audit (never the password).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, delete, select

from lanewatch.api.auth import request_language, require_permission
from lanewatch.api.deps import SessionDep, StrictJSONRoute
from lanewatch.api.errors import responses
from lanewatch.api.routers.orgs import managed_orgs
from lanewatch.people import accounts, sessions
from lanewatch.people.audit import changed_fields, record
from lanewatch.people.caller import Caller
from lanewatch.people.passwords import PasswordRuleError
from lanewatch.people.roles import PERSON_ROLES, Permission, within
from lanewatch.people.scope import scoped
from lanewatch.store.people_tables import OrganisationRow, PersonRow, SignInRow
from lanewatch.store.tables import as_utc, utcnow
from lanewatch.words import t

router = APIRouter(prefix="/people", tags=["people"], route_class=StrictJSONRoute)
Manager = Annotated[Caller, Depends(require_permission(Permission.PEOPLE_MANAGE))]
PersonPk = Annotated[int, Path(ge=1, le=2**31 - 1, title="Person number")]
Role = Literal["admin", "duty_operator", "property_manager", "viewer", "enterprise", "maintainer"]
assert set(Role.__args__) == set(PERSON_ROLES)  # type: ignore[attr-defined]


class PersonOut(BaseModel):
    """A person as the administrators' list shows them (never the password hash)."""

    pk: int = Field(title="Person number")
    username: str = Field(title="Username")
    display_name: str = Field(title="Display name")
    role: str = Field(title="Role")
    org_pk: int = Field(title="Organisation number")
    org_code: str = Field(title="Organisation code")
    org_name: str = Field(title="Organisation name")
    language: str | None = Field(title="Language")
    disabled: bool = Field(title="Disabled")
    locked_until: datetime | None = Field(title="Locked until", description="After repeated wrong passwords.")
    must_change_password: bool = Field(title="Must change the password")
    created_at: datetime = Field(title="Created at")


class PersonCreate(BaseModel):
    """A new person with a temporary password (to be changed at the first sign-in)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    username: str = Field(min_length=1, max_length=100, title="Username", description="Letters, digits, _ . @ -")
    display_name: str | None = Field(None, max_length=200, title="Display name", description="e.g. 张三")
    role: Role = Field(title="Role")
    org: str = Field(min_length=1, max_length=100, title="Organisation code")
    password: str = Field(min_length=1, max_length=1000, title="Temporary password")


class PersonUpdate(BaseModel):
    """What to change (fields left out stay). ``password`` resets it (temporary: changed at the next sign-in)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    display_name: str | None = Field(None, min_length=1, max_length=200, title="Display name")
    role: Role | None = Field(None, title="Role")
    org: str | None = Field(None, min_length=1, max_length=100, title="Organisation code")
    disabled: bool | None = Field(None, title="Disabled")
    password: str | None = Field(None, min_length=1, max_length=1000, title="New temporary password")


def _orgs(session: Session) -> dict[int, OrganisationRow]:
    return {row.pk: row for row in session.exec(select(OrganisationRow)) if row.pk is not None}


def _out(person: PersonRow, orgs: dict[int, OrganisationRow]) -> PersonOut:
    assert person.pk is not None
    org = orgs.get(person.org_pk)
    locked = as_utc(person.locked_until)
    return PersonOut(
        pk=person.pk,
        username=person.username,
        display_name=person.display_name,
        role=person.role,
        org_pk=person.org_pk,
        org_code=org.code if org else "",
        org_name=org.name if org else "",
        language=person.language,
        disabled=person.disabled,
        locked_until=locked if locked is not None and locked > utcnow() else None,
        must_change_password=accounts.must_change_password(person),
        created_at=as_utc(person.created_at),
    )


def _managed_org(session: Session, caller: Caller, code: str, lang: str) -> int:
    """The organisation a person may be put in by `caller` (404 for one the caller cannot manage or see)."""
    row = session.exec(select(OrganisationRow).where(OrganisationRow.code == code)).first()
    managed = managed_orgs(session, caller)
    if row is None or row.pk is None or (managed is not None and row.pk not in managed):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=t("people.account.no_org_code", lang, code=code))
    return row.pk


def _person(session: Session, caller: Caller, pk: int, lang: str) -> PersonRow:
    person = session.get(PersonRow, pk)
    managed = managed_orgs(session, caller)
    if person is None or (managed is not None and person.org_pk not in managed):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=t("people.people.none", lang, pk=pk))
    return person


def _check_ceiling(caller: Caller, role: str, lang: str) -> None:
    """403 unless `role` is within the caller's own: nobody raises anyone (nor changes anyone) above themselves."""
    if not within(role, caller.role):
        mine = t(f"people.role.{caller.role}", lang) if caller.role in PERSON_ROLES else caller.role
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=t("people.people.above_you", lang, role=mine))


@router.get("", response_model=list[PersonOut], responses=responses(401, 403), summary="List people")
def list_people(session: SessionDep, caller: Manager) -> list[PersonOut]:
    managed = managed_orgs(session, caller)
    query = select(PersonRow).order_by(col(PersonRow.username))
    if managed is not None:
        query = query.where(col(PersonRow.org_pk).in_(managed))
    query = scoped(query, caller.scope, PersonRow)
    orgs = _orgs(session)
    return [_out(person, orgs) for person in session.exec(query)]


@router.post(
    "", response_model=PersonOut, status_code=201, responses=responses(401, 403, 404, 409, 422), summary="Add a person"
)
def create_person(body: PersonCreate, request: Request, session: SessionDep, caller: Manager) -> PersonOut:
    lang = request_language(request)
    _check_ceiling(caller, body.role, lang)
    org_pk = _managed_org(session, caller, body.org, lang)
    try:
        person = accounts.create(
            session,
            username=body.username,
            password=body.password,
            role=body.role,
            org_pk=org_pk,
            display_name=body.display_name,
            must_change=True,
            lang=lang,
        )
        session.flush()
    except accounts.AccountError as exc:
        code = (
            status.HTTP_409_CONFLICT if accounts.find(session, body.username) else status.HTTP_422_UNPROCESSABLE_CONTENT
        )
        raise HTTPException(code, detail=str(exc)) from None
    except PasswordRuleError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
    record(session, caller, "person.create", "person", person.username, org_pk=org_pk, after=accounts.summary(person))
    session.commit()
    session.refresh(person)
    return _out(person, _orgs(session))


@router.patch(
    "/{pk}", response_model=PersonOut, responses=responses(401, 403, 404, 409, 422), summary="Change a person"
)
def update_person(
    pk: PersonPk, body: PersonUpdate, request: Request, session: SessionDep, caller: Manager
) -> PersonOut:
    lang = request_language(request)
    person = _person(session, caller, pk, lang)
    assert person.pk is not None
    mine = caller.kind == "person" and caller.pk == person.pk
    if mine and (body.role not in (None, person.role) or body.disabled or body.org is not None):
        raise HTTPException(status.HTTP_409_CONFLICT, detail=t("people.people.not_yourself", lang))
    for role in (person.role, body.role or person.role):
        _check_ceiling(caller, role, lang)
    before = accounts.summary(person)
    if body.display_name is not None:
        person.display_name = body.display_name.strip() or person.username
    if body.role is not None:
        person.role = body.role
    if body.org is not None:
        person.org_pk = _managed_org(session, caller, body.org, lang)
    signed_out = False
    if body.disabled is not None:
        person.disabled = body.disabled
        signed_out = body.disabled
    if body.password is not None:
        try:
            accounts.set_password(session, person, body.password, by_owner=False, lang=lang)
        except PasswordRuleError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
        signed_out = True
        record(session, caller, "person.password_reset", "person", person.username, org_pk=person.org_pk)
    if signed_out:
        sessions.revoke_all(session, person.pk)
    person.updated_at = utcnow()
    session.add(person)
    old, new = changed_fields(before, accounts.summary(person))
    if new:
        record(session, caller, "person.update", "person", person.username, org_pk=person.org_pk, before=old, after=new)
    session.commit()
    session.refresh(person)
    return _out(person, _orgs(session))


@router.delete("/{pk}", status_code=204, responses=responses(401, 403, 404, 409), summary="Delete a person")
def delete_person(pk: PersonPk, request: Request, session: SessionDep, caller: Manager) -> None:
    """Their sign-ins go with them; the audit keeps what they did (by name)."""
    lang = request_language(request)
    person = _person(session, caller, pk, lang)
    if caller.kind == "person" and caller.pk == person.pk:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=t("people.people.not_yourself", lang))
    _check_ceiling(caller, person.role, lang)
    record(
        session,
        caller,
        "person.delete",
        "person",
        person.username,
        org_pk=person.org_pk,
        before=accounts.summary(person),
    )
    session.exec(delete(SignInRow).where(col(SignInRow.person_pk) == person.pk))
    session.delete(person)
    session.commit()
