"""Passwords: argon2id hashes (argon2-cffi), the rules a new password must meet, and a constant-time miss.

Only the hash is ever stored. A sign-in for a username nobody has still runs one
verification against a throw-away hash, so the answer takes as long as a wrong
password for a real person: the timing does not tell which usernames exist.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lanewatch.words import t

MIN_LENGTH = 10
MAX_LENGTH = 200  # argon2 takes any length; this only stops a megabyte "password" costing CPU

_hasher = PasswordHasher()


class PasswordRuleError(ValueError):
    """A new password that does not meet the rules; the message says which rule, in the deployment's language."""


def check_rules(password: str, username: str, lang: str | None = None) -> None:
    """PasswordRuleError unless `password` is 10–200 characters, not only spaces, and not the username."""
    if len(password) < MIN_LENGTH or not password.strip():
        raise PasswordRuleError(t("people.password.too_short", lang, min=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise PasswordRuleError(t("people.password.too_long", lang, max=MAX_LENGTH))
    if password.strip().casefold() == username.strip().casefold():
        raise PasswordRuleError(t("people.password.is_username", lang))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _hasher.hash("decoy password that nobody has")


def verify(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (no such person) it spends the same time and answers False."""
    try:
        _hasher.verify(password_hash or _decoy_hash(), password[: MAX_LENGTH * 4])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker settings than today's (rehash at the next sign-in)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
