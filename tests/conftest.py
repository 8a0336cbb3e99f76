"""Shared fixtures: where the shared footage and weights live."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("LANEWATCH_SHARED", REPO_ROOT.parent / "shared")).resolve()
FOOTAGE_DIR = SHARED_DIR / "footage"
WEIGHTS_PATH = Path(os.environ.get("LANEWATCH_WEIGHTS", SHARED_DIR / "models" / "yolo11n_int8_openvino_model"))


@pytest.fixture(scope="session")
def footage_dir() -> Path:
    if not FOOTAGE_DIR.is_dir():
        pytest.skip(f"shared footage not found at {FOOTAGE_DIR} (set LANEWATCH_SHARED)")
    return FOOTAGE_DIR


@pytest.fixture(scope="session")
def weights_path() -> Path:
    if not WEIGHTS_PATH.exists():
        pytest.skip(f"detector weights not found at {WEIGHTS_PATH} (set LANEWATCH_WEIGHTS)")
    return WEIGHTS_PATH


@pytest.fixture(scope="session")
def postgres_cluster():
    """One throw-away PostgreSQL server for the session (see tests/support/postgres.py).

    Missing server binaries skip the PostgreSQL half of the suite, visibly;
    in CI (``CI=true``) they fail it, so a broken install never passes as green.
    """
    from tests.support.postgres import PostgresCluster, PostgresUnavailable

    cluster = None
    try:
        cluster = PostgresCluster()
        cluster.start()
    except PostgresUnavailable as exc:
        if cluster is not None:
            cluster.stop()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    except BaseException:
        if cluster is not None:
            cluster.stop()
        raise
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory):
    """Databases at the latest schema, made once per session and copied for each test (migrating is the slow part)."""
    from lanewatch.store.db import open_engine, sqlite_url

    made: dict[str, str] = {}

    def template(backend: str, request) -> str:
        if backend not in made:
            if backend == "sqlite":
                path = tmp_path_factory.mktemp("template") / "lanewatch.db"
                open_engine(sqlite_url(path)).dispose()  # the last close checkpoints the WAL into the file
                made[backend] = str(path)
            else:
                cluster = request.getfixturevalue("postgres_cluster")
                name = cluster.create_database()
                open_engine(cluster.url(name)).dispose()
                made[backend] = name
        return made[backend]

    return template


def _fresh_database(request, tmp_path, migrated: bool):
    if request.param == "sqlite":
        path = tmp_path / "lanewatch.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("migrated_templates")("sqlite", request), path)
        yield f"sqlite:///{path}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    template = request.getfixturevalue("migrated_templates")("postgresql", request) if migrated else None
    name = cluster.create_database(template=template)
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh database at the latest schema, once per backend: SQLite in tmp_path, a PostgreSQL database.

    The URL is a SQLAlchemy URL (``sqlite:///...`` / ``postgresql+psycopg://...``) that
    `open_engine` and ``--database-url`` accept; nothing else uses the database.
    """
    yield from _fresh_database(request, tmp_path, migrated=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    """Like `db_url`, but the database is empty (no tables, no alembic_version): for migration tests."""
    yield from _fresh_database(request, tmp_path, migrated=False)


@pytest.fixture
def engine(db_url):
    """`open_engine(db_url)`, disposed after the test."""
    from lanewatch.store.db import open_engine

    engine = open_engine(db_url)
    yield engine
    engine.dispose()
