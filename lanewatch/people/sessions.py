"""Sign-in sessions: a random cookie token per signed-in browser, kept only as its SHA-256.

A session ends when it was idle too long (sliding: every use moves ``last_seen_at``),
when it reaches its absolute end (``expires_at``, fixed at sign-in), at sign-out
(``revoked_at``), and for all of a person's other browsers when the password changes
or the person is disabled. The CSRF token is a second random value handed to the
page in a readable cookie; unsafe requests must echo it in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from lanewatch.config import SignInSettings
from lanewatch.store.people_tables import PersonRow, SignInRow
from lanewatch.store.tables import as_utc, utcnow

COOKIE = "lw_session"
CSRF_COOKIE = "lw_csrf"
CSRF_HEADER = "X-CSRF-Token"
SEEN_RESOLUTION = timedelta(minutes=1)  # last_seen_at is written at most this often per session


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Opened:
    """A new session's two secrets, for the cookies (never stored in plain)."""

    token: str
    csrf: str
    row: SignInRow


def open_session(
    session: Session,
    person: PersonRow,
    settings: SignInSettings,
    *,
    user_agent: str | None = None,
    address: str | None = None,
) -> Opened:
    """A new sign-in row for `person` (added to `session`, not committed)."""
    assert person.pk is not None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    row = SignInRow(
        token_hash=digest(token),
        csrf_hash=digest(csrf),
        person_pk=person.pk,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=settings.absolute_days),
        user_agent=(user_agent or "")[:300] or None,
        address=(address or "")[:64] or None,
    )
    session.add(row)
    return Opened(token, csrf, row)


def live(row: SignInRow, settings: SignInSettings, now: datetime) -> bool:
    """Whether the session may still be used at `now`."""
    if row.revoked_at is not None or as_utc(row.expires_at) <= now:
        return False
    return as_utc(row.last_seen_at) + timedelta(hours=settings.idle_hours) > now


def find_session(session: Session, token: str, settings: SignInSettings) -> tuple[SignInRow, PersonRow] | None:
    """The live session of a cookie token and its person (usable: not disabled), sliding its idle end."""
    row = session.exec(select(SignInRow).where(SignInRow.token_hash == digest(token))).first()
    now = utcnow()
    if row is None or not live(row, settings, now):
        return None
    person = session.get(PersonRow, row.person_pk)
    if person is None or person.disabled:
        return None
    if now - as_utc(row.last_seen_at) >= SEEN_RESOLUTION:
        row.last_seen_at = now
        session.add(row)
        session.commit()
        session.refresh(person)
    return row, person


def csrf_ok(row: SignInRow, header: str | None) -> bool:
    """Whether the request's X-CSRF-Token is this session's (compared in constant time)."""
    return bool(header) and hmac.compare_digest(digest(header or ""), row.csrf_hash)


def revoke(session: Session, row: SignInRow) -> None:
    row.revoked_at = utcnow()
    session.add(row)


def revoke_all(session: Session, person_pk: int, *, keep: int | None = None) -> None:
    """End every session of a person (but `keep`): after a password change, a reset or disabling."""
    statement = (
        update(SignInRow)
        .where(col(SignInRow.person_pk) == person_pk, col(SignInRow.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    if keep is not None:
        statement = statement.where(col(SignInRow.pk) != keep)
    session.exec(statement)
