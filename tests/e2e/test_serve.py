"""`lanewatch serve` end to end, as an API consumer sees it, on SQLite and on a real PostgreSQL.

A real GStreamer RTSP server streams lot-busy.mp4 on 127.0.0.1; the service
runs as its own process with the real detector. Through the HTTP API a
camera and a lane zone are created; a violation must then appear in
GET /api/violations and in the SSE stream, its annotated snapshot must
download, and a webhook receiver on 127.0.0.1 must get the signed delivery.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from tests.support.rtsp import RtspServer, free_port, require_gst_rtsp
from tests.support.webhook_receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(300)]
REPO = Path(__file__).resolve().parents[2]


def _wait(condition, timeout: float, step: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return None


class SseReader:
    """Collects SSE events from /api/events in a thread."""

    def __init__(self, base: str, key: str) -> None:
        self.events: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(base, key), daemon=True)
        self._thread.start()

    def _run(self, base: str, key: str) -> None:
        with httpx.Client(timeout=httpx.Timeout(5.0, read=None)) as client:
            with client.stream("GET", f"{base}/api/events", headers={"Authorization": f"Bearer {key}"}) as resp:
                current: dict = {}
                for line in resp.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("event:"):
                        current["event"] = line[6:].strip()
                    elif line.startswith("data:"):
                        current["data"] = json.loads(line[5:].strip())
                    elif line == "" and current:
                        self.events.append(current)
                        current = {}

    def close(self) -> None:
        self._stop.set()


def test_serve_camera_zone_violation_sse_snapshot_webhook(db_url, footage_dir, weights_path, tmp_path) -> None:
    require_gst_rtsp()
    env = {**os.environ, "LANEWATCH_WEIGHTS": str(weights_path), "LANEWATCH_DATA_DIR": str(tmp_path / "data"),
           "LANEWATCH_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
    config = tmp_path / "lanewatch.yaml"
    config.write_text("detector:\n  imgsz: 640\n")
    key = subprocess.run([sys.executable, "-m", "lanewatch.cli", "keys", "create", "--role", "admin", "--name", "e2e"],
                         env=env, capture_output=True, text=True, check=True, cwd=tmp_path).stdout.strip()
    assert key.startswith("lw_")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"}
    log = open(tmp_path / "serve.log", "w")
    with RtspServer({"lot": footage_dir / "parking-aisle" / "lot-busy.mp4"}) as rtsp:
        serve = subprocess.Popen([sys.executable, "-m", "lanewatch.cli", "serve", "--config", str(config),
                                  "--port", str(port), "-v"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        receiver = Receiver(secret="hook-secret-0123456789")
        sse = None
        try:
            assert _wait(lambda: _up(base), 60), _log_tail(tmp_path)
            api = httpx.Client(base_url=base, headers=headers, timeout=10)
            hook = api.post("/api/webhooks", json={"url": receiver.url, "secret": "hook-secret-0123456789",
                                                   "events": ["violation.*"]})
            assert hook.status_code == 201, hook.text
            sse = SseReader(base, key)
            camera = api.post("/api/cameras", json={"id": "gate", "name": "Gate lane",
                                                    "source_url": rtsp.url("lot", userinfo="cam:pw"),
                                                    "sample_fps": 2})
            assert camera.status_code == 201, camera.text
            assert "pw" not in camera.text  # credentials never come back
            zone = json.loads((REPO / "zones" / "lot-busy.json").read_text())["zones"][0]
            zone.update(dwell_seconds=4, exit_grace_seconds=3)
            created = api.post("/api/cameras/gate/zones", json=zone)
            assert created.status_code == 201, created.text

            page = _wait(lambda: (r := api.get("/api/violations", params={"camera": "gate"}).json())["items"] and r,
                         120, step=1.0)
            assert page, _log_tail(tmp_path)
            violation = page["items"][0]
            assert violation["camera"] == "gate" and violation["zone"] == "front-row"

            snap = api.get(f"/api/violations/{violation['id']}/snapshot.jpg", params={"annotated": 1})
            assert snap.status_code == 200 and snap.headers["content-type"] == "image/jpeg"
            image = cv2.imdecode(np.frombuffer(snap.content, np.uint8), cv2.IMREAD_COLOR)
            assert image is not None and image.shape[:2] == (360, 640)

            new_events = _wait(lambda: [e for e in sse.events if e.get("event") == "violation.new"], 30)
            assert new_events, sse.events
            assert {e["data"]["after"]["id"] for e in new_events} >= {violation["id"]}

            deliveries = _wait(lambda: [r for r in receiver.delivered()
                                        if r["headers"].get("X-Lanewatch-Event") == "violation.new"], 60)
            assert deliveries, receiver.requests
            assert all(r["valid"] for r in deliveries)  # HMAC-SHA256 signature checks out
            assert deliveries[0]["headers"].get("Idempotency-Key")
            health = httpx.get(f"{base}/api/health").json()
            assert any(c.get("id", c.get("camera")) == "gate" for c in health["cameras"]), health
        finally:
            if sse is not None:
                sse.close()
            receiver.close()
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(30)
            except subprocess.TimeoutExpired:
                serve.kill()
                pytest.fail("lanewatch serve did not stop on SIGTERM")
            log.close()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _log_tail(tmp_path: Path) -> str:
    lines = [l for l in (tmp_path / "serve.log").read_text().splitlines() if '"GET /api/' not in l]
    return "\n".join(lines[-40:])
