"""A zone or camera named only in Chinese gets a pinyin id through the API (never an empty-id error)."""

from __future__ import annotations

from tests.api.conftest import LANE


def test_the_zones_api_makes_an_id_for_a_chinese_name(client, keys) -> None:
    url = "/api/cameras/cam1/zones"
    body = {k: v for k, v in LANE.items() if k != "id"} | {"name": "东门消防通道"}
    r = client.post(url, json=body, headers=keys.headers("admin"))
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "dong-men-xiao-fang-tong-dao" and r.json()["name"] == "东门消防通道"
    got = client.get(f"{url}/dong-men-xiao-fang-tong-dao", headers=keys.headers("viewer"))
    assert got.status_code == 200 and got.json()["name"] == "东门消防通道"
    again = client.post(url, json={**body, "id": ""}, headers=keys.headers("admin"))  # the editor sends ""
    assert again.status_code == 409 and "dong-men-xiao-fang-tong-dao" in again.json()["detail"]


def test_the_cameras_api_makes_an_id_for_a_chinese_name(client, keys) -> None:
    body = {"name": "东门 1 号摄像头", "source_url": "rtsp://10.0.0.9/stream"}
    r = client.post("/api/cameras", json=body, headers=keys.headers("admin"))
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "dong-men-1-hao-she-xiang-tou"
    assert client.get("/api/cameras/dong-men-1-hao-she-xiang-tou", headers=keys.headers("viewer")).status_code == 200
