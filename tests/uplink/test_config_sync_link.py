"""Config both ways over a real Mosquitto: an edge on SQLite, the centre's role on PostgreSQL, every edit made
through each end's own API.

An edge's zone edit reaches the centre; a centre edit made while the edge is
disconnected reaches it when it connects again (the retained snapshot on its
persistent session); edits made at both ends while apart keep the later one at
both, and each end's audit records both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from lanewatch.api.app import create_app
from lanewatch.api.auth import create_api_key
from lanewatch.config import CentreConfig, UplinkConfig
from lanewatch.store.people_tables import AuditRow
from lanewatch.store.tables import CameraRow, ZoneRow
from lanewatch.store.uplink_tables import ConfigSiteRow
from lanewatch.uplink import config_sync_capture
from lanewatch.uplink.config_sync_link import apply_snapshot
from lanewatch.uplink.publisher import UplinkPublisher
from lanewatch.uplink.role import UplinkRole
from tests.api.conftest import FakeRuntime, lane_row
from tests.support.serve import wait_for
from tests.uplink.conftest import SITE

TIMEOUT_S = 60.0  # generous: a busy two-core machine


@dataclass
class Api:
    """One end's own API (an admin key named after who edits there)."""

    engine: Engine
    client: TestClient
    headers: dict[str, str]
    camera: str

    def set_dwell(self, dwell: float) -> None:
        url = f"/api/cameras/{self.camera}/zones/lane-1"
        zone = self.client.get(url, headers=self.headers).json()
        answer = self.client.put(url, json={**zone, "dwell_seconds": dwell}, headers=self.headers)
        assert answer.status_code == 200, answer.text

    def dwell(self) -> float | None:
        with Session(self.engine) as session:
            return session.exec(
                select(ZoneRow.dwell_seconds).where(ZoneRow.camera_id == self.camera, ZoneRow.zone_id == "lane-1")
            ).first()

    def audit(self, action: str) -> list[AuditRow]:
        with Session(self.engine) as session:
            return list(session.exec(select(AuditRow).where(AuditRow.action == action)))


def _api(engine: Engine, tmp_path, who: str, camera: str) -> Api:
    runtime = FakeRuntime(engine=engine, evidence_dir=tmp_path / who)
    client = TestClient(create_app(runtime), headers={"Accept-Language": "zh"})
    key = create_api_key(engine, role="admin", name=who)
    return Api(engine, client, {"Authorization": f"Bearer {key}"}, camera)


class EdgeLink:
    """The edge's publisher, which can be taken off the broker and put back (a new connection each time)."""

    def __init__(self, engine: Engine, host: str, port: int) -> None:
        self.engine = engine
        self.config = UplinkConfig(
            enabled=True, host=host, port=port, site=SITE, inflight=20, confirm_timeout_s=2.0, heartbeat_s=5
        )
        self.publisher: UplinkPublisher | None = None
        self.reloads: list[str] = []
        """The cameras the centre's config changed, in order (what the service reloads)."""

    def apply(self, payload: bytes) -> None:
        self.reloads.extend(sorted(apply_snapshot(self.engine, SITE, payload)[1]))

    def connect(self) -> None:
        self.publisher = UplinkPublisher(self.engine, self.config, poll_s=0.05)
        self.publisher.on_config = self.apply
        self.publisher.start()
        assert wait_for(lambda: self.publisher is not None and self.publisher.connected, TIMEOUT_S)

    def disconnect(self) -> None:
        if self.publisher is not None:
            self.publisher.stop()
            self.publisher = None


@pytest.fixture
def both_ends(broker, make_edge, centre_engine, tmp_path) -> Iterator[tuple[Api, Api, EdgeLink, UplinkRole]]:
    edge = make_edge()
    with Session(edge.engine) as session:
        session.add(CameraRow(id="gate", name="东门", source_url="rtsp://10.0.0.5/1", site=SITE))
        session.add(lane_row("gate", "lane-1", "东门消防通道"))
        session.commit()
    config_sync_capture.attach(edge.engine, "edge", SITE)
    centre = UplinkRole(
        centre_engine,
        UplinkConfig(),
        CentreConfig(enabled=True, host=broker.host, port=broker.port, client_id="centre-1"),
    )
    assert centre.config_publisher is not None
    centre.config_publisher.poll_s = 0.2
    centre.start()
    assert centre.centre is not None and wait_for(centre.centre.subscribed.is_set, TIMEOUT_S)
    link = EdgeLink(edge.engine, broker.host, broker.port)
    yield (
        _api(edge.engine, tmp_path, "王工", "gate"),
        _api(centre_engine, tmp_path, "区值班员", f"{SITE}.gate"),
        link,
        centre,
    )
    link.disconnect()
    centre.stop()
    config_sync_capture.detach(edge.engine)


def _published(engine: Engine) -> bool:
    with Session(engine) as session:
        row = session.get(ConfigSiteRow, SITE)
        return row is not None and row.published == row.revision


def test_config_both_ways_through_the_broker(both_ends) -> None:
    edge, centre, link, centre_role = both_ends
    link.connect()

    edge.set_dwell(45.0)  # an edit at the edge reaches the centre (which makes the site's camera)
    assert wait_for(lambda: centre.dwell() == 45.0, TIMEOUT_S), centre.dwell()
    assert wait_for(lambda: _published(centre.engine), TIMEOUT_S)

    link.disconnect()  # the edge is away while the centre edits
    centre.set_dwell(60.0)
    assert wait_for(lambda: _published(centre.engine), TIMEOUT_S)
    assert edge.dwell() == 45.0
    link.connect()  # and gets the latest when it is back
    assert wait_for(lambda: edge.dwell() == 60.0, TIMEOUT_S), edge.dwell()
    assert link.reloads == ["gate"]  # the edge's pipeline is told which camera's zones changed
    applied = edge.audit("config.apply")
    assert [(a.actor_kind, a.actor_name, a.target_id) for a in applied] == [("centre", "区值班员", "gate/lane-1")]

    link.disconnect()  # both ends edit while apart: the centre's edit is the later one
    edge.set_dwell(50.0)
    centre.set_dwell(70.0)
    assert wait_for(lambda: _published(centre.engine), TIMEOUT_S)
    link.connect()
    assert wait_for(lambda: edge.dwell() == 70.0 and len(centre.audit("config.conflict")) == 1, TIMEOUT_S)
    assert centre.dwell() == 70.0
    assert centre_role.health()["centre"][1]["config_published"] >= 3  # one per change the centre took
    for end in (edge, centre):
        conflicts = end.audit("config.conflict")
        assert len(conflicts) == 1
        lost, kept = conflicts[0].before, conflicts[0].after
        assert lost is not None and kept is not None
        assert (lost["body"]["dwell_seconds"], lost["edited_by"], lost["origin"]) == (50.0, "王工", "edge")
        assert (kept["body"]["dwell_seconds"], kept["edited_by"], kept["origin"]) == (70.0, "区值班员", "centre")
