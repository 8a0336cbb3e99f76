"""The routes' own refusals (401, 403, 404, 409, 422, 503) are worded in the request's language: Chinese when the
request names none, English when it asks for English; the ids they name are the same in both."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

V0 = "cam1-lane-a-0000"


@pytest.fixture
def plain(app) -> TestClient:
    """A client that names no language (a script, a curl call): the deployment's language (zh-CN) answers."""
    with TestClient(app) as c:
        yield c


def _calls(keys) -> list[tuple[str, str, dict, int, str, str]]:
    """(method, path, request kwargs, status, Chinese detail, English detail)."""
    return [
        (
            "GET",
            "/api/cameras",
            {},
            401,
            "请先登录。（未带 API 密钥：请发送 'Authorization: Bearer <key>' 或 'X-API-Key: <key>'）",
            "Please sign in. (missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>')",
        ),
        ("GET", "/api/cameras", {"headers": {"X-API-Key": "lw_wrong"}}, 401, "API 密钥无效", "invalid API key"),
        (
            "DELETE",
            "/api/cameras/cam1",
            {"headers": keys.headers("viewer")},
            403,
            "“viewer-key”（viewer）无权执行此操作（cameras.edit）",
            "'viewer-key' (viewer) may not do this (cameras.edit)",
        ),
        (
            "GET",
            "/api/cameras/gate-9",
            {"headers": keys.headers("viewer")},
            404,
            "没有摄像头“gate-9”",
            "no camera 'gate-9'",
        ),
        (
            "GET",
            "/api/cameras/cam1/zones/nope",
            {"headers": keys.headers("viewer")},
            404,
            "摄像头“cam1”没有防区“nope”",
            "camera 'cam1' has no zone 'nope'",
        ),
        (
            "PUT",
            "/api/cameras/cam1/zones/lane-a",
            {
                "headers": keys.headers("admin"),
                "json": {"id": "lane-b", "name": "B", "polygon": [[0, 0], [1, 0], [1, 1]]},
            },
            422,
            "请求内容中的 id “lane-b”与地址中的防区“lane-a”不同；防区 id 不能修改",
            "the body's id 'lane-b' differs from the URL's zone 'lane-a'; zone ids cannot be changed",
        ),
    ]


def test_route_refusals_name_no_language_get_chinese(plain, keys) -> None:
    for method, path, kwargs, status, zh, _ in _calls(keys):
        r = plain.request(method, path, **kwargs)
        assert (r.status_code, r.json()["detail"]) == (status, zh), (method, path)


def test_route_refusals_in_english_when_asked(plain, keys) -> None:
    for method, path, kwargs, status, _, en in _calls(keys):
        headers = {**kwargs.get("headers", {}), "Accept-Language": "en-GB,en;q=0.9"}
        r = plain.request(method, path, **{**kwargs, "headers": headers})
        assert (r.status_code, r.json()["detail"]) == (status, en), (method, path)


def test_a_state_conflict_names_the_state_in_the_language(plain, keys) -> None:
    operator = keys.headers("operator")
    assert plain.post(f"/api/violations/{V0}/ack", json={}, headers=operator).status_code == 200
    r = plain.post(f"/api/violations/{V0}/ack", json={}, headers=operator)
    assert r.status_code == 409
    assert r.json()["detail"] == f"违停记录“{V0}”已签收（operator-key），现在不能再签收"
    r = plain.post(f"/api/violations/{V0}/ack", json={}, headers={**operator, "Accept-Language": "en"})
    assert (
        r.json()["detail"]
        == f"violation {V0!r} is already acknowledged (by 'operator-key'); it cannot be acknowledged now"
    )


def test_a_route_validation_error_keeps_its_problem_list(plain, keys) -> None:
    """Pydantic's 422 has a Chinese summary; a route's own 422 carries its sentence and no stray English."""
    r = plain.post("/api/cameras", json={"id": "x", "name": "x"}, headers=keys.headers("admin"))
    assert r.status_code == 422 and r.json()["detail"] == "source_url：缺少必填字段"
    r = plain.get("/api/violations", params={"after": "garbage"}, headers=keys.headers("viewer"))
    assert r.status_code == 422 and r.json()["detail"] == "查询参数 after 无效：请原样传入上一页返回的 next 值"


def test_a_bad_polygon_is_explained_in_the_language(plain, keys) -> None:
    """What a property manager reads in the zone editor when a lane's outline cannot be saved."""
    body = {"id": "lane-a", "name": "A", "polygon": [[0.1, 0.1], [0.9, 0.1]]}
    r = plain.put("/api/cameras/cam1/zones/lane-a", json=body, headers=keys.headers("admin"))
    assert r.status_code == 422 and r.json()["detail"] == "防区“lane-a”：多边形至少需要 3 个点，现在只有 2 个"
    r = plain.put(
        "/api/cameras/cam1/zones/lane-a", json=body, headers={**keys.headers("admin"), "Accept-Language": "en"}
    )
    assert r.json()["detail"] == "zone 'lane-a': polygon needs at least 3 points, got 2"
