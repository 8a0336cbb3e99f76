"""Cameras: CRUD, credentials never shown, reloads, the latest frame with zones and boxes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from .conftest import FRAME_H, FRAME_W, SECRET_URL, SECRETS


def _no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_list_and_get_hide_credentials_and_show_live_status(client, keys) -> None:
    r = client.get("/api/cameras", headers=keys.headers("viewer"))
    assert r.status_code == 200
    _no_secrets(r.text)
    cams = {c["id"]: c for c in r.json()}
    assert cams["cam1"]["source_url"] == "rtsp://***@10.0.0.5:554/Streaming/101?token=***"
    assert cams["cam1"]["status"]["state"] == "online" and cams["cam1"]["status"]["frames"] == 12
    assert cams["cam2"]["status"]["state"] == "stopped"
    one = client.get("/api/cameras/cam1", headers=keys.headers("viewer"))
    assert one.status_code == 200 and one.json() == cams["cam1"]
    _no_secrets(one.text)


def test_create_update_delete_reload_and_never_echo_credentials(client, keys, runtime) -> None:
    admin = keys.headers("admin")
    body = {
        "id": "north.gate-2",
        "name": "North gate",
        "source_url": SECRET_URL,
        "sample_fps": 2,
        "imgsz": 1280,
        "site": "HQ",
    }
    r = client.post("/api/cameras", json=body, headers=admin)
    assert r.status_code == 201, r.text
    _no_secrets(r.text)
    assert r.json()["sample_fps"] == 2.0 and r.json()["decode"] == "auto" and r.json()["enabled"] is True
    assert runtime.reloads == ["north.gate-2"]

    r = client.post("/api/cameras", json=body, headers=admin)
    assert r.status_code == 409 and "already exists" in r.json()["detail"]
    _no_secrets(r.text)

    r = client.patch("/api/cameras/north.gate-2", json={"enabled": False, "building": None}, headers=admin)
    assert r.status_code == 200 and r.json()["enabled"] is False
    _no_secrets(r.text)
    assert runtime.reloads[-1] == "north.gate-2"

    # Sending back the masked URL (a GET → edit → PATCH round trip) keeps the stored credentials.
    masked = r.json()["source_url"]
    r = client.patch("/api/cameras/north.gate-2", json={"source_url": masked, "name": "N"}, headers=admin)
    assert r.status_code == 200 and r.json()["source_url"] == masked
    from sqlmodel import Session

    from lanewatch.store.tables import CameraRow

    with Session(runtime.engine) as session:
        assert session.get(CameraRow, "north.gate-2").source_url == SECRET_URL

    r = client.patch("/api/cameras/north.gate-2", json={"source_url": "rtsp://***@other/x"}, headers=admin)
    assert r.status_code == 422 and "mask" in r.json()["detail"]

    assert client.delete("/api/cameras/north.gate-2", headers=admin).status_code == 204
    assert runtime.reloads[-1] == "north.gate-2"
    assert client.get("/api/cameras/north.gate-2", headers=admin).status_code == 404


def test_a_camera_added_without_sample_fps_looks_once_every_2_s(client, keys, runtime) -> None:
    from sqlmodel import Session

    from lanewatch.service import source_from_row
    from lanewatch.store.tables import CameraRow

    body = {"id": "gate-9", "name": "Gate 9", "source_url": "rtsp://10.0.0.9/stream1"}
    r = client.post("/api/cameras", json=body, headers=keys.headers("admin"))
    assert r.status_code == 201, r.text
    assert r.json()["sample_fps"] == 0.5
    with Session(runtime.engine) as session:
        assert source_from_row(session.get(CameraRow, "gate-9")).sample_fps == 0.5  # what the pipeline is given


def test_delete_removes_the_zones(client, keys, runtime) -> None:
    admin = keys.headers("admin")
    assert client.delete("/api/cameras/cam1", headers=admin).status_code == 204
    body = {"id": "cam1", "name": "again", "source_url": "rtsp://h/s"}
    assert client.post("/api/cameras", json=body, headers=admin).status_code == 201
    assert client.get("/api/cameras/cam1/zones", headers=admin).json() == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"id": "bad id", "name": "x", "source_url": "rtsp://h"}, "id: a camera id may use only letters"),
        ({"id": "-x", "name": "x", "source_url": "rtsp://h"}, "must start with a letter or digit (got '-x')"),
        ({"id": "x", "name": "x"}, "source_url: required field is missing"),
        ({"id": "x", "name": "x", "source_url": ""}, "source_url: String should have at least 1 character"),
        (
            {"id": "x", "name": "x", "source_url": "rtsp://h", "sample_fps": 0},
            "sample_fps: Input should be greater than 0",
        ),
        (
            {"id": "x", "name": "x", "source_url": "rtsp://h", "sample_fps": "2"},
            "sample_fps: Input should be a valid number",
        ),
        ({"id": "x", "name": "x", "source_url": "rtsp://h", "imgsz": 1000}, "imgsz: Input should be a multiple of 32"),
        ({"id": "x", "name": "x", "source_url": "rtsp://h", "decode": "fast"}, "decode: Input should be"),
        (
            {"id": "x", "name": "x", "source_url": "rtsp://h", "enabled": "yes"},
            "enabled: Input should be a valid boolean",
        ),
        ({"id": "x", "name": "x", "source_url": "rtsp://h", "colour": 1}, "colour: unknown field"),
        ({"id": "x", "name": "x", "source_url": "rtsp://***@h/s"}, "the mask shown in place of credentials"),
    ],
)
def test_create_is_validated(client, keys, body, problem) -> None:
    r = client.post("/api/cameras", json=body, headers=keys.headers("admin"))
    assert r.status_code == 422, r.text
    assert problem in r.json()["detail"]


def test_rejected_bodies_never_echo_the_url(client, keys) -> None:
    admin = keys.headers("admin")
    for body in (
        {"id": "x y", "name": "x", "source_url": SECRET_URL},
        {"id": "x", "source_url": SECRET_URL},  # missing field: pydantic's input is the whole body
        {"id": "x", "name": "x", "source_url": SECRET_URL, "extra": SECRET_URL},
    ):
        r = client.post("/api/cameras", json=body, headers=admin)
        assert r.status_code == 422
        _no_secrets(r.text)
    r = client.patch("/api/cameras/cam1", json={"name": None, "source_url": SECRET_URL}, headers=admin)
    assert r.status_code == 422
    _no_secrets(r.text)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"id": "cam1b"}, "id: unknown field"),
        ({"name": None}, "name: Input should be a valid string"),
        ({"sample_fps": 31}, "sample_fps: Input should be less than or equal to 30"),
    ],
)
def test_patch_is_validated(client, keys, runtime, body, problem) -> None:
    r = client.patch("/api/cameras/cam1", json=body, headers=keys.headers("admin"))
    assert r.status_code == 422 and problem in r.json()["detail"]
    assert runtime.reloads == []


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)])
def test_unknown_camera(client, keys, runtime, method, body) -> None:
    r = client.request(method, "/api/cameras/nope", json=body, headers=keys.headers("admin"))
    assert r.status_code == 404 and r.json() == {"detail": "no camera 'nope'"}
    assert runtime.reloads == []


def _decode(content: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_latest_frame_plain_and_with_zones_and_boxes(client, keys) -> None:
    viewer = keys.headers("viewer")
    plain = client.get("/api/cameras/cam1/frame.jpg", headers=viewer)
    assert plain.status_code == 200 and plain.headers["content-type"] == "image/jpeg"
    base = _decode(plain.content)
    assert base.shape == (FRAME_H, FRAME_W, 3)

    zones = _decode(client.get("/api/cameras/cam1/frame.jpg?zones=1", headers=viewer).content)
    boxes = _decode(client.get("/api/cameras/cam1/frame.jpg?detections=1", headers=viewer).content)
    both = _decode(client.get("/api/cameras/cam1/frame.jpg?zones=1&detections=1", headers=viewer).content)

    def diff(a, b, y, x):
        return np.abs(a[y, x].astype(int) - b[y, x].astype(int)).sum()

    lane_edge = (int(0.5 * FRAME_H), int(0.5 * FRAME_W))  # on the lane polygon's top edge
    box_edge = (250, 200)  # on the car box's left edge
    outside = (20, 600)  # far from both
    assert diff(zones, base, *lane_edge) > 60 and diff(zones, base, *outside) < 20
    assert diff(boxes, base, *box_edge) > 60 and diff(boxes, base, *lane_edge) < 20
    assert diff(both, zones, *box_edge) > 60 and diff(both, boxes, *lane_edge) > 60

    small = client.get("/api/cameras/cam1/frame.jpg?quality=5", headers=viewer)
    assert len(small.content) < len(plain.content)


def test_latest_frame_errors(client, keys) -> None:
    viewer = keys.headers("viewer")
    r = client.get("/api/cameras/cam2/frame.jpg", headers=viewer)
    assert r.status_code == 503 and "has no frame yet" in r.json()["detail"] and "stopped" in r.json()["detail"]
    assert client.get("/api/cameras/nope/frame.jpg", headers=viewer).status_code == 404
    r = client.get("/api/cameras/cam1/frame.jpg?quality=0", headers=viewer)
    assert r.status_code == 422 and "quality" in r.json()["detail"]
