"""Violations: filters, cursor pages, the operator lifecycle, evidence pictures and path tricks."""

from __future__ import annotations

import os
from datetime import timedelta

import cv2
import numpy as np
import pytest
from sqlalchemy import event
from sqlmodel import Session

from lanewatch.api.routers.violations import ViolationOut
from lanewatch.events.evidence import write_jpeg
from lanewatch.store.tables import ViolationRow

from .conftest import FRAME_H, FRAME_W, T0, scene, violation_row

V0 = "cam1-lane-a-0000"


def _add(runtime, *rows: ViolationRow) -> None:
    with Session(runtime.engine) as session:
        session.add_all(rows)
        session.commit()


def test_get_one(client, keys) -> None:
    r = client.get(f"/api/violations/{V0}", headers=keys.headers("viewer"))
    assert r.status_code == 200
    v = r.json()
    assert v["state"] == "new" and v["active"] is True and v["dwell_s"] == 40.0
    assert v["violation_at"].startswith("2026-06-01T08:00:00") and v["violation_at"].endswith(("Z", "+00:00"))
    assert v["snapshot_url"] == f"/api/violations/{V0}/snapshot.jpg?annotated=1"
    assert "cam1/2026-06-01" not in r.text  # file paths stay on the server
    assert client.get("/api/violations/nope", headers=keys.headers("viewer")).status_code == 404


def test_filters(client, keys, runtime) -> None:
    _add(
        runtime,
        violation_row(
            10, camera="cam2", label="truck", zone="lane-z", end_s=700.0, ended_at=T0 + timedelta(minutes=11)
        ),
    )
    viewer = keys.headers("viewer")

    def ids(**params):
        r = client.get("/api/violations", params=params, headers=viewer)
        assert r.status_code == 200, r.text
        return sorted(v["id"] for v in r.json()["items"])

    assert len(ids()) == 4
    assert ids(camera="cam2") == ["cam1-lane-a-0010"]
    assert ids(label="truck") == ids(zone="lane-z") == ids(active="false") == ["cam1-lane-a-0010"]
    assert len(ids(active="true")) == 3
    assert ids(since="2026-06-01T08:01:00Z", until="2026-06-01T10:02:00+02:00") == ["cam1-lane-a-0001"]
    assert ids(state="acknowledged") == []
    assert len(ids(state="new")) == 4


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"since": "2026-06-01T08:00:00"}, "query parameter 'since': Input should have timezone info"),
        ({"until": "yesterday"}, "query parameter 'until'"),
        ({"state": "open"}, "query parameter 'state'"),
        ({"active": "maybe"}, "query parameter 'active'"),
        ({"limit": 0}, "query parameter 'limit'"),
        ({"limit": 501}, "query parameter 'limit'"),
        ({"after": "not-a-cursor"}, "query parameter 'after'"),
    ],
)
def test_bad_filters(client, keys, params, problem) -> None:
    r = client.get("/api/violations", params=params, headers=keys.headers("viewer"))
    assert r.status_code == 422, r.text
    assert problem in r.json()["detail"]


def test_cursor_pages_cover_everything_once(client, keys, runtime) -> None:
    # Same timestamps on purpose: the cursor must break ties by id.
    _add(runtime, *[violation_row(100 + n, violation_at=T0 + timedelta(hours=5, minutes=n // 3)) for n in range(20)])
    viewer = keys.headers("viewer")
    seen, after, pages = [], None, 0
    while True:
        params = {"limit": 6, **({"after": after} if after else {})}
        r = client.get("/api/violations", params=params, headers=viewer)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 6
        seen += [v["id"] for v in page["items"]]
        pages += 1
        after = page["next"]
        if after is None:
            break
    assert pages == 4 and len(seen) == len(set(seen)) == 23
    everything = client.get("/api/violations", params={"limit": 500}, headers=viewer).json()
    assert [v["id"] for v in everything["items"]] == seen and everything["next"] is None


def test_ack_then_resolve(client, keys, runtime) -> None:
    operator = keys.headers("operator")
    r = client.post(f"/api/violations/{V0}/ack", json={"comment": "guard sent"}, headers=operator)
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["state"] == "acknowledged" and v["acknowledged_by"] == "operator-key"
    assert v["ack_comment"] == "guard sent" and v["acknowledged_at"] is not None

    r = client.post(f"/api/violations/{V0}/ack", json={}, headers=operator)
    assert r.status_code == 409 and "already acknowledged" in r.json()["detail"]

    r = client.post(f"/api/violations/{V0}/resolve", json={"comment": "car moved"}, headers=keys.headers("admin"))
    assert r.status_code == 200
    v = r.json()
    assert v["state"] == "resolved" and v["resolved_by"] == "admin-key" and v["resolve_comment"] == "car moved"
    assert v["ack_comment"] == "guard sent"  # the acknowledgement stays on record

    for action in ("resolve", "ack"):
        r = client.post(f"/api/violations/{V0}/{action}", headers=operator)
        assert r.status_code == 409 and "already resolved" in r.json()["detail"]

    kinds = [(k, p["action"], p["after"]["state"]) for k, p in runtime.bus.published]
    assert kinds == [("violation.update", "acknowledged", "acknowledged"), ("violation.update", "resolved", "resolved")]
    payload = runtime.bus.published[0][1]
    assert (
        payload["before"]["state"] == "new" and payload["after"]["camera"] == "cam1" and payload["by"] == "operator-key"
    )


def test_resolve_straight_from_new_without_a_body(client, keys) -> None:
    r = client.post("/api/violations/cam1-lane-a-0001/resolve", headers=keys.headers("operator"))
    assert r.status_code == 200 and r.json()["state"] == "resolved" and r.json()["resolve_comment"] is None
    r = client.get("/api/violations", params={"state": "resolved"}, headers=keys.headers("viewer"))
    assert [v["id"] for v in r.json()["items"]] == ["cam1-lane-a-0001"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"comment": "x" * 2001}, 422),
        ({"comment": 5}, 422),
        ({"note": "x"}, 422),
        ([], 422),
    ],
)
def test_ack_body_is_validated(client, keys, body, status) -> None:
    r = client.post(f"/api/violations/{V0}/ack", json=body, headers=keys.headers("operator"))
    assert r.status_code == status
    assert client.get(f"/api/violations/{V0}", headers=keys.headers("viewer")).json()["state"] == "new"


def test_ack_unknown(client, keys) -> None:
    for action in ("ack", "resolve"):
        assert client.post(f"/api/violations/nope/{action}", headers=keys.headers("operator")).status_code == 404


def _image(response) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_snapshot_variants(client, keys, runtime) -> None:
    viewer = keys.headers("viewer")
    url = f"/api/violations/{V0}/snapshot.jpg"
    annotated = client.get(url, headers=viewer)
    assert annotated.content == (runtime.evidence_dir / "cam1/2026-06-01/v0.jpg").read_bytes()
    clean = client.get(url, params={"annotated": 0}, headers=viewer)
    assert clean.content == (runtime.evidence_dir / "cam1/2026-06-01/v0_clean.jpg").read_bytes()
    assert _image(annotated).shape == (FRAME_H, FRAME_W, 3)

    crop = _image(client.get(url, params={"crop": 1}, headers=viewer))
    # box 160x100 px + 25 % margin each side = 240x150
    assert crop.shape == (150, 240, 3)
    assert np.abs(crop[75, 120].astype(int) - (30, 30, 160)).max() < 30  # the 'car' in the middle

    low = client.get(url, params={"quality": 5}, headers=viewer)
    assert _image(low).shape == (FRAME_H, FRAME_W, 3) and len(low.content) < len(annotated.content)
    for bad in ({"quality": 0}, {"quality": 101}, {"annotated": "perhaps"}):
        assert client.get(url, params=bad, headers=viewer).status_code == 422


def test_snapshot_missing(client, keys, runtime) -> None:
    viewer = keys.headers("viewer")
    _add(runtime, violation_row(50, snapshot=None), violation_row(51))
    r = client.get("/api/violations/cam1-lane-a-0050/snapshot.jpg", headers=viewer)
    assert r.status_code == 404 and "has no annotated snapshot" in r.json()["detail"]
    r = client.get("/api/violations/cam1-lane-a-0051/snapshot.jpg", headers=viewer)  # never written
    assert r.status_code == 404 and "is missing" in r.json()["detail"]
    assert client.get("/api/violations/nope/snapshot.jpg", headers=viewer).status_code == 404


@pytest.mark.parametrize(
    "stored",
    [
        "../../../../../../etc/passwd",
        "/etc/passwd",
        "cam1/../../outside.jpg",
        "..",
        ".",
        "",
        "cam1/\x00x.jpg",
        "link-out/secret.jpg",
    ],
)
def test_snapshot_path_tricks_stay_inside_the_evidence_dir(client, keys, runtime, stored) -> None:
    if "\x00" in stored and runtime.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL cannot even store a NUL character")
    outside = runtime.evidence_dir.parent / "outside.jpg"
    write_jpeg(outside, scene())
    secret_dir = runtime.evidence_dir.parent / "secret"
    write_jpeg(secret_dir / "secret.jpg", scene())
    os.symlink(secret_dir, runtime.evidence_dir / "link-out")
    _add(runtime, violation_row(60, snapshot=stored))
    r = client.get("/api/violations/cam1-lane-a-0060/snapshot.jpg", headers=keys.headers("viewer"))
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/json"


@pytest.mark.parametrize("vid", ["..%2F..%2Fetc%2Fpasswd", "%2E%2E", "..%2F..%2F..%2Fetc%2Fpasswd%00", "%00"])
def test_snapshot_ids_cannot_walk_paths(client, keys, vid) -> None:
    r = client.get(f"/api/violations/{vid}/snapshot.jpg", headers=keys.headers("viewer"))
    assert r.status_code in (404, 422)
    assert b"root:" not in r.content and r.headers["content-type"] == "application/json"


def test_a_read_takes_one_connection_from_the_pool(client, keys, runtime) -> None:
    """The key check and the route share one connection and one transaction: each further checkout cost
    the polled list three round trips on PostgreSQL (the pool's ping, BEGIN and ROLLBACK)."""
    viewer = keys.headers("viewer")
    assert client.get("/api/violations", headers=viewer).status_code == 200  # the key's last use is written
    checkouts: list[object] = []
    listener = lambda *_: checkouts.append(1)  # noqa: E731
    event.listen(runtime.engine, "checkout", listener)
    try:
        for path in ("/api/violations", "/api/violations?state=new", "/api/violations/cam1-lane-a-0001"):
            checkouts.clear()
            assert client.get(path, headers=viewer).status_code == 200
            assert len(checkouts) == 1, path
    finally:
        event.remove(runtime.engine, "checkout", listener)


def test_page_items_are_written_as_the_schema_says(client, keys, runtime) -> None:
    """The page is written from plain values, not through the model: every field must still be what
    `ViolationOut` declares (times in UTC), and the same as the one-violation route answers."""
    _add(
        runtime,
        violation_row(
            20,
            end_s=1300.5,
            ended_at=T0 + timedelta(minutes=21),
            state="resolved",
            acknowledged_by="值班员",
            acknowledged_at=T0 + timedelta(minutes=22),
            ack_comment='已通知 "物业"',
            resolved_by="值班员",
            resolved_at=T0 + timedelta(minutes=23),
            resolve_comment="车已挪走",
            unreliable=True,
            unreliable_reason="camera_moved",
            snapshot_clean=None,
        ),
    )
    viewer = keys.headers("viewer")
    items = client.get("/api/violations", headers=viewer).json()["items"]
    assert len(items) == 4
    for item in items:
        assert ViolationOut.model_validate(item).model_dump(mode="json") == item
        assert client.get(f"/api/violations/{item['id']}", headers=viewer).json() == item
        assert item["updated_at"].endswith("Z") and item["violation_at"].endswith("Z")
    ended = next(item for item in items if item["id"] == "cam1-lane-a-0020")
    assert ended["active"] is False and ended["dwell_s"] == pytest.approx(1300.5 - 1200.0)
    assert ended["ended_at"] == "2026-06-01T08:21:00Z" and ended["resolved_at"] == "2026-06-01T08:23:00Z"
    assert ended["ack_comment"] == '已通知 "物业"' and ended["unreliable_reason"] == "camera_moved"
    assert ended["clean_snapshot_url"] is None and ended["snapshot_url"].endswith("?annotated=1")
