"""Whether the credential a live stream was opened with still holds.

An SSE stream is authenticated once, when it opens, and can then run for
days on a duty desk. Signing out, a disabled person, a reset password or a
revoked key must end it too, not only the requests made after: so the stream
asks `CredentialGuard.check` every `recheck_s` and ends when it says no.

An open stream counts as use of a sign-in (a console left watching for a
night shift must not fall to the idle limit); only the absolute limit,
revocation and disabling end it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlmodel import Session

from lanewatch.people.caller import Caller
from lanewatch.people.sessions import SEEN_RESOLUTION
from lanewatch.store.people_tables import PersonRow, SignInRow
from lanewatch.store.tables import ApiKeyRow, as_utc, utcnow

RECHECK_S = 10.0


class CredentialGuard:
    """One stream's check of its caller's sign-in (`sign_in_pk`) or key; `due()` says when to ask again."""

    def __init__(
        self,
        caller: Caller,
        sign_in_pk: int | None,
        session_factory: Callable[[], Session],
        *,
        recheck_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.caller = caller
        self.sign_in_pk = sign_in_pk
        self.session_factory = session_factory
        self.recheck_s = RECHECK_S if recheck_s is None else recheck_s
        self.clock = clock
        self._checked_at = clock()

    def due(self) -> bool:
        return self.clock() - self._checked_at >= self.recheck_s

    def check(self) -> bool:
        """Whether the stream may go on (a database read: call it off the event loop)."""
        self._checked_at = self.clock()
        with self.session_factory() as session:
            if self.caller.kind == "key":
                key = session.get(ApiKeyRow, self.caller.pk)
                return key is not None and key.revoked_at is None
            if self.sign_in_pk is None:
                return False
            row = session.get(SignInRow, self.sign_in_pk)
            person = session.get(PersonRow, self.caller.pk)
            now = utcnow()
            if row is None or person is None or person.disabled:
                return False
            if row.revoked_at is not None or as_utc(row.expires_at) <= now or row.person_pk != person.pk:
                return False
            if now - as_utc(row.last_seen_at) >= SEEN_RESOLUTION:
                row.last_seen_at = now  # watching counts as using the sign-in
                session.add(row)
                session.commit()
            return True
