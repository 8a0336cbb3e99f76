"""An app around a real database (SQLite and PostgreSQL) with people to sign in as."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from lanewatch.alarms.service import AlarmService
from lanewatch.api.app import create_app
from lanewatch.config import AlarmSettings
from lanewatch.people import accounts
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import CameraRow
from tests.api.conftest import FakeRuntime

PASSWORD = "fire-lane-2026"


@dataclass
class Org:
    district: int
    east: int
    willow: int
    west: int
    brigade: int


@pytest.fixture
def runtime(engine, tmp_path) -> FakeRuntime:
    rt = FakeRuntime(engine=engine, evidence_dir=tmp_path / "evidence")
    rt.alarms = AlarmService(engine, rt.bus, AlarmSettings())
    return rt


@pytest.fixture
def orgs(runtime) -> Org:
    """district 1 ─ street 东街道 ─ community 柳树社区; street 西街道; agency 消防大队."""
    with Session(runtime.engine) as session:
        east = OrganisationRow(code="jd-east", name="东街道", kind="street", parent_pk=1)
        west = OrganisationRow(code="jd-west", name="西街道", kind="street", parent_pk=1)
        brigade = OrganisationRow(code="brigade", name="消防大队", kind="agency", parent_pk=1)
        session.add_all([east, west, brigade])
        session.flush()
        willow = OrganisationRow(code="sq-willow", name="柳树社区", kind="community", parent_pk=east.pk)
        session.add(willow)
        session.flush()
        session.add(CameraRow(id="willow-gate", name="柳树门口", source_url="rtsp://h/1", org_pk=willow.pk))
        made = Org(1, east.pk, willow.pk, west.pk, brigade.pk)  # type: ignore[arg-type]
        session.commit()
    return made


def add_person(engine, username: str, role: str, org_pk: int, *, must_change: bool = False, **extra) -> int:
    with Session(engine) as session:
        person = accounts.create(
            session, username=username, password=PASSWORD, role=role, org_pk=org_pk, must_change=must_change, **extra
        )
        session.commit()
        assert person.pk is not None
        return person.pk


@pytest.fixture
def client(runtime, orgs):
    with TestClient(create_app(runtime), base_url="http://testserver") as c:
        yield c


def sign_in(client: TestClient, username: str, password: str = PASSWORD):
    """POST /api/session; on success the client holds the cookies and sends the CSRF header."""
    response = client.post("/api/session", json={"username": username, "password": password})
    if response.status_code == 200:
        client.headers["X-CSRF-Token"] = client.cookies["lw_csrf"]
    return response
