"""A signed-in person (cookie, not a key) gets the same scope as a key of their organisation."""

from __future__ import annotations

from sqlmodel import Session

from lanewatch.store.tables import CameraRow

from .conftest import add_person, sign_in


def test_a_property_manager_sees_and_hears_only_its_community(client, runtime, orgs) -> None:
    with Session(runtime.engine) as session:
        session.add(CameraRow(id="west-gate", name="西门", source_url="rtsp://h/2", org_pk=orgs.west))
        session.commit()
    add_person(runtime.engine, "zhangsan", "property_manager", orgs.willow)
    assert sign_in(client, "zhangsan").status_code == 200
    assert [c["id"] for c in client.get("/api/cameras").json()] == ["willow-gate"]
    assert client.get("/api/cameras/west-gate").status_code == 404
    assert [c["id"] for c in client.get("/api/health").json()["cameras"]] == ["willow-gate"]
    assert client.patch("/api/cameras/willow-gate", json={"name": "x"}).status_code == 403  # zones, not cameras
    client.cookies.clear()
    assert client.get("/api/health").json()["cameras"] == []  # without a sign-in, no camera is named
