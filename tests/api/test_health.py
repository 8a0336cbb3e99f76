"""/api/health without a key, 503 without a database; /metrics with a viewer key."""

from __future__ import annotations

from sqlmodel import create_engine

from .conftest import SECRETS


def test_health_without_a_key_names_no_camera(client) -> None:
    """Load balancers need no key, but outside a scope a camera does not exist: none is named."""
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["cameras"] == [] and "cam1" not in r.text
    assert body["status"] == "degraded"  # cam2 is enabled but not running: still counted
    assert client.get("/api/health", headers={"Authorization": "Bearer lw_wrong"}).status_code == 401


def test_health(client, keys) -> None:
    r = client.get("/api/health", headers=keys.headers("viewer"))
    assert r.status_code == 200
    body = r.json()
    assert body["database"]["ok"] is True and body["database"]["latency_ms"] >= 0
    cams = {c["id"]: c for c in body["cameras"]}
    assert cams["cam1"]["state"] == "online" and cams["cam1"]["last_frame_at"].startswith("2026-06-01T08:00:00")
    assert cams["cam2"]["state"] == "stopped" and cams["cam2"]["last_frame_at"] is None
    assert body["status"] == "degraded"  # cam2 is enabled but not running
    for secret in SECRETS:
        assert secret not in r.text


def test_health_without_database_is_503(client, runtime, tmp_path) -> None:
    runtime.engine = create_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    r = client.get("/api/health")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable" and body["database"]["ok"] is False and body["database"]["error"]
    assert body["cameras"] == []


def test_other_routes_say_the_database_is_down(client, runtime, keys, tmp_path) -> None:
    runtime.engine = create_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    r = client.get("/api/cameras", headers=keys.headers("viewer"))
    assert r.status_code == 503 and "database is unavailable" in r.json()["detail"]


def test_metrics(client, keys) -> None:
    assert client.get("/metrics").status_code == 401
    client.get("/api/cameras", headers=keys.headers("viewer"))
    client.get("/api/cameras/nope", headers=keys.headers("viewer"))
    r = client.get("/metrics", headers=keys.headers("viewer"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert 'lanewatch_frames_total{camera="cam1"} 42' in r.text
    assert 'lanewatch_api_requests_total{method="GET",route="/api/cameras",status="200"} 1.0' in r.text
    assert 'lanewatch_api_requests_total{method="GET",route="/api/cameras/{camera_id}",status="404"} 1.0' in r.text
    assert 'route="/metrics",status="401"' in r.text
