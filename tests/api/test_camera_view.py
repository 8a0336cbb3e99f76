"""A moved camera through the API: reference picture, view shift, zones carried (preview), zones confirmed."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pytest
from sqlmodel import Session, select

from lanewatch.config import PictureHealthConfig
from lanewatch.detect.detections import Detections
from lanewatch.events.unreliable import CAMERA_MOVED
from lanewatch.store.people_tables import AuditRow
from lanewatch.video.frame import Frame
from lanewatch.video.picture_health import PictureHealth
from tests.video.test_picture_health import frame, scene, shifted

from .conftest import LANE, T0, violation_row

SETTINGS = PictureHealthConfig(every_s=0, confirm_s=10, moved_confirm_s=0, reference_s=2, moved_every_s=0)


@dataclass
class FakePipeline:
    judges: dict[str, PictureHealth]

    def picture(self, camera: str) -> PictureHealth | None:
        return self.judges.get(camera)


@pytest.fixture
def moved(runtime) -> PictureHealth:
    """cam1 learnt its view, then was turned 64 px of 640: moved, and its latest picture is the turned one."""
    judge = PictureHealth(SETTINGS)
    for t in range(3):
        judge.check(frame(scene(), t))
    judge.check(frame(shifted(scene(), 64), 3))
    runtime.pipeline = FakePipeline({"cam1": judge})
    runtime.frames["cam1"] = (Frame("cam1", shifted(scene(), 64), T0, 4.0, 4), Detections.empty())
    return judge


def test_the_reference_picture_and_the_estimated_homography(client, keys, moved) -> None:
    r = client.get("/api/cameras/cam1/view/reference.jpg", headers=keys.headers("viewer"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    picture = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert picture.shape == (180, 320)
    shift = client.get("/api/cameras/cam1/view/shift", headers=keys.headers("viewer")).json()
    assert shift["moved"] is True and shift["shift"] == pytest.approx(0.1, abs=0.01)
    h = np.array(shift["homography"])
    assert h @ [0.5, 0.5, 1] / (h @ [0.5, 0.5, 1])[2] == pytest.approx([0.6, 0.5, 1], abs=0.01)


def test_zones_are_carried_for_a_preview_and_not_saved(client, keys, moved) -> None:
    h = client.get("/api/cameras/cam1/view/shift", headers=keys.headers("viewer")).json()["homography"]
    r = client.post("/api/cameras/cam1/view/carry", json={"homography": h}, headers=keys.headers("admin"))
    assert r.status_code == 200, r.text
    carried = r.json()[0]["polygon"]
    assert [p[0] for p in carried] == pytest.approx([p[0] + 0.1 for p in LANE["polygon"]], abs=0.01)
    stored = client.get("/api/cameras/cam1/zones/lane-a", headers=keys.headers("viewer")).json()
    assert stored["polygon"] == LANE["polygon"]  # a preview: saving goes through the zone import


def test_a_homography_that_breaks_the_zones_is_refused_in_chinese(client, keys, moved) -> None:
    flatten = {"homography": [[1, 0, 0], [2, 0, 0], [0, 0, 1]]}
    r = client.post(
        "/api/cameras/cam1/view/carry", json=flatten, headers={**keys.headers("admin"), "Accept-Language": "zh-CN"}
    )
    assert r.status_code == 422 and "无法按该视角变化移动区域" in r.json()["detail"]
    short = client.post("/api/cameras/cam1/view/carry", json={"homography": [[1, 0]]}, headers=keys.headers("admin"))
    assert short.status_code == 422


def test_confirming_the_zones_ends_the_move_and_is_audited(client, keys, runtime, moved) -> None:
    assert client.post("/api/cameras/cam1/view/confirm", headers=keys.headers("viewer")).status_code == 403
    assert moved.reported is not None
    r = client.post("/api/cameras/cam1/view/confirm", headers=keys.headers("admin"))
    assert r.status_code == 204
    ended = moved.check(frame(shifted(scene(), 64), 5))
    assert ended is not None and ended.kind is None  # the next picture ends `moved` and is the new reference
    with Session(runtime.engine) as session:
        rows = session.exec(select(AuditRow).where(AuditRow.action == "camera.view_confirm")).all()
    assert [(r.target_id, r.after) for r in rows] == [("cam1", {"moved": True})]


def test_without_a_reference_view_it_says_so(client, keys, runtime) -> None:
    r = client.get("/api/cameras/cam1/view/shift", headers={**keys.headers("viewer"), "Accept-Language": "zh-CN"})
    assert r.status_code == 503 and "还没有参考画面" in r.json()["detail"]
    assert client.post("/api/cameras/cam1/view/confirm", headers=keys.headers("admin")).status_code == 503
    assert client.get("/api/cameras/nope/view/shift", headers=keys.headers("viewer")).status_code == 404


def test_an_unreliable_violation_says_so_in_the_api(client, keys, runtime) -> None:
    with Session(runtime.engine) as session:
        session.add(violation_row(7, unreliable=True, unreliable_reason=CAMERA_MOVED))
        session.commit()
    got = client.get("/api/violations/cam1-lane-a-0007", headers=keys.headers("viewer")).json()
    assert got["unreliable"] is True and got["unreliable_reason"] == CAMERA_MOVED
    plain = client.get("/api/violations/cam1-lane-a-0000", headers=keys.headers("viewer")).json()
    assert plain["unreliable"] is False and plain["unreliable_reason"] is None


def test_the_view_state_tells_the_editor_whether_to_fetch_pictures(client, keys, runtime, moved) -> None:
    got = client.get("/api/cameras/cam1/view", headers=keys.headers("viewer")).json()
    assert got == {"camera": "cam1", "reference": True, "moved": True}
    assert client.get("/api/cameras/cam2/view", headers=keys.headers("viewer")).json()["reference"] is False
