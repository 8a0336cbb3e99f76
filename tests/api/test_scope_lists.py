"""Lists hold exactly the caller's records (both backends); creating and moving stays inside the scope."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import ApiKeyRow, CameraRow, WebhookRow

from .scope_world import CALLERS, SEES, World, add_key, world_fixture  # noqa: F401  (the `world` fixture)

READERS = [c for c in CALLERS if c != "district_admin"] + ["district_admin"]


def _cameras(caller: str) -> set[str]:
    return {x for x in SEES[caller] if x.startswith("cam")}


def _devices(caller: str) -> set[str]:
    return {x for x in SEES[caller] if x.startswith("dev")}


@pytest.mark.parametrize("caller", READERS)
def test_lists_hold_exactly_the_records_in_scope(client, world: World, caller: str) -> None:
    h = world.headers(caller)
    assert {c["id"] for c in client.get("/api/cameras", headers=h).json()} == _cameras(caller)
    # the history page's CSV export is built from these pages: only in-scope rows can reach it
    page = client.get("/api/violations", params={"limit": 500}, headers=h).json()
    assert {v["camera"] for v in page["items"]} == _cameras(caller)
    assert len(page["items"]) == 3 * len(_cameras(caller))
    alarms = client.get("/api/alarms", headers=h).json()["items"]
    assert {a["device_id"] for a in alarms} == _devices(caller)
    devices = client.get("/api/alarms/devices", headers=h).json()["items"]
    assert {d["id"] for d in devices} == _devices(caller)
    report = client.get(
        "/api/alarms/report", params={"since": "2026-06-01T00:00:00Z", "until": "2026-06-02T00:00:00Z"}, headers=h
    ).json()
    assert report["alarms"] == len(_devices(caller)), report  # one fire alarm per device


def test_health_and_metrics_name_only_cameras_in_scope(client, world: World) -> None:
    assert {c["id"] for c in client.get("/api/health", headers=world.headers("c1_manager")).json()["cameras"]} == {
        "cam1"
    }
    world.runtime.metrics_text = lambda: (
        'lanewatch_frames_total{camera="cam1"} 4\nlanewatch_frames_total{camera="cam2"} 5\n'
    )
    text = client.get("/metrics", headers=world.headers("c1_manager")).text
    assert 'camera="cam1"' in text and 'camera="cam2"' not in text


def test_answers_name_the_organisation(client, world: World) -> None:
    camera = client.get("/api/cameras/cam1", headers=world.headers("s1_duty")).json()
    assert camera["org"] == {"code": "c1", "name": "c1 名称", "kind": "community"}
    device = client.get("/api/alarms/devices/dev-e1", headers=world.headers("s1_duty")).json()
    assert device["org"]["code"] == "e1"


CAMERA = {"name": "三号门", "source_url": "rtsp://10.0.0.9/s"}


@pytest.mark.parametrize(
    ("caller", "org", "status", "lands_in"),
    [
        ("s1_maintainer", "c1", 201, "c1"),
        ("s1_maintainer", "c2", 404, None),  # another street's community: it does not exist for them
        ("s1_maintainer", None, 422, None),  # a street is no community: say which
        ("s1_maintainer", "e1", 422, None),  # an enterprise holds devices, not cameras
        ("s1_maintainer", "nosuch", 404, None),
        ("district_admin", "c2", 201, "c2"),
        ("c1_manager", None, 403, None),  # may draw zones, not add cameras
    ],
)
def test_creating_a_camera_puts_it_in_an_organisation_in_scope(client, world, caller, org, status, lands_in) -> None:
    body = {**CAMERA, "id": "cam-new", **({"org": org} if org else {})}
    r = client.post("/api/cameras", json=body, headers=world.headers(caller))
    assert r.status_code == status, r.text
    if status == 404:
        assert r.json()["detail"] == f"no organisation {org!r}"
    if status == 422:
        assert r.json()["detail"].startswith("org:")
    with Session(world.runtime.engine) as session:
        row = session.get(CameraRow, "cam-new")
        assert (row.org_pk if row else None) == (world.org[lands_in] if lands_in else None)


def test_a_community_member_adds_cameras_to_its_own_community_by_default(client, world: World) -> None:
    with Session(world.runtime.engine) as session:
        key = add_key(session, "c1-maintainer", "maintainer", world.org["c1"])
        session.commit()
    r = client.post("/api/cameras", json={**CAMERA, "id": "cam-c1b"}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 201 and r.json()["org"]["code"] == "c1"


def test_moving_needs_the_target_in_scope(client, world: World) -> None:
    h = world.headers("s1_maintainer")
    assert client.patch("/api/cameras/cam1", json={"org": "c2"}, headers=h).status_code == 404
    assert client.patch("/api/alarms/devices/dev-e1", json={"org": "e2"}, headers=h).status_code == 404
    moved = client.patch("/api/cameras/cam1", json={"org": "c2"}, headers=world.headers("district_admin"))
    assert moved.status_code == 200 and moved.json()["org"]["code"] == "c2"
    assert client.get("/api/cameras/cam1", headers=h).status_code == 404  # gone from street 1's view


def test_devices_default_to_the_callers_enterprise(client, world: World) -> None:
    with Session(world.runtime.engine) as session:
        key = add_key(session, "e1-maintainer", "maintainer", world.org["e1"])
        session.commit()
    body = {"id": "heat-1", "type": "heat_detector"}
    r = client.post("/api/alarms/devices", json=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 201 and r.json()["org"]["code"] == "e1"
    r = client.post("/api/alarms/devices", json={**body, "id": "heat-2"}, headers=world.headers("s1_maintainer"))
    assert r.status_code == 422 and "enterprise" in r.json()["detail"]


def test_keys_and_webhooks_lists_are_scoped(client, world: World) -> None:
    h = world.headers("s1_admin")
    made = client.post("/api/keys", json={"name": "社区一", "role": "viewer", "org": "c1"}, headers=h)
    assert made.status_code == 201 and made.json()["org"]["code"] == "c1"
    assert client.post("/api/keys", json={"name": "x", "role": "viewer", "org": "c2"}, headers=h).status_code == 404
    own = client.post("/api/keys", json={"name": "默认", "role": "viewer"}, headers=h).json()
    assert own["org"]["code"] == "s1"  # a scoped admin cannot make a key that sees more than it does
    listed = {k["name"] for k in client.get("/api/keys", headers=h).json()}
    assert listed == {"s1_admin", "s1_duty", "s1_maintainer", "c1_manager", "e1_enterprise", "社区一", "默认"}
    with Session(world.runtime.engine) as session:
        other = session.exec(select(ApiKeyRow.pk).where(ApiKeyRow.name == "brigade_viewer")).one()
        session.add(WebhookRow(url="http://127.0.0.1:9/x", secret="s" * 20, events=["*"], org_pk=world.org["s2"]))
        session.commit()
    assert client.delete(f"/api/keys/{other}", headers=h).status_code == 404
    hook = client.post("/api/webhooks", json={"url": "http://127.0.0.1:9/s1"}, headers=h)
    assert hook.status_code == 201 and hook.json()["org"]["code"] == "s1"
    assert [w["url"] for w in client.get("/api/webhooks", headers=h).json()] == ["http://127.0.0.1:9/s1"]
    with Session(world.runtime.engine) as session:
        assert session.get(WebhookRow, hook.json()["pk"]).org_pk == world.org["s1"]


def test_a_moved_organisation_counts_at_the_next_request(client, world: World) -> None:
    """Scopes come from a cached tree keyed by the tree itself: a move written by another process (here a
    session of its own, no API call) must change what a key sees at its very next request, both ways."""
    h = world.headers("s1_admin")

    def cameras() -> set[str]:
        return {v["camera"] for v in client.get("/api/violations", params={"limit": 500}, headers=h).json()["items"]}

    assert cameras() == {"cam1"}
    with Session(world.runtime.engine) as session:
        session.get(OrganisationRow, world.org["c2"]).parent_pk = world.org["s1"]
        session.commit()
    assert cameras() == {"cam1", "cam2"}
    with Session(world.runtime.engine) as session:
        session.get(OrganisationRow, world.org["c2"]).parent_pk = world.org["s2"]
        session.commit()
    assert cameras() == {"cam1"}
