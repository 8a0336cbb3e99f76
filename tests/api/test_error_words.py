"""The generic error sentences are in the request's language: Chinese by default, English when asked for."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from lanewatch.words import catalogue


@pytest.fixture
def plain(app) -> TestClient:
    """A client that names no language (a script, a curl call): the deployment's language answers."""
    with TestClient(app) as c:
        yield c


def test_a_request_naming_no_language_gets_chinese(plain, keys) -> None:
    r = plain.post(
        "/api/cameras", content=b'{"name": ', headers={**keys.headers("admin"), "Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("请求内容不是有效的 JSON")
    r = plain.post("/api/cameras", json={"id": "x", "name": "x"}, headers=keys.headers("admin"))
    assert r.status_code == 422 and r.json()["detail"] == "source_url：缺少必填字段"
    assert r.json()["errors"][0]["msg"] == "source_url：缺少必填字段"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("en-US,en;q=0.9", "source_url: required field is missing"),
        ("zh-CN,zh;q=0.9", "source_url：缺少必填字段"),
        ("fr-FR", "source_url：缺少必填字段"),  # a language we do not speak: the default
    ],
)
def test_accept_language_chooses(plain, keys, accept, expected) -> None:
    headers = {**keys.headers("admin"), "Accept-Language": accept}
    r = plain.post("/api/cameras", json={"id": "x", "name": "x"}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"] == expected


def test_several_problems_and_unknown_routes_in_chinese(plain, keys) -> None:
    r = plain.post("/api/cameras", json={"id": "x", "colour": 1}, headers=keys.headers("admin"))
    assert r.status_code == 422 and r.json()["detail"].startswith("共 3 处问题：")
    assert "colour：未知字段" in r.json()["detail"]
    assert (
        plain.get("/api/no-such-thing", headers=keys.headers("admin")).json()["detail"]
        == catalogue("zh-CN")["errors.status.404"]
    )
