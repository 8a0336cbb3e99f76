"""The SQLAlchemy engine for the event store, with lanewatch's connection settings.

SQLite runs in WAL mode with a busy timeout so the pipeline writing and the
API reading in one process never see "database is locked". This module
touches no schema: `migrate` builds on it, and `db.open_engine` combines the
two (engine, then migrations), so the store's imports point one way:
``db -> migrate -> engine``.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import create_engine

_POSTGRES_SCHEMES = {"postgres", "postgresql"}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def normalise_url(url: str) -> str:
    """Map plain ``postgresql://`` (and ``postgres://``) URLs to the psycopg 3 driver that lanewatch ships.

    Without a driver SQLAlchemy would pick psycopg2, which is not installed;
    operators copy URLs from libpq tools and hosting panels, so accept them as written.
    """
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in _POSTGRES_SCHEMES:
        return f"postgresql+psycopg://{rest}"
    return url


def _set_wal(cursor: sqlite3.Cursor, attempts: int = 100) -> None:
    """Switch a database file to WAL (once: it persists in the file).

    The switch takes an exclusive lock and SQLite does not always wait for it with
    the busy timeout: several processes opening a new database at once saw
    "database is locked" here. So retry for up to ~10 s."""
    for attempt in range(attempts):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")  # first: the next pragma may have to wait for another process
    _set_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _postgres_utc(dbapi_connection: Any, _record: object) -> None:
    """Each PostgreSQL connection reports times in UTC, so psycopg hands back `datetime.UTC` times.

    Why: a server whose zone is "Etc/UTC" (Debian's default) makes psycopg attach a ZoneInfo, and every
    time read then had to be converted to `UTC` before it was written out; a page of violations holds six
    per row. The stored instants are the same either way (every column is ``timestamptz``)."""
    dbapi_connection.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()  # else the pool's reset (a rollback) would undo it


def is_sqlite_memory(engine: Engine) -> bool:
    """An in-memory SQLite database lives in one connection: it cannot be shared or locked across processes."""
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


def make_engine(url: str) -> Engine:
    """An engine for `url` (normalised) with lanewatch's connection settings, without touching the schema."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        database = make_url(url).database
        pool: dict[str, int] = {}
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            # Connections are cheap here and a busy ingest holds many briefly: a pool as large as the API's threads.
            pool = {"pool_size": 20, "max_overflow": 40}
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=30)
    event.listen(engine, "connect", _postgres_utc)
    ping_after_idle(engine, PING_AFTER_IDLE_S)
    return engine


PING_AFTER_IDLE_S = 5.0
_RETURNED_AT = "lanewatch_returned_at"


def ping_after_idle(engine: Engine, idle_s: float) -> None:
    """Check a pooled connection with a ping when it is taken out after resting `idle_s` or more; a dead one
    (PostgreSQL restarted, a failover, a firewall that forgot the connection) is replaced before use.

    Why not SQLAlchemy's ``pool_pre_ping``: it pings at every checkout, a round trip per request (one of
    five for a page of `GET /api/violations`). A connection given back moments ago was alive then; one
    that has rested is the kind a restart or a network device may have cut. A connection in use when the
    server goes away still fails its request, as it would with a ping; SQLAlchemy then discards the whole
    pool, so the next requests get new connections."""

    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    def taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        rested_since = record.info.get(_RETURNED_AT)
        if rested_since is None or time.monotonic() - rested_since < idle_s:
            return  # just connected, or given back moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's error for a dead connection: the pool connects anew
            raise DisconnectionError(f"a pooled connection was dead after resting: {exc}") from exc

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", taken)
