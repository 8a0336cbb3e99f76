"""`kill -9` the service while violations are active: after the restart they continue, never duplicated or lost.

The RTSP camera keeps streaming lot-busy.mp4 (six cars parked in the front
row for the whole clip). Their violations are active when the service is
SIGKILLed; the restarted service must continue each one under the same id
(the parked car is seen again at the same place) instead of opening a
second violation for the same stop, and must not lose any record.
"""

from __future__ import annotations

import httpx
import pytest

from lanewatch.track.tracker import box_iou
from tests.e2e.test_serve import front_row_zone
from tests.support.rtsp import RtspServer, require_gst_rtsp
from tests.support.serve import ServeProcess, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(300)]


def _iou(a, b) -> float:
    return float(box_iou(a, b)[0, 0])


def _active(api: httpx.Client) -> list[dict]:
    return api.get("/api/violations", params={"camera": "gate", "active": "true", "limit": 500}).json()["items"]


def test_active_violations_survive_kill_9(footage_dir, weights_path, tmp_path) -> None:
    require_gst_rtsp()
    serve = ServeProcess(tmp_path, f"sqlite:///{tmp_path / 'lanewatch.db'}", weights_path)
    key = serve.cli("keys", "create", "--role", "admin")
    api = httpx.Client(base_url=serve.base, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    with RtspServer({"lot": footage_dir / "parking-aisle" / "lot-busy.mp4"}) as rtsp:
        serve.start()
        try:
            assert (
                api.post(
                    "/api/cameras", json={"id": "gate", "name": "Gate", "source_url": rtsp.url("lot"), "sample_fps": 2}
                ).status_code
                == 201
            )
            assert api.post("/api/cameras/gate/zones", json=front_row_zone()).status_code == 201
            # the six cars that never move (the SUV's stall at the front-left is excluded)
            parked = wait_for(
                lambda: (p := [v for v in _active(api) if v["box"][0] > 0.25]) and len(p) >= 5 and p, 90, step=1.0
            )
            assert parked, serve.log_tail()
            serve.kill()

            serve.start()
            assert wait_for(lambda: api.get("/api/cameras/gate").json()["status"]["frames"] >= 30, 90, step=1.0), (
                serve.log_tail()
            )
            after = _active(api)
            everything = api.get("/api/violations", params={"camera": "gate", "limit": 500}).json()["items"]
        finally:
            serve.stop()
    known = {v["id"] for v in everything}
    for before in parked:
        assert before["id"] in known, "a violation was lost"
        still = [v for v in after if v["id"] == before["id"]]
        assert still, f"the parked car's violation {before['id']} was ended or lost"
        twins = [v for v in after if v["id"] != before["id"] and _iou(v["box"], before["box"]) > 0.5]
        assert not twins, f"duplicate violation for the same parked car: {twins}"
        assert still[0]["started_at"] == before["started_at"]
