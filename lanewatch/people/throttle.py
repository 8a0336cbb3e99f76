"""Slowing down password guessing from one address across many usernames.

The per-person lockout (`accounts`) stops guessing one account; an attacker
trying a few passwords on each of many usernames never trips it. So failures
are also counted per source address: the `limit`-th failure within `window`
makes that address wait `window` before it may try again (any username, even
with the right password). A success does not clear the count (one valid
account must not reset an attacker's budget). Counts live in the serving
process, like the sign-in it protects; a restart forgets them.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

from lanewatch.store.tables import utcnow

ADDRESS_LIMIT = 20
ADDRESS_WINDOW = timedelta(minutes=15)
MAX_ADDRESSES = 100_000
"""Beyond this many tracked addresses the oldest are forgotten (memory stays bounded under a spray)."""


class AddressThrottle:
    """Failed sign-ins per source address in a sliding window, and the addresses that must wait."""

    def __init__(self, limit: int = ADDRESS_LIMIT, window: timedelta = ADDRESS_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._blocked: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def blocked_until(self, address: str | None, now: datetime | None = None) -> datetime | None:
        """When `address` may try again (None: it may now)."""
        if address is None:
            return None
        now = now or utcnow()
        with self._lock:
            until = self._blocked.get(address)
            if until is not None and until <= now:
                del self._blocked[address]
                return None
            return until

    def failed(self, address: str | None, now: datetime | None = None) -> datetime | None:
        """Count a failed sign-in from `address`; returns when it may try again if this failure blocks it."""
        if address is None:
            return None
        now = now or utcnow()
        with self._lock:
            times = self._failures.pop(address, deque())
            self._failures[address] = times  # re-inserted: dict order is least recently failed first
            times.append(now)
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(self._failures) > MAX_ADDRESSES:
                del self._failures[next(iter(self._failures))]
            if len(times) < self.limit:
                return None
            times.clear()
            until = now + self.window
            self._blocked[address] = until
            return until
