"""A camera's own picture-health thresholds: set through the API, checked, audited, and used by its judge."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from lanewatch.config import PictureHealthConfig
from lanewatch.service import source_from_row
from lanewatch.store.people_tables import AuditRow
from lanewatch.store.tables import CameraRow
from lanewatch.video.health import SourceState
from lanewatch.video.picture_health import PictureHealth
from tests.video.test_picture_health import darkened, frame, scene


def test_defaults_until_a_camera_sets_its_own(client, keys) -> None:
    got = client.get("/api/cameras/cam1/picture", headers=keys.headers("viewer")).json()
    assert got["overrides"] == {} and got["settings"] == PictureHealthConfig().model_dump()


def test_set_thresholds_are_stored_audited_and_restart_the_camera(client, keys, runtime) -> None:
    body = {"dark_mean": 60, "moved_shift": 0.1}
    r = client.put("/api/cameras/cam1/picture", json=body, headers=keys.headers("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["overrides"] == body and r.json()["settings"]["dark_mean"] == 60
    assert r.json()["settings"]["confirm_s"] == PictureHealthConfig().confirm_s  # the rest: the service's
    assert runtime.reloads == ["cam1"]
    with Session(runtime.engine) as session:
        row = session.get(CameraRow, "cam1")
        assert row is not None and row.picture == body
        audits = session.exec(select(AuditRow).where(AuditRow.action == "camera.picture")).all()
    assert [(a.target_id, a.after) for a in audits] == [("cam1", body)]
    assert client.put("/api/cameras/cam1/picture", json={}, headers=keys.headers("admin")).json()["overrides"] == {}


@pytest.mark.parametrize(("body", "named"), [({"dark_mean": -5}, "dark_mean"), ({"darkness": 5}, "darkness")])
def test_bad_thresholds_are_refused_in_chinese(client, keys, runtime, body, named) -> None:
    r = client.put(
        "/api/cameras/cam1/picture", json=body, headers={**keys.headers("admin"), "Accept-Language": "zh-CN"}
    )
    assert r.status_code == 422 and "画面检测阈值有误" in r.json()["detail"] and named in r.json()["detail"]
    assert runtime.reloads == []


def test_only_camera_editors_set_them(client, keys) -> None:
    r = client.put("/api/cameras/cam1/picture", json={"dark_mean": 60}, headers=keys.headers("operator"))
    assert r.status_code == 403


def test_the_cameras_judge_uses_its_own_thresholds() -> None:
    """A dim scene (about 45 of 255): not dark by default, dark for a camera that set dark_mean 60 and dark_p95 120."""
    service = PictureHealthConfig(every_s=0, confirm_s=0)
    own = CameraRow(id="garage", name="Garage", source_url="rtsp://h/s", picture={"dark_mean": 60, "dark_p95": 120})
    plain = CameraRow(id="gate", name="Gate", source_url="rtsp://h/s")
    dim = darkened(scene(), 0.35)
    kinds = {}
    for row in (own, plain):
        judge = PictureHealth(source_from_row(row, service).picture)
        change = judge.check(frame(dim, 0))
        kinds[row.id] = change.kind if change is not None else None
    assert kinds == {"garage": SourceState.DARK, "gate": None}
    assert source_from_row(own, service).picture.confirm_s == 0  # the service's settings under the camera's
