"""/api/alarms over HTTP on both databases: ingest, search, detail with lanes, steps, devices, roles, bad input."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from lanewatch.api.auth import create_api_key
from lanewatch.store.tables import ViolationRow

FIRE = {
    "device_id": "smoke-b1-3f",
    "kind": "alarm",
    "alarm_type": "fire",
    "message_id": "f-1",
    "device_time": "2026-06-01T08:00:00+08:00",
    "device_type": "smoke_detector",
}


@pytest.fixture
def device_key(runtime) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_api_key(runtime.engine, role='device', name='gateway-1')}"}


def _ingest(client, headers, body):
    return client.post("/api/alarms/ingest", headers=headers, json=body)


def _register(client, keys, device_id: str = "smoke-b1-3f", **fields):
    body = {"id": device_id, "type": "smoke_detector", "name": "3F stair", "building": "B1", **fields}
    response = client.post("/api/alarms/devices", headers=keys.headers("admin"), json=body)
    assert response.status_code == 201, response.text
    return response.json()


# -- ingest --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("wrap", [lambda m: m, lambda m: [m], lambda m: {"messages": [m]}])
def test_ingest_accepts_one_object_an_array_or_messages(client, device_key, wrap) -> None:
    response = _ingest(client, device_key, wrap(FIRE))
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0, "errors": []}
    assert _ingest(client, device_key, wrap(FIRE)).json() == {"accepted": 0, "duplicates": 1, "errors": []}


def test_ingest_keeps_the_good_messages_and_names_the_bad_ones(client, device_key) -> None:
    body = [
        FIRE,
        {"device_id": "x", "kind": "reading", "value": "hot"},
        7,
        {"device_id": "y", "kind": "alarm"},
        {"device_id": "z", "kind": "heartbeat", "source": "rule"},
    ]
    answer = _ingest(client, device_key, body).json()
    assert answer["accepted"] == 2
    assert [e.split(":")[0] for e in answer["errors"]] == ["item 1", "item 2", "item 3"]
    assert "alarm_type" in answer["errors"][2]


@pytest.mark.parametrize(
    "body, says",
    [
        ("{not json", "not valid JSON"),
        ("[]", "empty array"),
        ('{"messages": [], "extra": 1}', "unexpected key"),
        ('[{"device_id": "bad id!", "kind": "alarm", "alarm_type": "fire"}]', "device_id"),
        ('{"device_id": "a", "kind": "alarm", "alarm_type": "volcano"}', "alarm_type"),
        ('{"device_id": "a", "kind": "reading", "quantity": "temperature_c", "value": NaN}', "JSON"),
        ('{"device_id": "a", "kind": "alarm", "alarm_type": "fire", "device_time": "2026-06-01T08:00:00"}', "timezone"),
    ],
)
def test_ingest_with_nothing_usable_is_422(client, device_key, body, says) -> None:
    response = client.post(
        "/api/alarms/ingest", headers={**device_key, "Content-Type": "application/json"}, content=body
    )
    assert response.status_code == 422
    assert says in json.dumps(response.json())
    assert response.json()["errors"]


def test_huge_batches_are_413(client, device_key, runtime) -> None:
    limit = runtime.alarms.settings.max_batch
    small = [{"device_id": f"d{i}", "kind": "heartbeat"} for i in range(limit + 1)]
    response = _ingest(client, device_key, small)
    assert response.status_code == 413 and f"at most {limit}" in response.json()["detail"]
    too_big = [{**FIRE, "message_id": str(i), "detail": "x" * 400} for i in range(200)]  # > the 64 KiB test limit
    assert _ingest(client, device_key, too_big).status_code == 413


def test_roles(client, keys, device_key) -> None:
    assert _ingest(client, {}, FIRE).status_code == 401
    assert _ingest(client, keys.headers("viewer"), FIRE).status_code == 403
    assert _ingest(client, keys.headers("operator"), {**FIRE, "message_id": "op"}).status_code == 200
    for path in ("/api/alarms", "/api/alarms/devices", "/api/cameras", "/api/alarms/report"):
        assert client.get(path, headers=device_key).status_code == 403, path
        assert client.get(path, headers=keys.headers("viewer")).status_code == 200, path
    alarm_id = client.get("/api/alarms", headers=keys.headers("viewer")).json()["items"][0]["id"]
    assert client.post(f"/api/alarms/{alarm_id}/ack", headers=keys.headers("viewer")).status_code == 403
    assert (
        client.post(
            "/api/alarms/devices", headers=keys.headers("operator"), json={"id": "n", "type": "smoke_detector"}
        ).status_code
        == 403
    )


def test_a_device_key_can_be_created_through_the_api(client, keys) -> None:
    response = client.post("/api/keys", headers=keys.headers("admin"), json={"name": "gw-2", "role": "device"})
    assert response.status_code == 201 and response.json()["role"] == "device"


# -- alarms: search, detail, steps ---------------------------------------------------------------------


def test_search_puts_open_fires_first_and_pages(client, keys, device_key) -> None:
    messages = [
        {"device_id": f"dev-{i}", "kind": "alarm", "alarm_type": t}
        for i, t in enumerate(["low_battery", "fault", "fire", "gas_leak", "fire"])
    ]
    assert _ingest(client, device_key, messages).json()["accepted"] == 5
    viewer = keys.headers("viewer")
    items = client.get("/api/alarms", headers=viewer).json()["items"]
    assert [a["severity"] for a in items] == ["critical", "critical", "high", "medium", "low"]
    first, second = client.get("/api/alarms?limit=3", headers=viewer).json(), None
    second = client.get(f"/api/alarms?limit=3&after={first['next']}", headers=viewer).json()
    assert [a["id"] for a in first["items"] + second["items"]] == [a["id"] for a in items]
    assert second["next"] is None
    fires = client.get("/api/alarms?type=fire&active=true", headers=viewer).json()["items"]
    assert len(fires) == 2
    assert client.get("/api/alarms?after=garbage", headers=viewer).status_code == 422
    assert client.get("/api/alarms?severity=extreme", headers=viewer).status_code == 422
    assert client.get("/api/alarms?since=2026-06-01T08:00:00", headers=viewer).status_code == 422


def test_alarm_detail_and_the_duty_steps_over_http(client, keys, device_key, runtime) -> None:
    _register(client, keys)
    _ingest(client, device_key, FIRE)
    operator, viewer = keys.headers("operator"), keys.headers("viewer")
    alarm_id = client.get("/api/alarms", headers=viewer).json()["items"][0]["id"]
    assert client.post(f"/api/alarms/{alarm_id}/shown", headers=operator).json()["shown_at"] is not None
    assert client.post(f"/api/alarms/{alarm_id}/resolve", headers=operator).status_code == 409
    acked = client.post(f"/api/alarms/{alarm_id}/ack", headers=operator, json={"comment": "checking"})
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
    again = client.post(f"/api/alarms/{alarm_id}/ack", headers=operator)
    assert again.status_code == 409 and "already acknowledged" in again.json()["detail"]
    assert (
        client.post(f"/api/alarms/{alarm_id}/confirm", headers=operator, json={"outcome": "maybe"}).status_code == 422
    )
    confirmed = client.post(
        f"/api/alarms/{alarm_id}/confirm", headers=operator, json={"outcome": "false_alarm", "comment": "steam"}
    )
    assert confirmed.json()["outcome"] == "false_alarm"
    detail = client.get(f"/api/alarms/{alarm_id}", headers=viewer).json()
    assert [(s["action"], s["by"]) for s in detail["audit"]] == [
        ("raised", "device:http"),
        ("shown", "operator-key"),
        ("acknowledged", "operator-key"),
        ("confirmed", "operator-key"),
    ]
    assert detail["audit"][2]["comment"] == "checking"
    assert detail["device"]["name"] == "3F stair" and detail["device"]["open_alarms"] == ["fire"]
    assert detail["timings"]["device_to_received_s"] is not None
    assert detail["timings"]["stored_to_shown_s"] >= 0
    # the runtime fixture's camera cam1 is in building B1, with lane-a blocked by active violations
    [lane] = detail["lanes"]
    assert (lane["camera"], lane["zone"], lane["blocked"]) == ("cam1", "lane-a", True)
    assert lane["active_violation_id"] == "cam1-lane-a-0002"
    assert client.get(lane["latest_violation"]["snapshot_url"], headers=viewer).status_code == 200
    assert lane["frame_url"].startswith("/api/cameras/cam1/frame.jpg")
    published = [t for t, _ in runtime.bus.published]
    assert published == ["alarm.new", "alarm.update", "alarm.update", "alarm.update"]


def test_lanes_are_clear_when_the_violations_ended_and_follow_explicit_links(client, keys, device_key, runtime) -> None:
    with Session(runtime.engine) as session:
        for row in session.exec(select(ViolationRow)):
            row.end_s, row.ended_at = row.last_seen_s + 5, row.violation_at
            session.add(row)
        session.commit()
    _register(client, keys, "heat-x", building="B9", linked_lanes=[{"camera": "cam1", "zone": "lane-a"}])
    _ingest(client, device_key, {"device_id": "heat-x", "kind": "alarm", "alarm_type": "fire"})
    alarm_id = client.get("/api/alarms", headers=keys.headers("viewer")).json()["items"][0]["id"]
    [lane] = client.get(f"/api/alarms/{alarm_id}", headers=keys.headers("viewer")).json()["lanes"]
    assert lane["blocked"] is False and lane["active_violation_id"] is None
    assert lane["latest_violation"]["id"] == "cam1-lane-a-0002" and lane["latest_violation"]["active"] is False


def test_unknown_ids_are_404(client, keys) -> None:
    operator = keys.headers("operator")
    assert client.get("/api/alarms/" + "0" * 32, headers=operator).status_code == 404
    for step in ("ack", "resolve", "shown"):
        assert client.post(f"/api/alarms/{'0' * 32}/{step}", headers=operator).status_code == 404
    assert client.post(f"/api/alarms/{'0' * 32}/confirm", headers=operator, json={"outcome": "test"}).status_code == 404
    for method in ("get", "delete"):
        assert getattr(client, method)("/api/alarms/devices/nope", headers=keys.headers("admin")).status_code == 404
    assert client.get("/api/alarms/devices/nope/history", headers=operator).status_code == 404


def test_report_route(client, keys, device_key) -> None:
    _ingest(client, device_key, FIRE)
    report = client.get("/api/alarms/report", headers=keys.headers("viewer")).json()
    assert report["alarms"] == 1 and report["rules"][0]["rule"] == "device_to_centre"
    assert (
        client.get(
            "/api/alarms/report?since=2026-06-02T00:00:00Z&until=2026-06-01T00:00:00Z", headers=keys.headers("viewer")
        ).status_code
        == 422
    )


# -- devices -------------------------------------------------------------------------------------------


def test_device_registry(client, keys, device_key) -> None:
    admin, viewer = keys.headers("admin"), keys.headers("viewer")
    created = _register(
        client, keys, "elec-1", type="electrical_fire_monitor", rules={"heartbeat_s": 120}, enterprise="Acme"
    )
    assert created["heartbeat_s"] == 120 and created["registered"] is True
    assert (
        client.post("/api/alarms/devices", headers=admin, json={"id": "elec-1", "type": "smoke_detector"}).status_code
        == 409
    )
    bad_rules = client.post(
        "/api/alarms/devices", headers=admin, json={"id": "e2", "type": "smoke_detector", "rules": {"heartbeat_s": 1}}
    )
    assert bad_rules.status_code == 422 and bad_rules.json()["detail"].startswith("rules:")
    assert client.post("/api/alarms/devices", headers=admin, json={"id": "e3", "type": "toaster"}).status_code == 422
    # an unknown device's message registers it, flagged for review
    _ingest(
        client,
        device_key,
        {"device_id": "gw-9", "kind": "alarm", "alarm_type": "fault", "device_type": "transmission_device"},
    )
    unreviewed = client.get("/api/alarms/devices?registered=false", headers=viewer).json()["items"]
    assert [d["id"] for d in unreviewed] == ["gw-9"] and unreviewed[0]["open_alarms"] == ["fault"]
    conflict = client.post("/api/alarms/devices", headers=admin, json={"id": "gw-9", "type": "transmission_device"})
    assert conflict.status_code == 409 and "registered" in conflict.json()["detail"]
    patched = client.patch("/api/alarms/devices/gw-9", headers=admin, json={"registered": True, "building": "B2"})
    assert patched.json()["registered"] is True and patched.json()["building"] == "B2"
    assert client.patch("/api/alarms/devices/gw-9", headers=admin, json={"colour": "red"}).status_code == 422
    page = client.get("/api/alarms/devices?limit=1", headers=viewer).json()
    assert [d["id"] for d in page["items"]] == ["elec-1"] and page["next"] == "elec-1"
    assert [
        d["id"] for d in client.get(f"/api/alarms/devices?after={page['next']}", headers=viewer).json()["items"]
    ] == ["gw-9"]
    assert client.delete("/api/alarms/devices/gw-9", headers=admin).status_code == 409  # its fault is open
    assert client.delete("/api/alarms/devices/elec-1", headers=admin).status_code == 204
    assert client.get("/api/alarms/devices/elec-1", headers=viewer).status_code == 404


def test_device_history(client, keys, device_key) -> None:
    _register(client, keys, "temp-1", type="heat_detector")
    readings = [
        {"device_id": "temp-1", "kind": "reading", "quantity": "temperature_c", "value": 20 + i} for i in range(5)
    ]
    _ingest(client, device_key, [*readings, {"device_id": "temp-1", "kind": "heartbeat"}])
    history = client.get("/api/alarms/devices/temp-1/history?limit=3", headers=keys.headers("viewer")).json()
    assert [m["value"] for m in history["messages"]] == [24, 23, 22]
    assert history["alarms"] == []


def test_maintenance_flag_can_be_cleared(client, keys, device_key, runtime) -> None:
    _register(client, keys, "smoky")
    operator = keys.headers("operator")
    for _ in range(runtime.alarms.settings.maintenance_false_alarms_per_day + 1):
        _ingest(client, device_key, {"device_id": "smoky", "kind": "alarm", "alarm_type": "fire"})
        alarm_id = client.get("/api/alarms?device=smoky&active=true", headers=operator).json()["items"][0]["id"]
        client.post(f"/api/alarms/{alarm_id}/confirm", headers=operator, json={"outcome": "false_alarm"})
        assert client.post(f"/api/alarms/{alarm_id}/resolve", headers=operator).status_code == 200
    flagged = client.get("/api/alarms/devices?maintenance=true", headers=operator).json()["items"]
    assert [d["id"] for d in flagged] == ["smoky"]
    cleared = client.patch("/api/alarms/devices/smoky", headers=keys.headers("admin"), json={"maintenance": False})
    assert cleared.json()["maintenance"] is False and cleared.json()["maintenance_reason"] is None
