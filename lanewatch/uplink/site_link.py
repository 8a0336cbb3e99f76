"""Each site's link counters at the centre (`uplink_sites`), tallied per transaction and written once per site.

Every message of a site moves its row (messages, duplicates, dead letters,
last message and edge times, last sequence number, clock skew). Updating the
row per message cost a locked read and an UPDATE each, and made all centre
processes queue on one hot row per site. Instead a transaction tallies its
messages per site in memory and, just before it commits, writes each site once
with ``INSERT … ON CONFLICT DO UPDATE`` that adds the counts and keeps the
later times: two processes committing the same site's tallies both count, and
neither waits for the other longer than that one statement. A rolled-back
transaction's tally is dropped with it. A heartbeat's state (`lanewatch.uplink.heartbeat`)
goes into the same tally and the same statement: written on its own, at the
point in the batch where the heartbeat came, it locked its site's row out of
the sorted order, and two centre processes deadlocked (measured: 4 of ~50
batches of 200 with 100 edges, each then applied again one message at a time).

`transaction_cache` is where the apply step keeps what a transaction has
already read (a site's organisation, prefetched records), forgotten at the
commit or a rollback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import case, event, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from lanewatch.store.uplink_tables import UplinkSiteRow

_CACHE_KEY = "lanewatch.uplink_transaction"
_TALLY_KEY = "lanewatch.uplink_tally"


def transaction_cache(session: Session) -> dict[Any, Any]:
    """This transaction's lookups; emptied at the commit or a rollback (a lock ends there, a rolled-back row is
    read again)."""
    cache = session.info.get(_CACHE_KEY)
    if cache is None:
        cache = session.info[_CACHE_KEY] = {}

        def forget(*_: Any) -> None:
            cache.clear()

        event.listen(session, "after_commit", forget)
        event.listen(session, "after_soft_rollback", forget)
    return cache


@dataclass
class SiteTally:
    """One site's counts and latest times in this transaction."""

    org_pk: int | None = None
    messages: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    last_message_at: datetime | None = None
    last_edge_time: datetime | None = None
    last_seq: int | None = None
    clock_skew_s: float | None = None
    last_heartbeat_at: datetime | None = None
    """The latest heartbeat of the transaction (None: none came); with it its backlog, lag and version."""
    backlog: int | None = None
    lag_s: float | None = None
    edge_version: str | None = None

    def message(self, at: datetime) -> None:
        self.messages += 1
        self.last_message_at = at if self.last_message_at is None else max(self.last_message_at, at)

    def heartbeat(self, at: datetime, backlog: int, lag_s: float, clock_skew_s: float, version: str) -> None:
        """Keep the latest heartbeat's state (a stored later one still wins at the write). Its clock skew only
        while no record of the transaction gave one (``last_seq`` unset): a record's is as fresh, and the write
        tells a heartbeat's skew by that."""
        if self.last_heartbeat_at is None or at >= self.last_heartbeat_at:
            self.last_heartbeat_at, self.backlog, self.lag_s, self.edge_version = at, backlog, lag_s, version
            if self.last_seq is None:
                self.clock_skew_s = clock_skew_s


def tally(session: Session, site: str) -> SiteTally:
    """The site's tally in this transaction, written before the commit."""
    tallies = session.info.get(_TALLY_KEY)
    if tallies is None:
        tallies = session.info[_TALLY_KEY] = {}

        def write(s: Session) -> None:
            pending = dict(tallies)
            tallies.clear()
            if pending:  # sorted: one lock order in every process, so two sites' rows never deadlock
                _write(s, [(code, pending[code]) for code in sorted(pending)])

        def drop(*_: Any) -> None:
            tallies.clear()

        event.listen(session, "before_commit", write)
        event.listen(session, "after_soft_rollback", drop)
    found = tallies.get(site)
    if found is None:
        found = tallies[site] = SiteTally()
    return found


def _later(dialect: str, stored: Any, new: Any) -> ColumnElement[Any]:
    """The later of the stored and the new value, either of which may be NULL."""
    if dialect == "postgresql":
        return func.greatest(stored, new)  # GREATEST ignores NULLs
    return func.max(func.coalesce(stored, new), func.coalesce(new, stored))


@cache
def _upsert(dialect: str) -> Any:
    """The site-row upsert, built once per dialect: building it (its ``excluded`` table among others) cost more
    than running it, once per site per transaction."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = UplinkSiteRow.__table__  # type: ignore[attr-defined]
    statement = insert(table)
    new, stored = statement.excluded, table.c
    newer = new.last_heartbeat_at.is_not(None) & (
        stored.last_heartbeat_at.is_(None) | (new.last_heartbeat_at >= stored.last_heartbeat_at)
    )  # an older heartbeat redelivered late does not replace a newer one
    return statement.on_conflict_do_update(
        index_elements=[stored.site],
        set_={
            "org_pk": func.coalesce(new.org_pk, stored.org_pk),
            "messages": stored.messages + new.messages,
            "duplicates": stored.duplicates + new.duplicates,
            "dead_letters": stored.dead_letters + new.dead_letters,
            "last_message_at": _later(dialect, stored.last_message_at, new.last_message_at),
            "last_edge_time": _later(dialect, stored.last_edge_time, new.last_edge_time),
            "last_seq": _later(dialect, stored.last_seq, new.last_seq),
            "clock_skew_s": case(
                (new.last_seq.is_(None) & new.last_heartbeat_at.is_not(None) & ~newer, stored.clock_skew_s),
                else_=func.coalesce(new.clock_skew_s, stored.clock_skew_s),
            ),  # a late old heartbeat's skew is as stale as its backlog
            **{
                name: case((newer, new[name]), else_=stored[name])
                for name in ("last_heartbeat_at", "backlog", "lag_s", "edge_version")
            },
        },
    )


def _write(session: Session, tallies: list[tuple[str, SiteTally]]) -> None:
    """Every site of the transaction in one execution of the cached upsert, in the order given."""
    rows = [
        {
            "site": site,
            "org_pk": t.org_pk,
            "messages": t.messages,
            "duplicates": t.duplicates,
            "dead_letters": t.dead_letters,
            "last_message_at": t.last_message_at,
            "last_edge_time": t.last_edge_time,
            "last_seq": t.last_seq,
            "clock_skew_s": t.clock_skew_s,
            "last_heartbeat_at": t.last_heartbeat_at,
            "backlog": t.backlog,
            "lag_s": t.lag_s,
            "edge_version": t.edge_version,
        }
        for site, t in tallies
    ]
    session.connection().execute(_upsert(session.get_bind().dialect.name), rows)
