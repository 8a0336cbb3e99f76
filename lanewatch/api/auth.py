"""Who is calling: an API key (machines) or a signed-in person (browsers), and the dependencies routes declare.

A key is ``lw_<random>``; only its SHA-256 is stored, with the first
characters kept as ``prefix`` so a person can tell keys apart in a list.
A key in a header wins; without one, the ``lw_session`` cookie names a
person's sign-in (`lanewatch.people.sessions`), and every unsafe request made
with the cookie must echo the CSRF token in ``X-CSRF-Token`` (a key needs
none: a browser never sends one by itself). A person who still has to change
a given password may only reach the routes that let them do so.
Roles are ordered viewer < operator < admin: a route that needs an operator
accepts an admin too. A ``device`` key stands outside that order: it may
only deliver alarm messages.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from lanewatch.api.deps import SessionDep
from lanewatch.api.errors import ApiError
from lanewatch.config import SignInSettings
from lanewatch.people import sessions
from lanewatch.people.accounts import must_change_password
from lanewatch.people.caller import Caller
from lanewatch.people.orgs import tree_of_text, tree_text
from lanewatch.people.roles import Permission, allows
from lanewatch.people.scope import Scope
from lanewatch.store.people_tables import PersonRow, SignInRow
from lanewatch.store.tables import ApiKeyRow, as_utc, utcnow
from lanewatch.words import negotiate, t

ROLES = ("viewer", "operator", "admin")
DEVICE_ROLE = "device"
"""A sensor gateway's key: it may only deliver alarm messages (`POST /api/alarms/ingest`), read nothing."""
ALL_ROLES = (*ROLES, DEVICE_ROLE)
KEY_PREFIX = "lw_"
PREFIX_LENGTH = 12  # "lw_" + 9 characters of the random part: enough to tell keys apart, useless to guess
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most this often per key

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer lw_...`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: lw_...`")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_role(role: str) -> str:
    if role not in ALL_ROLES:
        raise ValueError(f"unknown role {role!r}: use one of {', '.join(ALL_ROLES)}")
    return role


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WHILE_MUST_CHANGE = frozenset({("GET", "/api/me"), ("POST", "/api/me/password"), ("DELETE", "/api/session")})
"""What a person with a given (temporary) password may do before choosing their own."""


def new_key_row(role: str, name: str, org_pk: int | None = None) -> tuple[ApiKeyRow, str]:
    """A fresh key and the row that stores its hash (not yet added to a session); `org_pk` scopes it."""
    if not name.strip() or len(name) > 200:
        raise ValueError("the key's name must be 1 to 200 characters, not only spaces")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKeyRow(name=name, role=check_role(role), prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key), org_pk=org_pk)
    return row, key


def create_api_key(engine: Engine, role: str, name: str, org_pk: int | None = None) -> str:
    """Store a new key with `role` and `name` (seeing only `org_pk`'s subtree when given); returns the
    plaintext key (shown once, never stored)."""
    row, key = new_key_row(role, name, org_pk)
    with Session(engine) as session:
        session.add(row)
        session.commit()
    return key


def _unauthorized(key: str) -> ApiError:
    """A 401 worded in the request's language (the errors handler fills `key` in)."""
    return ApiError(status.HTTP_401_UNAUTHORIZED, key, headers={"WWW-Authenticate": 'Bearer realm="lanewatch"'})


def sign_in_settings(request: Request) -> SignInSettings:
    """The service's sign-in settings (`lanewatch serve` puts them on the app; defaults otherwise)."""
    settings = getattr(request.app.state, "sign_in", None)
    return settings if isinstance(settings, SignInSettings) else SignInSettings()


def request_language(request: Request, person: PersonRow | None = None) -> str:
    """The language to answer in: the person's setting (`person`, else the signed-in one), else the browser's."""
    preferred = person.language if person is not None else getattr(request.state, "language", None)
    return negotiate(request.headers.get("accept-language"), preferred)


def _person_caller(request: Request, session: SessionDep, token: str) -> Caller:
    found = sessions.find_session(session, token, sign_in_settings(request))
    if found is None:
        raise _unauthorized("people.signin.expired")
    row, person = found
    lang = request_language(request, person)
    if request.method in UNSAFE_METHODS and not sessions.csrf_ok(row, request.headers.get(sessions.CSRF_HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=t("people.signin.csrf", lang))
    if must_change_password(person) and (request.method, request.url.path) not in WHILE_MUST_CHANGE:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=t("people.signin.must_change", lang))
    assert person.pk is not None
    request.state.sign_in = row
    request.state.language = person.language  # errors.py answers in it (else Accept-Language)
    caller = Caller(
        pk=person.pk,
        name=person.username,
        role=person.role,
        kind="person",
        org_pk=person.org_pk,
        scope=Scope.of_org(session, person.org_pk),
        language=person.language,
    )
    return caller  # the read's transaction goes on into the route's (see `authenticate`)


def current_sign_in(request: Request) -> SignInRow | None:
    """The sign-in row `authenticate` found for this request (None for a key)."""
    row = getattr(request.state, "sign_in", None)
    return row if isinstance(row, SignInRow) else None


def authenticate(
    session: SessionDep,
    bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
    header_key: str | None = Security(_header),
    *,
    request: Request = None,  # type: ignore[assignment]  # FastAPI always passes it; a direct call may not
) -> Caller:
    """The caller behind the request's key, else behind its sign-in cookie, or 401.

    Called directly (not as a dependency) without `request`, only keys count.

    The check's read stays in the request's transaction, which the route goes on with: ending it here
    cost three database round trips per request (a ROLLBACK, then the route's pool ping and BEGIN), more
    than the route's own query. Holding the connection meanwhile is safe: the request gate keeps the
    requests served at once below the pool's size, and a live event stream closes its session first.
    """
    key = bearer.credentials if bearer is not None else header_key
    if not key:
        token = request.cookies.get(sessions.COOKIE) if request is not None else None
        if token:
            return _person_caller(request, session, token)
        raise _unauthorized("api.auth.missing_key")
    # One statement for the key and the organisation tree its scope comes from (plain columns: no ORM
    # object is made), as every request of every API consumer starts here.
    row = session.connection().execute(_KEY_AND_TREE, {"key_hash": hash_key(key)}).first()  # past the ORM's bookkeeping
    if row is None:
        raise _unauthorized("api.auth.invalid_key")
    if row.revoked_at is not None:
        raise _unauthorized("api.auth.revoked_key")
    scope = Scope.in_tree(tree_of_text(row.tree), row.org_pk)
    caller = Caller(pk=row.pk, name=row.name, role=row.role, kind="key", org_pk=row.org_pk, scope=scope)
    now = utcnow()
    last_used = as_utc(row.last_used_at)
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        session.execute(update(ApiKeyRow).where(col(ApiKeyRow.pk) == row.pk).values(last_used_at=now))
        session.commit()
    return caller


_KEY_AND_TREE = sa_select(
    col(ApiKeyRow.pk),
    col(ApiKeyRow.name),
    col(ApiKeyRow.role),
    col(ApiKeyRow.org_pk),
    col(ApiKeyRow.revoked_at),
    col(ApiKeyRow.last_used_at),
    tree_text().label("tree"),
).where(col(ApiKeyRow.key_hash) == bindparam("key_hash"))
"""Built once, the key's hash bound at each call: SQLAlchemy keeps a built statement's cache key, and making
this one afresh (with its subquery) for each request cost more than running it."""


def require(role: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting keys with `role` or a higher one (403 otherwise); device keys never pass."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    needed = ROLES.index(role)

    async def dependency(caller: Caller = Depends(authenticate)) -> Caller:  # async: no thread for a comparison
        if caller.kind == "person":
            return _person_meets(caller, role)
        if caller.role not in ROLES or ROLES.index(caller.role) < needed:
            raise ApiError(
                status.HTTP_403_FORBIDDEN, "api.auth.needs_role_key", role=role, name=caller.name, has=caller.role
            )
        return caller

    dependency.__name__ = f"require_{role}"
    return dependency


PERSON_EQUIVALENT = {"viewer": (Permission.READ,), "operator": (Permission.VIOLATIONS_HANDLE, Permission.ALARMS_HANDLE)}


def _person_meets(caller: Caller, role: str) -> Caller:
    """A person on a route still declared by key role: viewer means reading, operator handling, admin admin."""
    wanted = PERSON_EQUIVALENT.get(role)
    ok = caller.role == "admin" if wanted is None else any(caller.can(p) for p in wanted)
    if not ok:
        raise ApiError(status.HTTP_403_FORBIDDEN, "api.auth.needs_role", role=role, name=caller.name, has=caller.role)
    return caller


def require_one_of(*roles: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting exactly these roles (403 otherwise)."""
    allowed = tuple(check_role(r) for r in roles)

    async def dependency(caller: Caller = Depends(authenticate)) -> Caller:  # async: no thread for a comparison
        if caller.role not in allowed:
            raise ApiError(
                status.HTTP_403_FORBIDDEN,
                "api.auth.needs_one_of",
                roles=", ".join(allowed),
                name=caller.name,
                has=caller.role,
            )
        return caller

    dependency.__name__ = f"require_{'_or_'.join(allowed)}"
    return dependency


def require_permission(permission: Permission) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting callers whose role may do `permission` (403 otherwise).

    Routes declare what they do, not which roles: the table of roles lives in
    `lanewatch.people.roles`, so adding a role never means editing routers.
    """

    async def dependency(caller: Caller = Depends(authenticate)) -> Caller:
        return permitted(caller, permission)

    # async: FastAPI runs a sync dependency in a worker thread, about 0.2 ms of CPU for a comparison
    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


def permitted(caller: Caller, permission: Permission) -> Caller:
    """`caller` if its role may do `permission`, else 403."""
    if not allows(caller.role, permission):
        raise ApiError(
            status.HTTP_403_FORBIDDEN,
            "api.auth.may_not",
            name=caller.name,
            role=caller.role,
            permission=permission.value,
        )
    return caller


Viewer = Annotated[Caller, Depends(require("viewer"))]
Operator = Annotated[Caller, Depends(require("operator"))]
Admin = Annotated[Caller, Depends(require("admin"))]
Ingester = Annotated[Caller, Depends(require_one_of(DEVICE_ROLE, "operator", "admin"))]
