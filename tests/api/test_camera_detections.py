"""GET /api/cameras/{id}/detections: the latest frame's boxes as fractions, for the zone editor's overlay."""

from __future__ import annotations

import pytest

from .conftest import BOX, FRAME_H, FRAME_W, T0


def test_latest_detections_are_fractions_of_the_frame(client, keys) -> None:
    r = client.get("/api/cameras/cam1/detections", headers=keys.headers("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["camera"], body["width"], body["height"]) == ("cam1", FRAME_W, FRAME_H)
    assert body["timestamp"].startswith(T0.isoformat()[:19])
    [found] = body["detections"]
    assert found["label"] == "car" and found["track_id"] == 7 and found["confidence"] == pytest.approx(0.9)
    assert found["box"] == pytest.approx(list(BOX), abs=1e-4)


def test_untracked_boxes_have_no_track_id_and_boxes_stay_on_the_frame(client, keys, runtime) -> None:
    from lanewatch.detect.detections import Detections

    frame, _ = runtime.frames["cam1"]
    runtime.frames["cam1"] = (
        frame,
        Detections(xyxy=[[-20, 10, 700, 400]], confidence=[0.5], class_id=[7], class_name=["truck"]),
    )
    [found] = client.get("/api/cameras/cam1/detections", headers=keys.headers("viewer")).json()["detections"]
    assert found["track_id"] is None and found["label"] == "truck"
    assert found["box"] == pytest.approx([0.0, 10 / FRAME_H, 1.0, 1.0], abs=1e-4)


@pytest.mark.parametrize(
    ("camera", "headers_role", "status", "says"),
    [
        ("cam2", "viewer", 503, "no frame yet"),
        ("nope", "viewer", 404, "no camera 'nope'"),
        ("cam1", None, 401, "missing API key"),
    ],
)
def test_refusals_say_why(client, keys, camera, headers_role, status, says) -> None:
    headers = keys.headers(headers_role) if headers_role else {}
    r = client.get(f"/api/cameras/{camera}/detections", headers=headers)
    assert r.status_code == status and says in r.json()["detail"]
