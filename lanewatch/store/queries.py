"""Reads the API serves: violation search with cursor pages, camera health periods.

Violation pages are keyset pages, newest first by ``(violation_at, id)``:
the cursor names the last row a client saw, and the next page is "rows
strictly before it". Rows inserted between two requests therefore never
shift a page (no duplicates, no skips, unlike OFFSET), and a page costs one
index range scan on ``ix_violations_cursor`` however deep the client goes.

Rows come back as ORM objects of the caller's session, or as plain column values for the API. On
SQLite their datetimes are naive (UTC): pass them through `tables.as_utc` when serialising.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import select as sa_select
from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from lanewatch.people.scope import Scope, scoped
from lanewatch.store import health_store
from lanewatch.store.tables import HealthEventRow, ViolationRow, as_utc

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class _HasCursor(Protocol):
    @property
    def violation_at(self) -> datetime: ...
    @property
    def id(self) -> str: ...


_Page = TypeVar("_Page", bound=_HasCursor)


class InvalidCursor(ValueError):
    """The `after` cursor was not one this module produced (or was altered)."""


def encode_cursor(row: _HasCursor) -> str:
    """Opaque to clients: urlsafe base64 of ``["<violation_at, UTC ISO 8601>", "<id>"]``."""
    raw = json.dumps([as_utc(row.violation_at).isoformat(), row.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (violation_at, id) a cursor points at; `InvalidCursor` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at_text, violation_id = json.loads(raw)
        at = datetime.fromisoformat(at_text)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidCursor("invalid cursor: pass the `next` value of a previous page unchanged") from None
    if not isinstance(violation_id, str) or at.tzinfo is None:
        raise InvalidCursor("invalid cursor: pass the `next` value of a previous page unchanged")
    return as_utc(at), violation_id


@dataclass(frozen=True)
class ViolationSearch:
    """Which violations, and how many per page: filters combine with AND. ``since`` is inclusive and
    ``until`` exclusive, both on ``violation_at``; naive datetimes are taken as UTC. ``limit`` must be
    1..MAX_LIMIT. ``scope``: only violations of cameras in it (None: all)."""

    camera: str | None = None
    zone: str | None = None
    state: str | None = None
    label: str | None = None
    active: bool | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: str | None = None
    limit: int = DEFAULT_LIMIT
    scope: Scope | None = None

    def query(self, query: Any) -> Any:
        """`query` (a select of the violations table, as ORM rows or as plain columns) narrowed to this
        search and ordered newest first, one row more than a page (to know whether there is a next)."""
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {self.limit}")
        if self.scope is not None:
            query = scoped(query, self.scope, ViolationRow)
        for column, value in (
            (ViolationRow.camera, self.camera),
            (ViolationRow.zone, self.zone),
            (ViolationRow.state, self.state),
            (ViolationRow.label, self.label),
        ):
            if value is not None:
                query = query.where(column == value)
        if self.active is not None:
            ended = col(ViolationRow.end_s)
            query = query.where(ended.is_(None) if self.active else ended.is_not(None))
        # Stored times are UTC (SQLite keeps them as text without the zone), so bind UTC too.
        if self.since is not None:
            query = query.where(ViolationRow.violation_at >= as_utc(self.since))
        if self.until is not None:
            query = query.where(ViolationRow.violation_at < as_utc(self.until))
        if self.after is not None:
            at, violation_id = decode_cursor(self.after)
            query = query.where(tuple_(ViolationRow.violation_at, ViolationRow.id) < tuple_(at, violation_id))
        order = (col(ViolationRow.violation_at).desc(), col(ViolationRow.id).desc())
        return query.order_by(*order).limit(self.limit + 1)

    def page(self, rows: list[_Page]) -> tuple[list[_Page], str | None]:
        """The page and the cursor of the next one (None on the last page)."""
        if len(rows) > self.limit:
            return rows[: self.limit], encode_cursor(rows[self.limit - 1])
        return rows, None


def list_violations(
    session: Session,
    *,
    camera: str | None = None,
    zone: str | None = None,
    state: str | None = None,
    label: str | None = None,
    active: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
    scope: Scope | None = None,
) -> tuple[list[ViolationRow], str | None]:
    """One page of violations as ORM rows, newest first, and the cursor of the next page (None on the
    last page). The filters are those of `ViolationSearch`."""
    search = ViolationSearch(camera, zone, state, label, active, since, until, after, limit, scope)
    return search.page(list(session.exec(search.query(select(ViolationRow)))))


def violation_values(session: Session, search: ViolationSearch) -> tuple[list[Any], str | None]:
    """The same page as plain column values (read by name: ``row.camera``, a named tuple), no ORM objects:
    what the API writes out. Why: making and reading 50 ORM objects per page cost more than the query and
    the JSON together, and reading 28 columns of 50 SQLAlchemy `Row`s by name still cost five times what
    the same reads of named tuples do; `GET /api/violations` is what the duty desks and API consumers poll.
    The statement runs on the session's connection, past the ORM's per-statement bookkeeping."""
    table = ViolationRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
    result = session.connection().execute(search.query(sa_select(table)))
    plain = _values_type(tuple(result.keys()))
    return search.page([plain._make(row) for row in result.all()])


@cache
def _values_type(columns: tuple[str, ...]) -> type[Any]:
    """A named tuple with these columns (one class per column list: the table's, unless a migration changed it)."""
    return namedtuple("ViolationValues", columns)


class HealthStore(health_store.HealthStore):
    """The health sink (writes: `health_store.HealthStore`) plus the reads the API needs."""

    @staticmethod
    def current(session: Session, camera_id: str) -> HealthEventRow | None:
        """The camera's open period (the state it is in now), or None if it never reported."""
        return session.exec(
            select(HealthEventRow)
            .where(HealthEventRow.camera_id == camera_id, col(HealthEventRow.ended_at).is_(None))
            .order_by(col(HealthEventRow.started_at).desc(), col(HealthEventRow.pk).desc())
        ).first()

    @staticmethod
    def history(session: Session, camera_id: str, limit: int = DEFAULT_LIMIT) -> list[HealthEventRow]:
        """The camera's most recent periods, newest first (the open one, if any, leads)."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        return list(
            session.exec(
                select(HealthEventRow)
                .where(HealthEventRow.camera_id == camera_id)
                .order_by(col(HealthEventRow.started_at).desc(), col(HealthEventRow.pk).desc())
                .limit(limit)
            )
        )
