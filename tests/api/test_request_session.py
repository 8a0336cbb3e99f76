"""The request's database session (`deps.get_session`): how each request's transaction ends.

A read that succeeded ends with COMMIT (so psycopg keeps its prepared statements), yet writes nothing the
route only changed in memory; everything else ends with ROLLBACK, so what a route did not commit is lost."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from lanewatch.api.deps import SessionDep
from lanewatch.store.tables import CameraRow

from .conftest import FakeRuntime


@pytest.fixture
def small_app(runtime: FakeRuntime) -> FastAPI:
    """Routes that read camera cam1 and change its name in memory, without committing it."""
    app = FastAPI()
    app.state.runtime = runtime

    def rename(session: Session) -> str:
        row = session.get(CameraRow, "cam1")
        assert row is not None
        row.name = "renamed in memory"
        return row.name

    @app.get("/rename")
    def read_and_rename(session: SessionDep) -> dict[str, Any]:
        return {"name": rename(session)}

    @app.get("/rename-then-fail")
    def read_rename_fail(session: SessionDep) -> None:
        rename(session)
        raise HTTPException(404, "gone")

    @app.post("/rename")
    def write_without_commit(session: SessionDep) -> dict[str, Any]:
        return {"name": rename(session)}

    return app


def _ends(runtime: FakeRuntime, client: TestClient, method: str, path: str) -> tuple[int, list[str]]:
    seen: list[str] = []
    listeners = {name: (lambda *_a, name=name: seen.append(name)) for name in ("commit", "rollback")}
    for name, listener in listeners.items():
        event.listen(runtime.engine, name, listener)
    try:
        status = client.request(method, path).status_code
    finally:
        for name, listener in listeners.items():
            event.remove(runtime.engine, name, listener)
    return status, seen


def _name(runtime: FakeRuntime) -> str:
    with Session(runtime.engine) as session:
        row = session.get(CameraRow, "cam1")
        assert row is not None
        return row.name


def test_a_read_commits_but_writes_nothing_it_changed_in_memory(small_app, runtime) -> None:
    with TestClient(small_app) as client:
        status, ends = _ends(runtime, client, "GET", "/rename")
    assert status == 200 and ends == ["commit"]
    assert _name(runtime) == "Gate 1"


def test_a_failed_read_and_a_write_roll_back(small_app, runtime) -> None:
    with TestClient(small_app) as client:
        assert _ends(runtime, client, "GET", "/rename-then-fail") == (404, ["rollback"])
        assert _ends(runtime, client, "POST", "/rename") == (200, ["rollback"])
    assert _name(runtime) == "Gate 1"
