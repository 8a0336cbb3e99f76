"""`lanewatch serve` end to end, as an API consumer sees it, on SQLite and on a real PostgreSQL.

A real GStreamer RTSP server streams lot-busy.mp4 on 127.0.0.1; the service
runs as its own process with the real detector. Through the HTTP API a
camera and a lane zone are created; a violation must then appear in
GET /api/violations and in the SSE stream, its annotated snapshot must
download, and a webhook receiver on 127.0.0.1 must get the signed delivery.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from tests.support.rtsp import RtspServer, require_gst_rtsp
from tests.support.serve import ServeProcess, SseReader, wait_for
from tests.support.webhook_receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(300)]
REPO = Path(__file__).resolve().parents[2]
SECRET = "hook-secret-0123456789"


def front_row_zone(dwell_seconds: float = 4) -> dict:
    zone = json.loads((REPO / "zones" / "lot-busy.json").read_text())["zones"][0]
    zone.update(dwell_seconds=dwell_seconds, exit_grace_seconds=3)
    return zone


def test_serve_camera_zone_violation_sse_snapshot_webhook(db_url, footage_dir, weights_path, tmp_path) -> None:
    require_gst_rtsp()
    serve = ServeProcess(tmp_path, db_url, weights_path)
    key = serve.cli("keys", "create", "--role", "admin", "--name", "e2e")
    assert key.startswith("lw_")
    with RtspServer({"lot": footage_dir / "parking-aisle" / "lot-busy.mp4"}) as rtsp:
        serve.start()
        receiver = Receiver(secret=SECRET)
        sse = None
        try:
            api = httpx.Client(base_url=serve.base, headers={"Authorization": f"Bearer {key}"}, timeout=10)
            hook = api.post("/api/webhooks", json={"url": receiver.url, "secret": SECRET, "events": ["violation.*"]})
            assert hook.status_code == 201, hook.text
            sse = SseReader(serve.base, key)
            camera = api.post(
                "/api/cameras",
                json={
                    "id": "gate",
                    "name": "Gate lane",
                    "source_url": rtsp.url("lot", userinfo="cam:pw"),
                    "sample_fps": 2,
                },
            )
            assert camera.status_code == 201, camera.text
            assert "pw" not in camera.text  # credentials never come back
            created = api.post("/api/cameras/gate/zones", json=front_row_zone())
            assert created.status_code == 201, created.text

            page = wait_for(
                lambda: (r := api.get("/api/violations", params={"camera": "gate"}).json())["items"] and r,
                120,
                step=1.0,
            )
            assert page, serve.log_tail()
            violation = page["items"][0]
            assert violation["camera"] == "gate" and violation["zone"] == "front-row"

            snap = api.get(f"/api/violations/{violation['id']}/snapshot.jpg", params={"annotated": 1})
            assert snap.status_code == 200 and snap.headers["content-type"] == "image/jpeg"
            image = cv2.imdecode(np.frombuffer(snap.content, np.uint8), cv2.IMREAD_COLOR)
            assert image is not None and image.shape[:2] == (360, 640)

            new_events = wait_for(lambda: [e for e in sse.events if e.get("event") == "violation.new"], 30)
            assert new_events, sse.events
            assert {e["data"]["after"]["id"] for e in new_events} >= {violation["id"]}

            deliveries = wait_for(
                lambda: [r for r in receiver.delivered() if r["headers"].get("X-Lanewatch-Event") == "violation.new"],
                60,
            )
            assert deliveries, receiver.requests
            assert all(r["valid"] for r in deliveries)  # HMAC-SHA256 signature checks out
            assert deliveries[0]["headers"].get("Idempotency-Key")
            health = api.get("/api/health").json()  # cameras are named to a caller with a key
            assert "gate" in json.dumps(health["cameras"]), health
        finally:
            if sse is not None:
                sse.close()
            receiver.close()
            assert serve.stop() in (0, -15)  # uvicorn re-raises SIGTERM after its graceful shutdown
    log = serve.log_path.read_text()
    assert "lanewatch stopped" in log and "Traceback" not in log
