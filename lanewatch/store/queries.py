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
from functools import cache, lru_cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import bindparam, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from lanewatch.people.scope import Scope, scoped_to
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

    def statement(self, rows: str = "values") -> tuple[Any, dict[str, Any]]:
        """This search as a statement and the values to bind in it: newest first, one row more than a page
        (to know whether there is a next). ``rows``: "values" selects the table's columns, "orm" whole
        `ViolationRow` objects.

        Why bound values: the statement is built once per combination of filters given (`_statement`) and
        reused, so SQLAlchemy neither rebuilds it nor recomputes its cache key for each page, which cost
        more than running it; the same SQL text also lets psycopg prepare it on PostgreSQL."""
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {self.limit}")
        values: dict[str, Any] = {"rows": self.limit + 1}
        for name in _EQUALS:
            if (value := getattr(self, name)) is not None:
                values[name] = value
        # Stored times are UTC (SQLite keeps them as text without the zone), so bind UTC too.
        if self.since is not None:
            values["since"] = as_utc(self.since)
        if self.until is not None:
            values["until"] = as_utc(self.until)
        if self.after is not None:
            values["after_at"], values["after_id"] = decode_cursor(self.after)
        if self.scope is not None and self.scope.org_pks is not None:
            values["scope_orgs"] = sorted(self.scope.org_pks)
        return _statement(rows, frozenset(values), self.active), values

    def page(self, rows: list[_Page]) -> tuple[list[_Page], str | None]:
        """The page and the cursor of the next one (None on the last page)."""
        if len(rows) > self.limit:
            return rows[: self.limit], encode_cursor(rows[self.limit - 1])
        return rows, None


_EQUALS = ("camera", "zone", "state", "label")


@lru_cache(maxsize=256)
def _statement(rows: str, bound: frozenset[str], active: bool | None) -> Any:
    """The search with these values bound (names as `ViolationSearch.statement` gives them), built once."""
    table = ViolationRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
    query: Any = select(ViolationRow) if rows == "orm" else sa_select(table)
    if "scope_orgs" in bound:
        query = scoped_to(query, bindparam("scope_orgs", expanding=True), ViolationRow)
    for name in _EQUALS:
        if name in bound:
            query = query.where(getattr(ViolationRow, name) == bindparam(name))
    if active is not None:
        ended = col(ViolationRow.end_s)
        query = query.where(ended.is_(None) if active else ended.is_not(None))
    if "since" in bound:
        query = query.where(col(ViolationRow.violation_at) >= bindparam("since"))
    if "until" in bound:
        query = query.where(col(ViolationRow.violation_at) < bindparam("until"))
    if "after_at" in bound:  # typed as the columns are: inside a tuple the types are not inferred
        columns = table.c
        at_type, id_type = columns.violation_at.type, columns.id.type
        newer = tuple_(ViolationRow.violation_at, ViolationRow.id) < tuple_(
            bindparam("after_at", type_=at_type), bindparam("after_id", type_=id_type)
        )
        query = query.where(newer)
    order = (col(ViolationRow.violation_at).desc(), col(ViolationRow.id).desc())
    return query.order_by(*order).limit(bindparam("rows"))


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
    statement, values = search.statement("orm")
    return search.page(list(session.exec(statement, params=values)))


def violation_values(session: Session, search: ViolationSearch) -> tuple[list[Any], str | None]:
    """The same page as plain column values (read by name: ``row.camera``, a named tuple), no ORM objects:
    what the API writes out. Why: making and reading 50 ORM objects per page cost more than the query and
    the JSON together, and reading 28 columns of 50 SQLAlchemy `Row`s by name still cost five times what
    the same reads of named tuples do; `GET /api/violations` is what the duty desks and API consumers poll.
    The statement runs on the session's connection, past the ORM's per-statement bookkeeping."""
    result = session.connection().execute(*search.statement())
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
