"""People's accounts: create, check a sign-in (with the temporary lockout), change and reset passwords.

The lockout is per person: the fifth wrong password in a row locks the account
for 15 minutes (`LOCK_AFTER`, `LOCK_FOR`); a right password afterwards resets
the count. A wrong username costs the same argon2 time as a wrong password.

"Must change the password" needs no column of its own: a password nobody but its
owner chose (the first administrator's, one an administrator set or reset) is
stored with ``password_changed_at == created_at``; the owner's own change moves
``password_changed_at`` on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from lanewatch.people import passwords
from lanewatch.people.roles import check_person_role
from lanewatch.store.people_tables import OrganisationRow, PersonRow
from lanewatch.store.tables import as_utc, utcnow
from lanewatch.words import t

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@\-]{0,99}")


class AccountError(ValueError):
    """Bad input for an account (unknown organisation, taken username); the message is for people."""


@dataclass(frozen=True, slots=True)
class SignInRefused(Exception):
    """Why a sign-in failed: ``reason`` is wrong (username or password), disabled or locked."""

    reason: str
    message: str
    locked_until: datetime | None = None


def check_username(username: str, lang: str | None = None) -> str:
    if not USERNAME.fullmatch(username):
        raise AccountError(t("people.account.bad_username", lang))
    return username


def must_change_password(person: PersonRow) -> bool:
    return as_utc(person.password_changed_at) == as_utc(person.created_at)


def find(session: Session, username: str) -> PersonRow | None:
    return session.exec(select(PersonRow).where(PersonRow.username == username)).first()


def create(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    org_pk: int,
    display_name: str | None = None,
    must_change: bool = True,
    lang: str | None = None,
) -> PersonRow:
    """A new person (added to `session`, not committed). Rules are checked before anything is hashed."""
    check_username(username, lang)
    try:
        check_person_role(role)
    except ValueError as exc:
        raise AccountError(t("people.account.bad_role", lang, role=role, roles=str(exc).split(": ", 1)[-1])) from None
    if session.get(OrganisationRow, org_pk) is None:
        raise AccountError(t("people.account.no_org", lang, org=org_pk))
    if find(session, username) is not None:
        raise AccountError(t("people.account.taken", lang, username=username))
    passwords.check_rules(password, username, lang)
    now = utcnow()
    person = PersonRow(
        username=username,
        display_name=(display_name or "").strip() or username,
        password_hash=passwords.hash_password(password),
        role=role,
        org_pk=org_pk,
        created_at=now,
        updated_at=now,
        password_changed_at=now if must_change else now + timedelta(microseconds=1),
    )
    session.add(person)
    return person


def check_sign_in(session: Session, username: str, password: str, lang: str | None = None) -> PersonRow:
    """The person if `password` is right and the account usable; SignInRefused otherwise.

    Failed attempts are counted on the row; the caller commits (a refusal's count too).
    """
    person = find(session, username)
    now = utcnow()
    locked_until = as_utc(person.locked_until) if person is not None else None
    if person is not None and locked_until is not None and locked_until > now:
        passwords.verify(None, password)  # the same time as any other refusal
        raise SignInRefused(
            "locked", t("people.signin.locked", lang, minutes=_minutes(locked_until - now)), locked_until
        )
    right = passwords.verify(person.password_hash if person is not None else None, password)
    if person is None:
        raise SignInRefused("wrong", t("people.signin.wrong", lang))
    if not right:
        person.failed_attempts += 1
        if person.failed_attempts >= LOCK_AFTER:
            person.failed_attempts = 0
            person.locked_until = now + LOCK_FOR
            session.add(person)
            minutes = _minutes(LOCK_FOR)
            raise SignInRefused("locked", t("people.signin.locked", lang, minutes=minutes), person.locked_until)
        session.add(person)
        left = LOCK_AFTER - person.failed_attempts
        raise SignInRefused("wrong", t("people.signin.wrong_left", lang, left=left))
    if person.disabled:
        raise SignInRefused("disabled", t("people.signin.disabled", lang))
    person.failed_attempts = 0
    person.locked_until = None
    if passwords.needs_rehash(person.password_hash):
        person.password_hash = passwords.hash_password(password)
    session.add(person)
    return person


def _minutes(span: timedelta) -> int:
    return max(1, -(-int(span.total_seconds()) // 60))


def set_password(session: Session, person: PersonRow, new: str, *, by_owner: bool, lang: str | None = None) -> None:
    """Store `new` (rules checked). Set by someone else, the owner must change it at the next sign-in."""
    passwords.check_rules(new, person.username, lang)
    now = utcnow()
    person.password_hash = passwords.hash_password(new)
    person.password_changed_at = now if by_owner else as_utc(person.created_at)
    person.failed_attempts = 0
    person.locked_until = None
    person.updated_at = now
    session.add(person)


def summary(person: PersonRow) -> dict[str, Any]:
    """The fields the audit records of a person (never the hash)."""
    return {
        "username": person.username,
        "display_name": person.display_name,
        "role": person.role,
        "org_pk": person.org_pk,
        "disabled": person.disabled,
        "language": person.language,
    }
