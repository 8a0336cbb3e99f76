"""Alembic migrations, run from code: no alembic.ini, the scripts ship inside the package.

`ensure_schema` is what every process calls on start (through
`open_engine`): it is a no-op at head, and otherwise upgrades inside ONE
transaction that first takes a database-wide lock, so two processes starting
at once never both create the tables:

- PostgreSQL: ``pg_advisory_xact_lock`` (released at commit); DDL is transactional.
- SQLite: ``BEGIN IMMEDIATE`` on a dedicated connection (SQLite's DDL is
  transactional too; the second process waits on the busy timeout, then
  finds the schema at head).

A database made by the old ``create_all`` (tables but no ``alembic_version``)
is adopted: when it holds every table and column of the first revision it is
stamped with that revision and upgraded from there; anything else (say an
``eval`` database from before the service schema) is refused with
`SchemaError`, since guessing would risk the data. Such files are per-run
outputs: move them aside and let lanewatch create a new one.

New revision (developers)::

    python -c "from alembic import command; from lanewatch.store.migrate import config; \\
               command.revision(config('sqlite:///dev.db'), message='...', autogenerate=True)"

(on a database at head), then review the file: keep it explicit, and use
``batch_alter_table`` for changes SQLite cannot ALTER in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from lanewatch.store.engine import _sqlite_pragmas, is_sqlite_memory, make_engine, normalise_url

BASELINE = "0001"
"""The revision whose schema `create_all` produced before migrations existed."""

_LOCK_KEY = 0x6C616E65  # "lane": the advisory lock every lanewatch migrator takes on PostgreSQL


class SchemaError(RuntimeError):
    """The database holds tables lanewatch did not create through its migrations and cannot adopt."""


def script_location() -> str:
    return str(files("lanewatch.store").joinpath("migrations"))


def config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config for the packaged scripts; `connection` (already in a transaction) is used as is."""
    cfg = Config()
    cfg.set_main_option("script_location", script_location())
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head_revision() -> str:
    heads = ScriptDirectory.from_config(config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migration scripts must have one head, found {heads}")
    return heads[0]


def current_revision(engine: Engine | Connection) -> str | None:
    """The revision stamped in the database (None for an empty or pre-migration database)."""
    if isinstance(engine, Connection):
        return MigrationContext.configure(engine).get_current_revision()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str) -> None:
    """`lanewatch db upgrade`: create or migrate the database at `url` to the latest revision."""
    engine = make_engine(url)
    try:
        ensure_schema(engine)
    finally:
        engine.dispose()


def ensure_schema(engine: Engine) -> None:
    """Bring the database to head: a cheap read when it is there already, else a locked upgrade."""
    if not is_sqlite_memory(engine) and current_revision(engine) == head_revision():
        return
    with _locked_transaction(engine) as connection:
        current = current_revision(connection)
        if current is None:
            _adopt_legacy(connection)
        elif not _known(current):
            raise SchemaError(
                f"the database is at schema revision {current!r}, which this lanewatch does not "
                f"know (its latest is {head_revision()!r}): it was migrated by a newer lanewatch; "
                "run that version, or restore a backup taken before the upgrade"
            )
        command.upgrade(config(connection=connection), "head")


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(config()).get_revision(revision) is not None
    except CommandError:
        return False


@contextmanager
def _locked_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that only one migrator at a time can hold (see the module docstring)."""
    if engine.dialect.name == "sqlite" and not is_sqlite_memory(engine):
        # pysqlite defers BEGIN until the first INSERT and never wraps DDL, so this engine
        # turns the driver's transaction handling off and issues BEGIN IMMEDIATE itself.
        locking = create_engine(engine.url, poolclass=NullPool, connect_args={"check_same_thread": False})
        event.listen(locking, "connect", _sqlite_pragmas)
        event.listen(
            locking, "connect", lambda dbapi_connection, _record: setattr(dbapi_connection, "isolation_level", None)
        )
        event.listen(locking, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        try:
            with locking.begin() as connection:
                yield connection
        finally:
            locking.dispose()
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        yield connection


def _adopt_legacy(connection: Connection) -> None:
    """Stamp a `create_all` database at BASELINE, or refuse one that is not that schema."""
    expected = _baseline_shape()
    found = {t: cols for t, cols in _shape(connection).items() if t in expected}  # others' tables are theirs
    if not found:
        return  # none of lanewatch's tables yet: the migrations create everything
    missing = [f"column {t}.{c}" for t, cols in expected.items() if t in found for c in sorted(cols - found[t])]
    missing += [f"table {t}" for t in expected if t not in found]
    if missing:
        url = connection.engine.url.render_as_string(hide_password=True)
        raise SchemaError(
            f"{url} holds tables that were not created by lanewatch's migrations and lacks "
            f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}; "
            "move it aside (or point LANEWATCH_DATABASE_URL elsewhere) and lanewatch will create a new one"
        )
    command.stamp(config(connection=connection), BASELINE)


def _shape(connection: Connection) -> dict[str, set[str]]:
    inspector = inspect(connection)
    return {
        t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names() if t != "alembic_version"
    }


@cache
def _baseline_shape() -> dict[str, set[str]]:
    """Tables and columns of BASELINE, read from the migration itself (run on an in-memory SQLite)."""
    engine = create_engine("sqlite://")
    try:
        with engine.begin() as connection:
            command.upgrade(config(connection=connection), BASELINE)
            return _shape(connection)
    finally:
        engine.dispose()
