"""API keys and roles: every route refuses a missing, unknown or revoked key and a role below its own."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import Session, select

from lanewatch.api.auth import create_api_key
from lanewatch.store.tables import ApiKeyRow

from .conftest import LANE

# (method, path, lowest role, JSON body): every route that needs a key.
ROUTES = [
    ("GET", "/api/cameras", "viewer", None),
    ("POST", "/api/cameras", "admin", {"id": "cam9", "name": "New", "source_url": "rtsp://h/s"}),
    ("GET", "/api/cameras/cam1", "viewer", None),
    ("PATCH", "/api/cameras/cam1", "admin", {"name": "Renamed"}),
    ("DELETE", "/api/cameras/cam2", "admin", None),
    ("GET", "/api/cameras/cam1/frame.jpg", "viewer", None),
    ("GET", "/api/cameras/cam1/zones", "viewer", None),
    ("POST", "/api/cameras/cam1/zones", "admin", {**LANE, "id": "lane-b"}),
    ("GET", "/api/cameras/cam1/zones/export", "viewer", None),
    ("PUT", "/api/cameras/cam1/zones/import", "admin", {"camera": "cam1", "zones": [LANE]}),
    ("GET", "/api/cameras/cam1/zones/lane-a", "viewer", None),
    ("PUT", "/api/cameras/cam1/zones/lane-a", "admin", LANE),
    ("DELETE", "/api/cameras/cam1/zones/lane-a", "admin", None),
    ("GET", "/api/violations", "viewer", None),
    ("GET", "/api/violations/cam1-lane-a-0000", "viewer", None),
    ("POST", "/api/violations/cam1-lane-a-0000/ack", "operator", {"comment": "on it"}),
    ("POST", "/api/violations/cam1-lane-a-0001/resolve", "operator", {}),
    ("GET", "/api/violations/cam1-lane-a-0000/snapshot.jpg", "viewer", None),
    ("GET", "/api/keys", "admin", None),
    ("POST", "/api/keys", "admin", {"name": "ci", "role": "viewer"}),
    ("DELETE", "/api/keys/1", "admin", None),
    ("GET", "/metrics", "viewer", None),
]
ROLES = ("viewer", "operator", "admin")
OK = {200, 201, 204}


def _call(client, method, path, body, headers):
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "role", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_route_needs_a_valid_key_with_enough_role(client, keys, method, path, role, body) -> None:
    for headers, why in [
        ({}, "missing API key"),
        ({"Authorization": "Bearer lw_wrong"}, "invalid API key"),
        ({"X-API-Key": "lw_wrong"}, "invalid API key"),
        (keys.headers("revoked"), "revoked"),
        ({"Authorization": "Basic abc"}, "missing"),
    ]:
        r = _call(client, method, path, body, headers)
        assert r.status_code == 401, (headers, r.text)
        assert why in r.json()["detail"]
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    for lower in ROLES[: ROLES.index(role)]:
        r = _call(client, method, path, body, keys.headers(lower))
        assert r.status_code == 403, (lower, r.text)
        detail = r.json()["detail"]
        assert f"({lower}) may not do this" in detail, detail  # names the key's role and what it lacks
    r = _call(client, method, path, body, keys.headers(role))
    assert r.status_code in OK, r.text


def test_higher_roles_include_lower_ones_and_both_headers_work(client, keys) -> None:
    assert client.get("/api/violations", headers={"X-API-Key": keys.admin}).status_code == 200
    assert client.get("/api/violations", headers={"Authorization": f"Bearer {keys.operator}"}).status_code == 200


def test_health_needs_no_key(client) -> None:
    assert client.get("/api/health").status_code == 200


def test_only_the_hash_is_stored(runtime) -> None:
    key = create_api_key(runtime.engine, role="operator", name="desk")
    assert key.startswith("lw_") and len(key) > 40
    with Session(runtime.engine) as session:
        row = session.exec(select(ApiKeyRow).where(ApiKeyRow.name == "desk")).one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert row.prefix == key[: len(row.prefix)] and len(row.prefix) < len(key) // 2
    assert key not in {row.key_hash, row.prefix, row.name}


def test_unknown_role_or_empty_name_is_refused(runtime) -> None:
    with pytest.raises(ValueError, match="viewer, operator, admin"):
        create_api_key(runtime.engine, role="root", name="x")
    with pytest.raises(ValueError, match="name"):
        create_api_key(runtime.engine, role="viewer", name="")


def test_key_management(client, keys, runtime) -> None:
    admin = keys.headers("admin")
    listed = client.get("/api/keys", headers=admin)
    assert listed.status_code == 200
    assert {k["name"] for k in listed.json()} >= {"viewer-key", "operator-key", "admin-key", "old-admin"}
    for secret in (keys.viewer, keys.admin, hashlib.sha256(keys.viewer.encode()).hexdigest()):
        assert secret not in listed.text
    assert "key_hash" not in listed.text

    created = client.post("/api/keys", json={"name": "dashboard", "role": "viewer"}, headers=admin)
    assert created.status_code == 201
    new = created.json()
    assert new["key"].startswith(new["prefix"]) and new["role"] == "viewer" and new["revoked_at"] is None
    assert client.get("/api/cameras", headers={"X-API-Key": new["key"]}).status_code == 200
    assert new["key"] not in client.get("/api/keys", headers=admin).text

    assert client.delete(f"/api/keys/{new['pk']}", headers=admin).status_code == 204
    assert client.delete(f"/api/keys/{new['pk']}", headers=admin).status_code == 204  # harmless twice
    r = client.get("/api/cameras", headers={"X-API-Key": new["key"]})
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    revoked = [k for k in client.get("/api/keys", headers=admin).json() if k["pk"] == new["pk"]]
    assert revoked[0]["revoked_at"] is not None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"name": "x", "role": "root"}, "role"),
        ({"name": "", "role": "viewer"}, "name"),
        ({"name": "   ", "role": "viewer"}, "name: the key's name must be 1 to 200 characters"),
        ({"role": "viewer"}, "name: required field is missing"),
        ({"name": "x", "role": "viewer", "hash": "abc"}, "hash: unknown field"),
    ],
)
def test_key_creation_is_validated(client, keys, body, problem) -> None:
    r = client.post("/api/keys", json=body, headers=keys.headers("admin"))
    assert r.status_code == 422
    assert problem in r.json()["detail"]


@pytest.mark.parametrize("pk", ["999", "0", "abc", str(2**40)])
def test_revoking_an_unknown_key(client, keys, pk) -> None:
    r = client.delete(f"/api/keys/{pk}", headers=keys.headers("admin"))
    assert r.status_code == (404 if pk == "999" else 422)


def test_last_used_is_recorded(client, keys, runtime) -> None:
    client.get("/api/cameras", headers=keys.headers("viewer"))
    with Session(runtime.engine) as session:
        row = session.exec(select(ApiKeyRow).where(ApiKeyRow.name == "viewer-key")).one()
    assert row.last_used_at is not None
