"""Alembic environment: runs lanewatch's migrations on the connection `lanewatch.store.migrate` hands in.

`migrate.ensure_schema` opens the transaction and takes the migration lock
before Alembic reads the current revision, so this file only configures the
context. Run without a connection (an Alembic command given just a URL, or
``--sql`` offline mode) it opens one the same way.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlmodel import SQLModel

from lanewatch.store import (  # noqa: F401  (registers the tables)
    alarm_tables,
    passage_tables,
    people_tables,
    tables,
    uplink_tables,
)

target_metadata = SQLModel.metadata


def _configure(**kw: Any) -> None:
    # render_as_batch: SQLite cannot ALTER most things in place; batch mode copies the table instead.
    context.configure(target_metadata=target_metadata, render_as_batch=True, compare_type=True, **kw)


def run_offline() -> None:
    _configure(
        url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True, dialect_opts={"paramstyle": "named"}
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from lanewatch.store.engine import make_engine
        from lanewatch.store.migrate import _locked_transaction

        url = context.config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("alembic needs a connection or sqlalchemy.url (see lanewatch.store.migrate.config)")
        engine = make_engine(url)
        try:
            with _locked_transaction(engine) as connection:
                _configure(connection=connection)
                context.run_migrations()
        finally:
            engine.dispose()
        return
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
