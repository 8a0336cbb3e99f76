"""A centre transaction's new records, written with one Core INSERT per table instead of as ORM rows.

Most of what the centre ingests is new: a violation it has not seen, its
first sequence row. Building each as an ORM row (SQLModel's ``__init__``, the
instrumented attributes) and letting the unit of work insert it cost about
two fifths of the apply step's time (cProfile of `benchmarks/uplink_apply.py`).
A new record is instead a `NewRow`: its column values as plain attributes,
remembered in the transaction's cache (`lanewatch.uplink.prefetch`) so a later
message of the same batch finds and updates it, and written just before the
commit with one statement per table: on PostgreSQL a ``COPY … FROM STDIN`` (a batch's
rows as one stream: psycopg's ``executemany`` sent each row as its own INSERT, about a fifth
of a centre process's samples in a drain), elsewhere an ``executemany``.

Rules that keep it safe:

- The rows are written before the ORM's own last flush (``before_commit`` runs
  first), so an ORM row flushed at the commit that refers to one finds it.
- Nothing the apply step reads in mid-batch needs them in the database: its
  own lookups go through the cache, and a webhook's scope check looks up the
  camera or device (ORM rows), never the violation. Should a caller need them
  written early, `write_new` does it and drops them from the cache, so a later
  message of the batch reads the stored row back as an ORM row and updates it
  the usual way.
- A rollback drops them with the rest of the transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache, partial
from types import SimpleNamespace
from typing import Any, cast

import psycopg
from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel

from lanewatch.uplink.site_link import transaction_cache

_PENDING_KEY = "lanewatch.uplink_new_rows"


class NewRow(SimpleNamespace):
    """A record not in the database yet: every column of its table as an attribute (defaults filled in)."""


def is_new(row: object) -> bool:
    """Whether `row` is a `NewRow` (written at the commit) rather than an ORM row (added to the session)."""
    return isinstance(row, NewRow)


def add_new(session: Session, model: type[SQLModel], key: tuple[Any, ...], values: dict[str, Any]) -> NewRow:
    """A new row of `model`'s table, written before the commit; cached under `key` for the rest of the batch."""
    session.connection()  # begin the transaction if nothing has yet, so that its rollback drops the row too
    pending = _pending(session)
    row = NewRow(**(_defaults(model, values) | values))
    pending.setdefault(model, {})[key] = row
    transaction_cache(session)[key] = row
    return row


def write_new(session: Session) -> None:
    """Insert the transaction's new rows now, one statement per table, and forget them from the cache."""
    pending = session.info.get(_PENDING_KEY)
    if not pending:
        return
    cache = transaction_cache(session)
    tables = list(pending.items())
    pending.clear()
    connection = session.connection()
    for model, rows in tables:
        table: Table = model.__table__  # SQLModel sets it on table models
        values = [vars(row) for row in rows.values()]
        if _copyable(table, connection.dialect):
            _copy(connection, table, values)
        else:
            connection.execute(table.insert(), values)
        for key in rows:
            cache.pop(key, None)


def _copyable(table: Table, dialect: Dialect) -> bool:
    """Whether `table`'s rows go to PostgreSQL through psycopg's COPY (another driver or database: INSERT)."""
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


@cache
def _bind_processors(table: Table, dialect: Dialect) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """Each column's name and the conversion SQLAlchemy applies before it hands a value to the driver
    (floats made float, booleans checked; None for most types), so COPY gets what an INSERT would."""
    return tuple((column.name, column.type.bind_processor(dialect)) for column in table.columns)


def _copy(connection: Connection, table: Table, values: list[dict[str, Any]]) -> None:
    """The rows in one ``COPY``, inside the connection's transaction. A duplicate key or a lock conflict
    raises what an INSERT would (`IntegrityError`, `DBAPIError`), so `retry_collisions` treats it alike."""
    columns = _bind_processors(table, connection.dialect)
    statement = f"COPY {table.name} ({', '.join(name for name, _ in columns)}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row([row[name] if convert is None else convert(row[name]) for name, convert in columns])
    except psycopg.IntegrityError as exc:
        raise IntegrityError(statement, None, exc) from exc
    except psycopg.Error as exc:
        raise DBAPIError(statement, None, exc) from exc


def insert_missing(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Insert these rows of `model` (defaults filled in) unless their key is already there, in one statement.

    ``INSERT … ON CONFLICT DO NOTHING``: when another centre process inserts the same key at the same time,
    this one waits for it and moves on instead of failing the whole batch (a site's first messages reach
    every centre process at once). Give the rows sorted by key, so two processes take their locks in one
    order and cannot deadlock."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = [_defaults(model, row) | row for row in rows]
    session.connection().execute(insert(model.__table__).on_conflict_do_nothing(), values)  # type: ignore[attr-defined]


def _pending(session: Session) -> dict[type[SQLModel], dict[tuple[Any, ...], NewRow]]:
    pending = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = {}

        def drop(*_: Any) -> None:
            pending.clear()

        event.listen(session, "before_commit", write_new)
        event.listen(session, "after_soft_rollback", drop)
    return pending


@cache
def _column_defaults(model: type[SQLModel]) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    """Each column's value when a record does not give it: the model field's default, or its factory (called
    per row). Worked out once per table: asking pydantic per row cost a sixth of the apply step."""
    static: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    for column in model.__table__.columns:  # type: ignore[attr-defined]
        field = model.model_fields.get(column.key)
        if field is not None and field.default_factory is not None:
            factories.append((column.key, cast(Callable[[], Any], field.default_factory)))
        elif field is not None and isinstance(field.default, list | dict | set):  # a row of its own each
            factories.append((column.key, partial(copy.deepcopy, field.default)))
        else:
            static[column.key] = None if field is None or field.is_required() else field.default
    return static, tuple(factories)


def _defaults(model: type[SQLModel], given: dict[str, Any]) -> dict[str, Any]:
    static, factories = _column_defaults(model)
    return static | {name: factory() for name, factory in factories if name not in given}
