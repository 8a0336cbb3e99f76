"""Alembic migrations on SQLite and PostgreSQL: the full schema, idempotence, races, the CLI, old databases."""

from __future__ import annotations

import multiprocessing

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

from lanewatch.store import tables
from lanewatch.store.db import make_engine, normalise_url, open_engine
from lanewatch.store.migrate import SchemaError, current_revision, head_revision, upgrade
from lanewatch.store.zone_rows import zone_of

TABLES = {t.name for t in SQLModel.metadata.sorted_tables}


def _differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)


def test_upgrade_creates_exactly_the_tables_of_the_models(empty_db_url) -> None:
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        assert _differences(engine) == []  # columns, types, nullability, indexes, constraints
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_upgrading_twice_changes_nothing(empty_db_url) -> None:
    engine = open_engine(empty_db_url)
    with Session(engine) as session:
        session.add(tables.CameraRow(id="gate", name="Gate", source_url="rtsp://h/s"))
        session.commit()
    upgrade(empty_db_url)
    open_engine(empty_db_url).dispose()
    with Session(engine) as session:
        assert session.get(tables.CameraRow, "gate").name == "Gate"
    assert current_revision(engine) == head_revision()
    engine.dispose()


def _open(url: str, barrier) -> None:
    barrier.wait()
    open_engine(url).dispose()


def test_processes_starting_at_once_migrate_once(empty_db_url) -> None:
    """Four services starting together on an empty database: one creates the schema, none fails."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(4)
    workers = [context.Process(target=_open, args=(empty_db_url, barrier)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    engine = make_engine(empty_db_url)
    assert current_revision(engine) == head_revision() and _differences(engine) == []
    engine.dispose()


def test_a_database_made_by_create_all_is_adopted(empty_db_url) -> None:
    """Before migrations, `open_engine` ran create_all: such a database is stamped and kept, data included."""
    engine = make_engine(empty_db_url)
    # the tables of that time: those of lanewatch/store/tables.py (the alarm tables came with revision 0002)
    SQLModel.metadata.create_all(
        engine, tables=[m.__table__ for m in vars(tables).values() if isinstance(m, type) and hasattr(m, "__table__")]
    )
    with engine.begin() as conn:  # zones had no rule yet (revision 0003), nothing had an organisation (0004)
        conn.exec_driver_sql("ALTER TABLE zones DROP COLUMN rule")
        for table in ("cameras", "api_keys", "webhooks"):
            conn.exec_driver_sql(f"DROP INDEX ix_{table}_org_pk")
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN org_pk")
        for table, column in (
            ("violations", "unreliable"),
            ("violations", "unreliable_reason"),
            ("cameras", "picture"),
        ):
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")  # revision 0007
        conn.exec_driver_sql(
            "INSERT INTO cameras (id, name, source_url, sample_fps, imgsz, decode, enabled, created_at, updated_at)"
            " VALUES ('gate', 'Gate', 'rtsp://h/s', 0.5, 960, 'auto', true, '2026-11-30', '2026-11-30')"
        )
    assert current_revision(engine) is None
    open_engine(empty_db_url).dispose()
    assert current_revision(engine) == head_revision()
    with Session(engine) as session:
        assert session.get(tables.CameraRow, "gate") is not None
    engine.dispose()


def test_zones_made_before_the_rule_existed_become_stopped(empty_db_url) -> None:
    """Revision 0003: a zone stored at 0002 counted any presence; it now counts only standing still."""
    from alembic import command

    from lanewatch.store.migrate import config

    command.upgrade(config(empty_db_url), "0002")
    engine = make_engine(empty_db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cameras (id, name, source_url, sample_fps, imgsz, decode, enabled, created_at, updated_at)"
            " VALUES ('gate', 'Gate', 'rtsp://h/s', 0.5, 960, 'auto', true, '2026-11-30', '2026-11-30')"
        )
        conn.exec_driver_sql(
            "INSERT INTO zones (camera_id, zone_id, name, polygon, dwell_seconds, exit_grace_seconds, classes,"
            " anchor, position, updated_at) VALUES ('gate', 'lane', 'Lane', '[[0,0],[1,0],[1,1]]', 60, 5,"
            " '[\"car\"]', 'bottom_center', 0, '2026-11-30')"
        )
    upgrade(empty_db_url)
    with Session(engine) as session:
        [row] = session.exec(select(tables.ZoneRow)).all()
        assert row.rule == "stopped" and zone_of(row).rule == "stopped"
    assert _differences(engine) == []
    engine.dispose()


def test_a_foreign_schema_is_refused_not_guessed_at(empty_db_url) -> None:
    """An old `eval` database (violations table only, no operator columns) is not silently stamped."""
    engine = make_engine(empty_db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE violations (id VARCHAR(64) PRIMARY KEY, camera VARCHAR(100))")
    with pytest.raises(SchemaError, match=r"lacks column violations\.ack_comment, column violations\.acknowledged_at"):
        open_engine(empty_db_url)
    assert current_revision(engine) is None
    engine.dispose()


def test_a_database_from_a_newer_lanewatch_is_refused(empty_db_url) -> None:
    """Running an older lanewatch on a database a newer one migrated must stop, not half-work."""
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(SchemaError, match="newer lanewatch"):
        open_engine(empty_db_url)
    engine.dispose()


def test_in_memory_sqlite_gets_the_schema_too() -> None:
    engine = open_engine("sqlite://")
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    assert current_revision(engine) == head_revision()


def test_other_applications_tables_are_left_alone(empty_db_url) -> None:
    """A shared database that holds someone else's tables (none of lanewatch's) just gets lanewatch's added."""
    engine = make_engine(empty_db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE billing (id INTEGER PRIMARY KEY)")
    open_engine(empty_db_url).dispose()
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version", "billing"}
    engine.dispose()


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////var/lib/lanewatch.db", "sqlite:////var/lib/lanewatch.db"),
    ],
)
def test_normalise_url(url, expected) -> None:
    assert normalise_url(url) == expected


def test_cli_db_upgrade(empty_db_url) -> None:
    from lanewatch.cli import app

    # a plain libpq-style URL, as operators paste it into LANEWATCH_DATABASE_URL
    plain = empty_db_url.replace("postgresql+psycopg://", "postgresql://")
    for _ in range(2):
        result = CliRunner().invoke(app, ["db", "upgrade", "--database-url", plain])
        assert result.exit_code == 0, result.output
    engine = make_engine(empty_db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_cameras_and_devices_stored_before_organisations_belong_to_the_default_district(empty_db_url) -> None:
    """Revision 0004: what a deployment had keeps working, under one district an administrator can then split."""
    from alembic import command

    from lanewatch.store import alarm_tables, people_tables
    from lanewatch.store.migrate import config

    command.upgrade(config(empty_db_url), "0003")
    engine = make_engine(empty_db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cameras (id, name, source_url, sample_fps, imgsz, decode, enabled, created_at, updated_at)"
            " VALUES ('gate', 'Gate', 'rtsp://h/s', 0.5, 960, 'auto', true, '2026-11-30', '2026-11-30')"
        )
        conn.exec_driver_sql(
            "INSERT INTO alarm_devices (id, type, linked_lanes, rules, registered, maintenance, offline,"
            " created_at, updated_at) VALUES ('smoke-1', 'smoke', '[]', '{}', true, false, false,"
            " '2026-11-30', '2026-11-30')"
        )
    upgrade(empty_db_url)
    with Session(engine) as session:
        [district] = session.exec(select(people_tables.OrganisationRow)).all()
        assert (district.kind, district.parent_pk) == ("district", None)
        assert session.get(tables.CameraRow, "gate").org_pk == district.pk
        assert session.get(alarm_tables.DeviceRow, "smoke-1").org_pk == district.pk
    engine.dispose()
