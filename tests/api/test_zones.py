"""Zones: the zone-file model's validation and messages over HTTP, export/import all or nothing."""

from __future__ import annotations

import json

import pytest

from .conftest import LANE

BOWTIE = [[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]]
URL = "/api/cameras/cam1/zones"


def test_crud_and_reloads(client, keys, runtime) -> None:
    admin, viewer = keys.headers("admin"), keys.headers("viewer")
    listed = client.get(URL, headers=viewer)
    assert listed.status_code == 200 and [z["id"] for z in listed.json()] == ["lane-a"]
    assert listed.json()[0]["classes"] == ["car", "truck"]
    assert listed.json()[0]["rule"] == "stopped"  # not given: a lane counts standing still only

    new = {**LANE, "id": "lane-b", "name": "Lane B", "min_overlap": 0.3, "anchor": "center", "rule": "present"}
    r = client.post(URL, json=new, headers=admin)
    assert r.status_code == 201 and r.json()["min_overlap"] == 0.3 and r.json()["rule"] == "present"
    assert client.get(f"{URL}/lane-b", headers=viewer).json()["rule"] == "present"  # stored, read back
    assert runtime.reloads == ["cam1"]
    assert [z["id"] for z in client.get(URL, headers=viewer).json()] == ["lane-a", "lane-b"]

    r = client.post(URL, json=new, headers=admin)
    assert r.status_code == 409 and "already has a zone 'lane-b'" in r.json()["detail"]

    changed = {**new, "dwell_seconds": 90.0, "polygon": [[0, 0], [0.5, 0], [0.5, 0.5], [0, 0]]}
    r = client.put(f"{URL}/lane-b", json=changed, headers=admin)
    assert r.status_code == 200 and r.json()["dwell_seconds"] == 90.0
    got = client.get(f"{URL}/lane-b", headers=viewer).json()
    assert got["polygon"] == [[0, 0], [0.5, 0], [0.5, 0.5]]  # the closing point is dropped, as in zone files

    r = client.put(f"{URL}/lane-b", json={**changed, "id": "lane-c"}, headers=admin)
    assert r.status_code == 422 and "cannot be changed" in r.json()["detail"]

    assert client.delete(f"{URL}/lane-b", headers=admin).status_code == 204
    assert client.get(f"{URL}/lane-b", headers=viewer).status_code == 404
    assert runtime.reloads == ["cam1"] * 3


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/cameras/nope/zones", None),
        ("POST", "/api/cameras/nope/zones", LANE),
        ("GET", "/api/cameras/nope/zones/export", None),
        ("PUT", "/api/cameras/nope/zones/import", {"camera": "nope", "zones": [LANE]}),
        ("GET", f"{URL}/nope", None),
        ("PUT", f"{URL}/nope", {**LANE, "id": "nope"}),
        ("DELETE", f"{URL}/nope", None),
    ],
)
def test_unknown_camera_or_zone(client, keys, runtime, method, path, body) -> None:
    r = client.request(method, path, json=body, headers=keys.headers("admin"))
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    assert runtime.reloads == []


@pytest.mark.parametrize(
    ("zone", "problem"),
    [
        ({**LANE, "polygon": BOWTIE}, "zone 'lane-a': polygon is self-intersecting (edges cross near x=0.50, y=0.50)"),
        ({**LANE, "polygon": [[0.1, 0.1], [0.2, 0.2]]}, "zone 'lane-a': polygon needs at least 3 points, got 2"),
        (
            {**LANE, "polygon": [[0.1, 0.1], [1.5, 0.2], [0.3, 0.9]]},
            "zone 'lane-a': polygon[1] (1.5, 0.2) is outside the frame",
        ),
        ({**LANE, "polygon": [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]}, "zone 'lane-a': polygon has zero area"),
        ({**LANE, "polygon": [["0.1", 0.1], [0.2, 0.2], [0.3, 0.9]]}, "polygon[0][0]: Input should be a valid number"),
        ({**LANE, "dwell_seconds": 0}, "dwell_seconds: Input should be greater than 0"),
        ({**LANE, "id": "Lane A"}, "id: String should match pattern"),
        ({**LANE, "anchor": "top"}, "anchor: Input should be 'bottom_center' or 'center'"),
        ({**LANE, "rule": "parked"}, "rule: Input should be 'stopped' or 'present'"),
        ({**LANE, "colour": "red"}, "colour: unknown field"),
        ({k: v for k, v in LANE.items() if k != "polygon"}, "polygon: required field is missing"),
    ],
)
def test_invalid_zone_is_explained(client, keys, runtime, zone, problem) -> None:
    for method, path in (("POST", URL), ("PUT", f"{URL}/lane-a")):
        r = client.request(method, path, json=zone, headers=keys.headers("admin"))
        assert r.status_code == 422, r.text
        assert problem in r.json()["detail"], r.json()
        assert r.json()["errors"]
    assert runtime.reloads == []


def test_export_then_import_round_trip(client, keys, runtime) -> None:
    admin = keys.headers("admin")
    exported = client.get(f"{URL}/export", headers=keys.headers("viewer"))
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    data = exported.json()
    assert data["camera"] == "cam1" and [z["id"] for z in data["zones"]] == ["lane-a"]
    assert "description" not in data  # no nulls, like a hand-written zone file

    from lanewatch.zones.zone_file import parse_zone_file

    assert parse_zone_file(exported.text).zones[0].name == "Lane A"

    data["zones"].append({**LANE, "id": "lane-b", "name": "Lane B"})
    r = client.put(f"{URL}/import", json=data, headers=admin)
    assert r.status_code == 200 and [z["id"] for z in r.json()["zones"]] == ["lane-a", "lane-b"]
    assert runtime.reloads == ["cam1"]
    replaced = {"camera": "cam1", "zones": [{**LANE, "id": "only", "name": "Only"}]}
    assert client.put(f"{URL}/import", json=replaced, headers=admin).status_code == 200
    assert [z["id"] for z in client.get(URL, headers=admin).json()] == ["only"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            {"camera": "cam1", "zones": [{**LANE, "id": "ok"}, {**LANE, "id": "bad", "polygon": BOWTIE}]},
            "zones[1] ('bad').polygon: polygon is self-intersecting",
        ),
        ({"camera": "cam1", "zones": [LANE, LANE]}, "duplicate zone id 'lane-a'"),
        ({"camera": "cam1", "zones": []}, "zones"),
        ({"camera": "cam2", "zones": [LANE]}, "the zone file is for camera 'cam2', not 'cam1'"),
        ({"zones": [LANE]}, "camera: required field is missing"),
        ([LANE], "request body: Input should be a valid dictionary"),
    ],
)
def test_import_is_all_or_nothing(client, keys, runtime, body, problem) -> None:
    admin = keys.headers("admin")
    before = client.get(URL, headers=admin).json()
    r = client.put(f"{URL}/import", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert problem in r.json()["detail"], r.json()
    assert client.get(URL, headers=admin).json() == before
    assert runtime.reloads == []


def test_import_reports_every_problem(client, keys) -> None:
    body = {"camera": "cam1", "zones": [{**LANE, "polygon": BOWTIE}, {**LANE, "id": "b", "dwell_seconds": -1}]}
    r = client.put(f"{URL}/import", json=body, headers=keys.headers("admin"))
    assert r.status_code == 422
    assert len(r.json()["errors"]) == 2 and "2 problems" in r.json()["detail"]


def test_export_without_zones(client, keys) -> None:
    r = client.get("/api/cameras/cam2/zones/export", headers=keys.headers("viewer"))
    assert r.status_code == 404 and "no zones to export" in r.json()["detail"]


def test_malformed_zone_json(client, keys) -> None:
    r = client.post(
        URL,
        content=b'{"id": "x", "polygon": [[0.1, 0.1],',
        headers={**keys.headers("admin"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("request body is not valid JSON")
    r = client.put(
        f"{URL}/import",
        content=json.dumps({"camera": "cam1"})[:-3],
        headers={**keys.headers("admin"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "not valid JSON" in r.json()["detail"]
