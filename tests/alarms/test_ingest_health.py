"""`GET /api/health` on a real service: the enabled sensor ingest paths, and a lost broker as "degraded"."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from lanewatch.api.app import create_app
from lanewatch.config import ServiceSettings
from lanewatch.detect.detections import Detections
from lanewatch.service import Service
from tests.support.serve import wait_for

pytestmark = pytest.mark.mqtt


class NoCameraDetector:
    """The service needs a detector; this one is never called (no cameras)."""

    names: ClassVar[dict[int, str]] = {2: "car"}

    def detect(self, images):
        return [Detections.empty() for _ in images]


def _health(client: TestClient) -> dict:
    return client.get("/api/health").json()


def test_health_shows_mqtt_and_gb26875_and_a_lost_broker(tmp_path: Path, broker) -> None:
    settings = ServiceSettings(
        data_dir=tmp_path,
        alarms={"mqtt": {"enabled": True, "port": broker.port}, "gb26875": {"enabled": True, "port": 0}},
    )
    service = Service(settings, detector=NoCameraDetector())
    service.start()
    try:
        client = TestClient(create_app(service))
        assert wait_for(lambda: _health(client)["alarm_ingest"]["mqtt"]["up"], 10)
        body = _health(client)
        assert body["status"] == "ok"
        assert body["alarm_ingest"]["gb26875"]["up"] and body["alarm_ingest"]["gb26875"]["counters"]["port"] > 0
        assert body["alarm_ingest"]["mqtt"]["counters"]["received"] == 0
        broker.stop()
        assert wait_for(lambda: not _health(client)["alarm_ingest"]["mqtt"]["up"], 15)
        assert _health(client)["status"] == "degraded"
    finally:
        service.stop()


def test_health_lists_no_paths_that_are_off(tmp_path: Path) -> None:
    service = Service(ServiceSettings(data_dir=tmp_path), detector=NoCameraDetector())
    service.start()
    try:
        assert _health(TestClient(create_app(service)))["alarm_ingest"] == {}
    finally:
        service.stop()
