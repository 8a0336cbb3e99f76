"""PostgreSQL connections cut while they rest in the pool (a restart, a failover) are replaced before use,
without a ping at every checkout (`engine.ping_after_idle`)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from lanewatch.store.engine import make_engine, ping_after_idle


@pytest.fixture
def pg_url(postgres_cluster):
    name = postgres_cluster.create_database()
    yield postgres_cluster.url(name)
    postgres_cluster.drop_database(name)


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _cut(pg_url: str, pid: int) -> None:
    """What a server restart does to one connection: the server ends it."""
    admin = make_engine(pg_url)
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the backend ends on its own time: wait until it has
        with admin.connect() as connection:
            if connection.execute(alive, {"pid": pid}).scalar_one() == 0:
                break
        time.sleep(0.05)
    admin.dispose()


def test_a_connection_cut_while_resting_is_replaced_before_use(pg_url) -> None:
    engine = make_engine(pg_url)
    ping_after_idle(engine, 0.2)  # beside the default's 5 s: any rest this long counts
    try:
        first = _backend_pid(engine)
        _cut(pg_url, first)
        time.sleep(0.3)
        second = _backend_pid(engine)  # no error: the ping found the cut one, the pool connected anew
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_given_back_moments_ago_is_not_pinged(pg_url, monkeypatch) -> None:
    engine = make_engine(pg_url)
    pings: list[object] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or real_ping(connection))
    try:
        for _ in range(3):
            _backend_pid(engine)
        assert pings == []
        ping_after_idle(engine, 0.0)  # any rest counts now: the count shows each ping it makes
        _backend_pid(engine)
        assert len(pings) == 1
    finally:
        engine.dispose()
