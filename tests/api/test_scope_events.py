"""Live events and webhook deliveries stay inside a scope; every change and handling step is audited."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from lanewatch.events.bus import device_payload
from lanewatch.events.violation import ViolationEvent
from lanewatch.people.event_scope import StreamScope
from lanewatch.people.scope import Scope
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.outbox import OutboxSink, add_delivery
from lanewatch.store.people_tables import AuditRow
from lanewatch.store.tables import CameraRow, OutboxRow, WebhookRow, utcnow

from .conftest import LANE, SECRETS
from .scope_world import World, add_key, world_fixture  # noqa: F401  (the `world` fixture)
from .test_events_sse import _connected, _open, _v, server  # noqa: F401  (the `server` fixture)


def test_a_street_duty_operator_hears_its_street_only(server, world: World) -> None:  # noqa: F811
    client, stream = _open(server, world.keys["s1_duty"])
    with client, stream as response:
        sse = _connected(response)
        world.runtime.bus.publish_violation(ViolationEvent("new", None, _v("v-s2", camera="cam2")))
        world.runtime.bus.publish_violation(ViolationEvent("new", None, _v("v-s1", camera="cam1")))
        first = sse.next_event()
    assert first["event"] == "violation.new" and first["data"]["after"]["id"] == "v-s1"  # v-s2 was never sent


def test_the_brigade_hears_both_streets(server, world: World) -> None:  # noqa: F811
    client, stream = _open(server, world.keys["brigade_viewer"])
    with client, stream as response:
        sse = _connected(response)
        world.runtime.bus.publish_violation(ViolationEvent("new", None, _v("v-s2", camera="cam2")))
        assert sse.next_event()["data"]["after"]["id"] == "v-s2"


def test_stream_scope_follows_devices_and_camera_moves(world: World) -> None:
    now = [0.0]
    engine = world.runtime.engine
    scope = StreamScope(Scope(frozenset({world.org["s1"], world.org["e1"], world.org["c1"]})), lambda: Session(engine))
    scope.clock = lambda: now[0]
    alarm = {"type": "alarm.new", "after": {"device_id": "dev-e1"}}
    assert scope.allows(alarm) and not scope.allows({"after": {"device_id": "dev-e2"}})
    assert scope.allows(device_payload("offline", {"id": "dev-e1"}, utcnow(), "silent"))
    assert not scope.allows({"type": "camera.offline", "camera": "cam2"})
    with Session(engine) as session:  # cam2 moves into community c1
        session.get(CameraRow, "cam2").org_pk = world.org["c1"]
        session.commit()
    now[0] += scope.recheck_s  # an unknown camera is looked up again, at most every recheck_s
    assert scope.allows({"type": "camera.offline", "camera": "cam2"})


def test_a_camera_moved_out_through_the_api_goes_silent_at_once(client, world: World) -> None:
    engine = world.runtime.engine
    scope = StreamScope(Scope(frozenset({world.org["s1"], world.org["c1"]})), lambda: Session(engine))
    scope.clock = lambda: 0.0  # no time passes: only the move itself can make the stream read again
    assert scope.allows({"type": "camera.offline", "camera": "cam1"})
    moved = client.patch("/api/cameras/cam1", json={"org": "c2"}, headers=world.headers("district_admin"))
    assert moved.status_code == 200
    assert not scope.allows({"type": "camera.offline", "camera": "cam1"})


def _hook(session: Session, org_pk: int | None) -> int:
    row = WebhookRow(url="http://127.0.0.1:9/h", secret="s" * 20, events=["*"], org_pk=org_pk)
    session.add(row)
    session.flush()
    assert row.pk is not None
    return row.pk


@pytest.mark.parametrize(("org", "hears"), [("s1", {"cam1"}), ("c2", {"cam2"}), (None, {"cam1", "cam2"})])
def test_webhooks_get_only_events_of_their_organisation(world: World, org, hears) -> None:
    engine = world.runtime.engine
    with Session(engine) as session:
        pk = _hook(session, world.org[org] if org else None)
        session.commit()
    sink = OutboxSink(engine)
    for camera in ("cam1", "cam2"):
        sink(ViolationEvent("new", None, _v(f"{camera}-lane-a-9000", camera=camera)))
    with Session(engine) as session:
        alarm = {"type": "alarm.new", "after": {"device_id": "dev-e1"}}
        add_delivery(session, pk, "alarm.new", alarm, "alarm-e1")
        session.commit()
        rows = session.exec(select(OutboxRow).where(OutboxRow.webhook_pk == pk)).all()
    assert {r.payload["after"]["camera"] for r in rows if r.event_type == "violation.new"} == hears
    assert any(r.event_type == "alarm.new" for r in rows) == (org in ("s1", None))


def _audit(world: World, action: str) -> list[AuditRow]:
    with Session(world.runtime.engine) as session:
        return list(session.exec(select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.pk)))


def test_camera_changes_are_audited_without_credentials(client, world: World) -> None:
    h = world.headers("s1_maintainer")
    new_url = "rtsp://admin:s3cr3t-pw@10.0.0.7/s?token=tok-abc123"
    assert client.patch("/api/cameras/cam1", json={"name": "北门", "source_url": new_url}, headers=h).status_code == 200
    (row,) = _audit(world, "camera.update")
    assert (row.actor_kind, row.actor_name, row.target_id) == ("key", "s1_maintainer", "cam1")
    assert row.org_pk == world.org["c1"]
    assert row.before["name"] == "Gate 1" and row.after["name"] == "北门" and set(row.after) == {"name", "source_url"}
    assert all(secret not in str(row.before) + str(row.after) for secret in SECRETS)
    assert client.delete("/api/cameras/cam1", headers=h).status_code == 204
    assert _audit(world, "camera.delete")[0].before["name"] == "北门"
    r = client.post("/api/cameras", json={"id": "cam9", "name": "九", "source_url": new_url, "org": "c1"}, headers=h)
    assert r.status_code == 201 and _audit(world, "camera.create")[0].after["org_pk"] == world.org["c1"]


def test_zone_changes_are_audited_with_what_changed(client, world: World) -> None:
    h = world.headers("c1_manager")
    assert (
        client.put(
            "/api/cameras/cam1/zones/lane-a", json={**LANE, "name": "消防通道", "classes": ["car", "truck"]}, headers=h
        ).status_code
        == 200
    )
    (row,) = _audit(world, "zone.update")
    assert row.target_id == "cam1/lane-a" and row.before == {"name": "Lane A"} and row.after == {"name": "消防通道"}
    assert client.post("/api/cameras/cam1/zones", json={**LANE, "id": "lane-b"}, headers=h).status_code == 201
    assert client.delete("/api/cameras/cam1/zones/lane-b", headers=h).status_code == 204
    assert [r.target_id for r in _audit(world, "zone.create")] == ["cam1/lane-b"]
    assert [r.target_id for r in _audit(world, "zone.delete")] == ["cam1/lane-b"]


def test_device_changes_and_moves_are_audited(client, world: World) -> None:
    h = world.headers("district_admin")
    assert client.patch("/api/alarms/devices/dev-e1", json={"name": "三楼"}, headers=h).status_code == 200
    assert client.patch("/api/alarms/devices/dev-e1", json={"org": "e2"}, headers=h).status_code == 200
    (update,) = _audit(world, "device.update")
    assert update.before == {"name": "dev-e1"} and update.after == {"name": "三楼"}
    (move,) = _audit(world, "device.move")
    assert move.before == {"org_pk": world.org["e1"]} and move.after == {"org_pk": world.org["e2"]}


def test_handling_is_audited_and_a_refused_step_is_not(client, world: World) -> None:
    h = world.headers("s1_duty")
    assert client.post("/api/violations/cam1-lane-a-0000/ack", json={"comment": "在处理"}, headers=h).status_code == 200
    assert client.post("/api/violations/cam1-lane-a-0000/ack", json={}, headers=h).status_code == 409
    (ack,) = _audit(world, "violation.acknowledge")
    assert ack.before == {"state": "new"} and ack.after == {"state": "acknowledged", "comment": "在处理"}
    assert client.post("/api/violations/cam1-lane-a-0000/resolve", json={}, headers=h).status_code == 200
    assert len(_audit(world, "violation.resolve")) == 1
    fire = world.alarms["dev-e1:fire"]
    assert client.post(f"/api/alarms/{fire}/resolve", json={}, headers=h).status_code == 409  # confirm it first
    assert client.post(f"/api/alarms/{fire}/ack", json={}, headers=h).status_code == 200
    assert client.post(f"/api/alarms/{fire}/confirm", json={"outcome": "test"}, headers=h).status_code == 200
    assert client.post(f"/api/alarms/{fire}/resolve", json={}, headers=h).status_code == 200
    steps = [(r.action, r.before["state"], r.after["state"]) for r in _audit_of(world, fire)]
    assert steps == [
        ("alarm.acknowledge", "active", "acknowledged"),
        ("alarm.confirm", "acknowledged", "confirmed"),
        ("alarm.resolve", "confirmed", "resolved"),
    ]
    assert _audit_of(world, fire)[1].after["outcome"] == "test"
    assert {r.org_pk for r in _audit_of(world, fire)} == {world.org["e1"]}


def _audit_of(world: World, target_id: str) -> list[AuditRow]:
    with Session(world.runtime.engine) as session:
        return list(session.exec(select(AuditRow).where(AuditRow.target_id == target_id).order_by(AuditRow.pk)))


def test_a_scoped_gateway_delivers_only_for_its_own_devices(client, world: World) -> None:
    with Session(world.runtime.engine) as session:
        key = add_key(session, "e1-gateway", "device", world.org["e1"])
        session.commit()
    body = [
        {"device_id": device, "kind": "alarm", "alarm_type": "gas_leak", "message_id": f"g-{device}"}
        for device in ("dev-e1", "dev-e2", "dev-new")
    ]
    r = client.post("/api/alarms/ingest", json=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["accepted"] == 1
    assert [e.split(":")[0] for e in answer["errors"]] == [
        f"no device {d!r} in this key's organisation" for d in ("dev-e2", "dev-new")
    ]
    with Session(world.runtime.engine) as session:
        raised = session.exec(select(AlarmRow.device_id).where(AlarmRow.alarm_type == "gas_leak")).all()
        assert raised == ["dev-e1"] and session.get(DeviceRow, "dev-new") is None


def test_an_alarms_fire_lanes_show_only_cameras_in_scope(client, world: World) -> None:
    with Session(world.runtime.engine) as session:
        session.get(DeviceRow, "dev-e1").building = "B1"  # cam1's building: its lane is the device's fire lane
        session.commit()
    fire = world.alarms["dev-e1:fire"]
    lanes = {
        caller: [
            lane["camera"] for lane in client.get(f"/api/alarms/{fire}", headers=world.headers(caller)).json()["lanes"]
        ]
        for caller in ("s1_duty", "e1_enterprise")
    }
    assert lanes == {"s1_duty": ["cam1"], "e1_enterprise": []}  # community c1's camera is not the enterprise's


def test_a_zone_import_audits_each_zone(client, world: World) -> None:
    body = {"camera": "cam1", "zones": [{**LANE, "id": "lane-b", "name": "二号"}]}
    assert (
        client.put("/api/cameras/cam1/zones/import", json=body, headers=world.headers("c1_manager")).status_code == 200
    )
    assert [r.target_id for r in _audit(world, "zone.delete")] == ["cam1/lane-a"]
    assert [(r.target_id, r.after["name"]) for r in _audit(world, "zone.create")] == [("cam1/lane-b", "二号")]


def test_a_device_nobody_registered_lands_under_the_district_for_its_duty_desk(client, world: World) -> None:
    """An unscoped gateway's unknown device is kept (never lose a fire alarm) where the district sees it."""
    with Session(world.runtime.engine) as session:
        key = add_key(session, "district-gateway", "device", None)
        district_duty = add_key(session, "district-duty", "duty_operator", world.org["district"])
        session.commit()
    body = {"device_id": "dev-stray", "kind": "alarm", "alarm_type": "fire", "message_id": "stray-1"}
    r = client.post("/api/alarms/ingest", json=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    with Session(world.runtime.engine) as session:
        assert session.get(DeviceRow, "dev-stray").org_pk == world.org["district"]
    seen = {
        caller: client.get("/api/alarms/devices/dev-stray", headers=headers).status_code
        for caller, headers in (
            ("district duty", {"Authorization": f"Bearer {district_duty}"}),
            ("street duty", world.headers("s1_duty")),
        )
    }
    assert seen == {"district duty": 200, "street duty": 404}
