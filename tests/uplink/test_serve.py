"""`lanewatch serve`'s uplink roles on a real `Service`: an edge's outbox in /api/health and /metrics, and an
edge service feeding a centre service."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from lanewatch.alarms.messages import AlarmType, MessageKind, SensorMessage
from lanewatch.api.app import create_app
from lanewatch.config import ServiceSettings
from lanewatch.service import Service
from lanewatch.store.health_store import HealthStore
from lanewatch.store.tables import utcnow
from lanewatch.video.health import HealthEvent, SourceState
from tests.alarms.test_ingest_health import NoCameraDetector
from tests.support.rtsp import free_port
from tests.support.serve import wait_for
from tests.uplink import centre_view
from tests.uplink.conftest import SITE, T0


def test_a_full_outbox_shows_in_health_and_metrics(tmp_path: Path) -> None:
    settings = ServiceSettings(
        data_dir=tmp_path, uplink={"enabled": True, "site": SITE, "port": free_port(), "outbox_max_rows": 10}
    )
    service = Service(settings, detector=NoCameraDetector())
    service.start()
    try:
        for i in range(3):
            with Session(service.engine) as session:
                state = SourceState.OFFLINE if i % 2 == 0 else SourceState.ONLINE
                HealthStore.apply(session, HealthEvent("gate", state, T0 + timedelta(seconds=i), "link"))
                session.commit()
        service.alarms.submit(
            [
                SensorMessage(device_id=f"smoke-{i}", kind=MessageKind.ALARM, alarm_type=AlarmType.FIRE)
                for i in range(10)
            ],
            utcnow(),
        )
        body = TestClient(create_app(service)).get("/api/health").json()
        uplink = body["alarm_ingest"]["uplink"]
        assert uplink["up"] is False and body["status"] == "degraded"  # no broker at that port
        assert uplink["counters"]["uplink_dropped"] == 3 and uplink["counters"]["backlog"] == 10
        assert "lanewatch_uplink_dropped 3" in service.metrics_text()
    finally:
        service.stop()


def test_an_edge_reloads_a_camera_the_centre_changed(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path, uplink={"enabled": True, "site": SITE, "port": free_port()})
    service = Service(settings, detector=NoCameraDetector())
    try:  # without it the edge stores the centre's lane but its running pipeline keeps watching the old one
        assert service.uplink.on_config_applied == service.reload_camera
    finally:
        service.uplink.stop()
        service.engine.dispose()


def test_both_roles_in_one_process_are_refused(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path, uplink={"enabled": True}, centre={"enabled": True})
    with pytest.raises(ValueError, match="edge or the centre"):
        Service(settings, detector=NoCameraDetector())


def test_an_edge_service_feeds_a_centre_service(tmp_path: Path, broker, centre_engine) -> None:
    link = {"enabled": True, "host": broker.host, "port": broker.port}
    edge = Service(
        ServiceSettings(data_dir=tmp_path / "edge", uplink={**link, "site": SITE}), detector=NoCameraDetector()
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
        edge.alarms.submit(
            [SensorMessage(device_id="smoke-1", kind=MessageKind.ALARM, alarm_type=AlarmType.FIRE)], utcnow()
        )
        assert wait_for(lambda: len(centre_view.alarms(centre_engine)) == 1, 30)
        health = TestClient(create_app(centre)).get("/api/health").json()["alarm_ingest"]["centre"]
        assert health["up"] and health["counters"]["applied"] == 1
    finally:
        edge.stop()
        centre.stop()
