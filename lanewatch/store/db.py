"""Engine and schema for the event store: SQLite by default, PostgreSQL by URL.

The schema is owned by the Alembic migrations (lanewatch/store/migrations):
`open_engine` brings any database to the latest revision before handing the
engine out, so every process that opens the store agrees on its shape. The
engine itself (WAL, busy timeout, pools) is made in `store.engine`, which
`store.migrate` also builds on; the names are re-exported here for callers.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from lanewatch.store import (  # noqa: F401  (registers the tables)
    alarm_tables,
    passage_tables,
    people_tables,
    tables,
    uplink_tables,
)
from lanewatch.store.engine import is_sqlite_memory, make_engine, normalise_url, sqlite_url
from lanewatch.store.migrate import ensure_schema

__all__ = ["is_sqlite_memory", "make_engine", "normalise_url", "open_engine", "sqlite_url"]


def open_engine(url: str) -> Engine:
    """Create the engine and migrate its database to the latest schema (idempotent, safe to race)."""
    engine = make_engine(url)
    ensure_schema(engine)
    return engine
