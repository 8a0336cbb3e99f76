"""A violation handled at the edge (acknowledged, resolved through the edge's API) shows so at the centre, and its
evidence pictures reach the centre, which serves them; real Mosquitto, edge on SQLite, centre on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from lanewatch.api.app import create_app
from lanewatch.api.auth import create_api_key
from lanewatch.config import ServiceSettings
from lanewatch.events.violation import ViolationEvent
from lanewatch.service import Service
from lanewatch.store.violation_store import ViolationStore
from tests.alarms.test_ingest_health import NoCameraDetector
from tests.support.serve import wait_for
from tests.uplink import centre_view
from tests.uplink.conftest import SITE, Edge

TIMEOUT = 30.0


@dataclass
class Pair:
    edge: Service
    centre: Service


@pytest.fixture
def pair(tmp_path: Path, broker, centre_engine) -> Iterator[Pair]:
    """An edge service and a centre service, linked through the test broker."""
    link = {"enabled": True, "host": broker.host, "port": broker.port}
    edge = Service(
        ServiceSettings(data_dir=tmp_path / "edge", uplink={**link, "site": SITE, "confirm_timeout_s": 2.0}),
        detector=NoCameraDetector(),
    )
    centre = Service(
        ServiceSettings(
            data_dir=tmp_path / "centre", database_url=str(centre_engine.url.render_as_string(False)), centre=link
        ),
        detector=NoCameraDetector(),
    )
    centre.start()
    edge.start()
    try:
        yield Pair(edge, centre)
    finally:
        edge.stop()
        centre.stop()


def open_violation(service: Service, snapshot: str | None = None, clean: str | None = None) -> str:
    """A violation stored as the pipeline stores one (its pictures named, relative to the evidence folder)."""
    edge = Edge(service.engine, None, None)  # type: ignore[arg-type]
    v = edge.violation("gate")
    if snapshot is not None or clean is not None:
        from dataclasses import replace

        before = v
        v = replace(v, snapshot=snapshot, snapshot_clean=clean)
        with Session(service.engine) as session:
            ViolationStore.apply(session, ViolationEvent("update", before, v))
            session.commit()
    return v.id


def test_acknowledge_and_resolve_at_the_edge_show_at_the_centre(pair: Pair, centre_engine) -> None:
    vid = open_violation(pair.edge)
    assert wait_for(lambda: vid in centre_view.violations(centre_engine), TIMEOUT)
    assert centre_view.violations(centre_engine)[vid]["state"] == "new"
    operator = create_api_key(pair.edge.engine, role="operator", name="duty")
    with TestClient(create_app(pair.edge), headers={"Authorization": f"Bearer {operator}"}) as client:
        answer = client.post(f"/api/violations/{vid}/ack", json={"comment": "保安已前往"})
        assert answer.status_code == 200, answer.text

        def acknowledged() -> bool:
            return centre_view.violations(centre_engine)[vid]["state"] == "acknowledged"

        assert wait_for(acknowledged, TIMEOUT), centre_view.violations(centre_engine)[vid]
        at_centre = centre_view.violations(centre_engine)[vid]
        at_edge = answer.json()
        for name in ("acknowledged_by", "acknowledged_at", "ack_comment"):
            assert at_centre[name] == at_edge[name], name
        assert at_centre["ack_comment"] == "保安已前往"

        answer = client.post(f"/api/violations/{vid}/resolve", json={"comment": "车辆已驶离"})
        assert answer.status_code == 200, answer.text
        assert wait_for(lambda: centre_view.violations(centre_engine)[vid]["state"] == "resolved", TIMEOUT)
        at_centre = centre_view.violations(centre_engine)[vid]
        assert (at_centre["resolved_by"], at_centre["resolve_comment"]) == (answer.json()["resolved_by"], "车辆已驶离")
        assert at_centre["acknowledged_by"] == at_edge["acknowledged_by"]  # the earlier step stays

        refused = client.post(f"/api/violations/{vid}/ack", json={"comment": "again"})
        assert refused.status_code == 409  # nothing changed at the edge: nothing new travels
    assert wait_for(lambda: pair.edge.uplink.health()["uplink"][1]["backlog"] == 0, TIMEOUT)
    assert centre_view.violations(centre_engine)[vid]["state"] == "resolved"
