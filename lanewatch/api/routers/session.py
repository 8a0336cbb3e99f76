"""Signing in and out, and the caller's own account: /api/session and /api/me.

`POST /api/session` checks the password (argon2, with the temporary lockout)
and sets two cookies: ``lw_session`` (HttpOnly: scripts never see it) and
``lw_csrf`` (readable: the pages echo it in ``X-CSRF-Token``). Both are
SameSite=Lax, and Secure when the request came over HTTPS (or, with
``sign_in.trust_forwarded_proto``, through a proxy that says so). One sign-in
serves every page and tab of the browser. Besides the per-person lockout, too many
failures from one address (any usernames) make that address wait (429); behind that
same trusted proxy the address is the one it appended to ``X-Forwarded-For``. Every sign-in, failed sign-in,
sign-out and password change is in the audit.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from lanewatch.api.auth import authenticate, current_sign_in, request_language, sign_in_settings
from lanewatch.api.deps import SessionDep, StrictJSONRoute
from lanewatch.api.errors import ErrorBody, responses
from lanewatch.people import accounts, sessions
from lanewatch.people.audit import record
from lanewatch.people.caller import Caller
from lanewatch.people.passwords import PasswordRuleError, verify
from lanewatch.people.roles import PERMISSIONS
from lanewatch.people.throttle import AddressThrottle
from lanewatch.store.people_tables import OrganisationRow, PersonRow
from lanewatch.store.tables import ApiKeyRow, utcnow
from lanewatch.words import t

router = APIRouter(tags=["session"], route_class=StrictJSONRoute)
CallerDep = Annotated[Caller, Depends(authenticate)]


class SignIn(BaseModel):
    """A username and password."""

    model_config = ConfigDict(extra="forbid", strict=True)

    username: str = Field(min_length=1, max_length=100, title="Username")
    password: str = Field(min_length=1, max_length=1000, title="Password")


class OrgBrief(BaseModel):
    pk: int = Field(title="Organisation number")
    code: str = Field(title="Code")
    name: str = Field(title="Name")
    kind: str = Field(title="Kind", description="district, street, community, enterprise or agency.")


class Me(BaseModel):
    """Who the caller is, as the pages need it: what to show and which actions to offer."""

    kind: Literal["person", "key"] = Field(title="Kind", description="A signed-in person or an API key.")
    name: str = Field(title="Name", description="The username, or the key's name.")
    display_name: str = Field(title="Display name")
    role: str = Field(title="Role")
    permissions: list[str] = Field(title="Permissions", description="What the role may do (`can()` in the pages).")
    org: OrgBrief | None = Field(title="Organisation", description="None: a key for the whole system.")
    language: str | None = Field(
        title="Language", description="The person's setting (zh-CN or en); None: the browser's."
    )
    must_change_password: bool = Field(title="Must change the password", description="A given password: choose one.")


class MeUpdate(BaseModel):
    """The caller's own settings."""

    model_config = ConfigDict(extra="forbid", strict=True)

    language: Literal["zh-CN", "en"] | None = Field(title="Language", description="None: follow the browser.")


class PasswordChange(BaseModel):
    """The current password and the new one."""

    model_config = ConfigDict(extra="forbid", strict=True)

    old_password: str = Field(min_length=1, max_length=1000, title="Current password")
    new_password: str = Field(min_length=1, max_length=1000, title="New password")


def _org(session: SessionDep, org_pk: int | None) -> OrgBrief | None:
    row = session.get(OrganisationRow, org_pk) if org_pk is not None else None
    if row is None or row.pk is None:
        return None
    return OrgBrief(pk=row.pk, code=row.code, name=row.name, kind=row.kind)


def _permissions(role: str) -> list[str]:
    return sorted(p.value for p in PERMISSIONS.get(role, frozenset()))


def me_of_person(session: SessionDep, person: PersonRow) -> Me:
    return Me(
        kind="person",
        name=person.username,
        display_name=person.display_name,
        role=person.role,
        permissions=_permissions(person.role),
        org=_org(session, person.org_pk),
        language=person.language,
        must_change_password=accounts.must_change_password(person),
    )


def _me(session: SessionDep, caller: Caller) -> Me:
    if caller.kind == "person":
        person = session.get(PersonRow, caller.pk)
        if person is not None:
            return me_of_person(session, person)
    key = session.get(ApiKeyRow, caller.pk)
    return Me(
        kind="key",
        name=caller.name,
        display_name=caller.name,
        role=caller.role,
        permissions=_permissions(caller.role),
        org=_org(session, key.org_pk if key is not None else None),
        language=None,
        must_change_password=False,
    )


def _secure(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return sign_in_settings(request).trust_forwarded_proto and forwarded == "https"


def client_address(request: Request) -> str | None:
    """The sign-in's source address: behind a trusted proxy (``trust_forwarded_proto``) the last
    ``X-Forwarded-For`` entry, the one that proxy added (earlier ones the client may have made up)."""
    if sign_in_settings(request).trust_forwarded_proto:
        forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return request.client.host if request.client is not None else None


_THROTTLE_LOCK = threading.Lock()


def address_throttle(request: Request) -> AddressThrottle:
    """The app's count of failed sign-ins per address (made on first use)."""
    with _THROTTLE_LOCK:
        throttle = getattr(request.app.state, "sign_in_throttle", None)
        if not isinstance(throttle, AddressThrottle):
            throttle = request.app.state.sign_in_throttle = AddressThrottle()
        return throttle


def _address_wait(lang: str, until: datetime) -> HTTPException:
    seconds = max(1, int((until - utcnow()).total_seconds()))
    minutes = max(1, -(-seconds // 60))
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=t("people.signin.address_wait", lang, minutes=minutes),
        headers={"Retry-After": str(seconds)},
    )


def _set_cookies(request: Request, response: Response, opened: sessions.Opened) -> None:
    max_age = int(sign_in_settings(request).absolute_days * 86_400)
    secure = _secure(request)
    for name, value, httponly in ((sessions.COOKIE, opened.token, True), (sessions.CSRF_COOKIE, opened.csrf, False)):
        response.set_cookie(name, value, max_age=max_age, path="/", samesite="lax", secure=secure, httponly=httponly)


def _clear_cookies(request: Request, response: Response) -> None:
    for name in (sessions.COOKIE, sessions.CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="lax", secure=_secure(request))


def _caller_of(person: PersonRow) -> Caller:
    assert person.pk is not None
    return Caller(pk=person.pk, name=person.username, role=person.role, kind="person", org_pk=person.org_pk)


@router.post(
    "/api/session",
    response_model=Me,
    responses={
        **responses(401, 422),
        429: {"model": ErrorBody, "description": "Too many failed sign-ins from this address: wait (Retry-After)."},
    },
    summary="Sign in with a username and password (sets the session cookies)",
)
def sign_in(body: SignIn, request: Request, response: Response, session: SessionDep) -> Me:
    """Wrong username or password, a disabled or a locked account: 401 with a readable reason (locked: with
    ``Retry-After``). Five wrong passwords in a row lock the account for 15 minutes; 20 failures from one
    address within 15 minutes make that address wait 15 minutes (429, ``Retry-After``)."""
    lang = request_language(request)
    address = client_address(request)
    throttle = address_throttle(request)
    waiting = throttle.blocked_until(address)
    if waiting is not None:
        _audit_failure(session, body.username, "address_wait", address)
        raise _address_wait(lang, waiting)
    try:
        person = accounts.check_sign_in(session, body.username, body.password, lang)
    except accounts.SignInRefused as refused:
        _audit_failure(session, body.username, refused.reason, address)
        blocked = throttle.failed(address)
        if blocked is not None:
            raise _address_wait(lang, blocked) from None
        headers = {"WWW-Authenticate": 'Bearer realm="lanewatch"'}
        if refused.locked_until is not None:
            headers["Retry-After"] = str(max(1, int((refused.locked_until - utcnow()).total_seconds())))
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=refused.message, headers=headers) from None
    previous = request.cookies.get(sessions.COOKIE)
    if previous:  # this browser signed in before: that sign-in ends (one per browser)
        old = sessions.find_session(session, previous, sign_in_settings(request))
        if old is not None:
            sessions.revoke(session, old[0])
    opened = sessions.open_session(
        session, person, sign_in_settings(request), user_agent=request.headers.get("user-agent"), address=address
    )
    record(session, _caller_of(person), "session.sign_in", "person", person.username, org_pk=person.org_pk)
    session.commit()
    session.refresh(person)
    _set_cookies(request, response, opened)
    return me_of_person(session, person)


def _audit_failure(session: SessionDep, username: str, reason: str, address: str | None) -> None:
    """A failed sign-in in the audit, committed now: the attempt counts even though the answer is an error."""
    found = accounts.find(session, username)
    record(
        session,
        None,
        "session.sign_in_failed",
        "person",
        username[:200],
        org_pk=found.org_pk if found is not None else None,
        after={"reason": reason, "address": address},
    )
    session.commit()


@router.delete("/api/session", status_code=204, responses=responses(401), summary="Sign out (this browser)")
def sign_out(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """Ends this browser's sign-in and clears its cookies; other browsers stay signed in."""
    row = current_sign_in(request)
    if row is not None:
        sessions.revoke(session, row)
        record(session, caller, "session.sign_out", "person", caller.name, org_pk=caller.org_pk)
        session.commit()
    response = Response(status_code=204)
    _clear_cookies(request, response)
    return response


@router.get("/api/me", response_model=Me, responses=responses(401), summary="Who is calling")
def me(request: Request, session: SessionDep, caller: CallerDep) -> Me:
    """The signed-in person (or the key): name, role, permissions, organisation and language."""
    return _me(session, caller)


@router.patch("/api/me", response_model=Me, responses=responses(401, 403, 422), summary="Change my language")
def update_me(body: MeUpdate, request: Request, session: SessionDep, caller: CallerDep) -> Me:
    if caller.kind != "person":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=t("people.me.key_has_no_settings", request_language(request))
        )
    person = session.get(PersonRow, caller.pk)
    assert person is not None
    person.language = body.language
    person.updated_at = utcnow()
    session.add(person)
    session.commit()
    session.refresh(person)
    return me_of_person(session, person)


@router.post(
    "/api/me/password",
    response_model=Me,
    responses=responses(401, 403, 422),
    summary="Change my password (signs out my other browsers)",
)
def change_password(body: PasswordChange, request: Request, session: SessionDep, caller: CallerDep) -> Me:
    """The current password is required; the new one must meet the rules (at least 10 characters, not the
    username). Every other sign-in of the person ends; this one stays."""
    lang = request_language(request)
    person = session.get(PersonRow, caller.pk) if caller.kind == "person" else None
    if person is None or person.pk is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=t("people.me.key_has_no_settings", lang))
    if not verify(person.password_hash, body.old_password):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=t("people.password.old_wrong", lang))
    if body.new_password == body.old_password:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=t("people.password.same", lang))
    try:
        accounts.set_password(session, person, body.new_password, by_owner=True, lang=lang)
    except PasswordRuleError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
    row = current_sign_in(request)
    sessions.revoke_all(session, person.pk, keep=row.pk if row is not None else None)
    record(session, caller, "person.password_change", "person", person.username, org_pk=person.org_pk)
    session.commit()
    session.refresh(person)
    return me_of_person(session, person)
