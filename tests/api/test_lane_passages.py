"""GET /api/lanes/passages: per lane, how many drove through and how long they took, inside the caller's scope.

Passages go in through `PassageStore`, the pipeline's sink, on SQLite and
PostgreSQL (the `engine` fixture); the expected medians and percentiles are
worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lanewatch.store.passage_store import PassageStore
from lanewatch.track.passages import Passage

from .conftest import T0
from .scope_world import World, world_fixture  # noqa: F401  (the `world` fixture)


def passage(camera: str, seconds: float, minute: int, zone: str = "lane-a", lost: bool = False) -> Passage:
    entered = T0 + timedelta(minutes=minute)
    return Passage(camera, zone, "car", minute, entered, entered + timedelta(seconds=seconds), 0.0, seconds, lost)


@pytest.fixture
def through(runtime) -> None:
    """cam1/lane-a: 5 passages at minutes 0–4 of 4, 6, 8, 10 and 30 s (one lost); cam2/lane-a: one of 3 s."""
    sink = PassageStore(runtime.engine)
    for minute, seconds in enumerate((4.0, 6.0, 8.0, 10.0, 30.0)):
        sink(passage("cam1", seconds, minute, lost=minute == 4))
    sink(passage("cam2", 3.0, 0))


def lanes(client, headers, **params) -> dict[tuple[str, str], dict]:
    r = client.get("/api/lanes/passages", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return {(lane["camera"], lane["zone"]): lane for lane in r.json()["lanes"]}


def test_counts_median_and_p95_per_lane(client, world: World, through) -> None:
    got = lanes(client, world.headers("district_admin"))
    cam1 = got[("cam1", "lane-a")]
    # median of 4, 6, 8, 10, 30 is 8; p95 (linear): 10 + 0.8 × (30 − 10) = 26
    assert (cam1["count"], cam1["lost"], cam1["median_s"], cam1["p95_s"]) == (5, 1, 8.0, 26.0)
    assert cam1["zone_name"] == "Lane A" and cam1["recent"] == []
    assert (got[("cam2", "lane-a")]["count"], got[("cam2", "lane-a")]["median_s"]) == (1, 3.0)


def test_a_time_range_and_the_latest_passages(client, world: World, through) -> None:
    since, until = (T0 + timedelta(minutes=1)).isoformat(), (T0 + timedelta(minutes=4)).isoformat()
    got = lanes(client, world.headers("district_admin"), camera="cam1", since=since, until=until, recent=2)
    assert list(got) == [("cam1", "lane-a")]
    lane = got[("cam1", "lane-a")]
    assert (lane["count"], lane["median_s"]) == (3, 8.0)  # minutes 1, 2, 3: 6, 8, 10 s; `until` is exclusive
    assert [p["seconds"] for p in lane["recent"]] == [10.0, 8.0]  # newest first
    newest = lane["recent"][0]
    assert datetime.fromisoformat(newest["entered_at"]) == T0 + timedelta(minutes=3)
    assert datetime.fromisoformat(newest["left_at"]) == T0 + timedelta(minutes=3, seconds=10)


def test_a_quiet_lane_is_listed_with_nothing(client, world: World) -> None:
    lane = lanes(client, world.headers("district_admin"))[("cam1", "lane-a")]
    assert (lane["count"], lane["median_s"], lane["p95_s"]) == (0, None, None)


def test_only_lanes_in_scope(client, world: World, through) -> None:
    assert set(lanes(client, world.headers("c1_manager"))) == {("cam1", "lane-a")}
    assert set(lanes(client, world.headers("brigade_viewer"))) == {("cam1", "lane-a"), ("cam2", "lane-a")}
    r = client.get("/api/lanes/passages", params={"camera": "cam2"}, headers=world.headers("c1_manager"))
    assert r.status_code == 404 and r.json()["detail"] == "no camera 'cam2'"
    # a zone filter alone does not reach outside the scope either
    assert set(lanes(client, world.headers("s1_duty"), zone="lane-a")) == {("cam1", "lane-a")}


def test_bad_ranges_are_refused(client, world: World) -> None:
    h = world.headers("district_admin")
    r = client.get(
        "/api/lanes/passages", params={"since": "2026-06-02T00:00:00Z", "until": "2026-06-01T00:00:00Z"}, headers=h
    )
    assert r.status_code == 422 and "before" in r.json()["detail"]
    r = client.get("/api/lanes/passages", params={"since": "2026-06-01T00:00:00"}, headers=h)  # no time zone
    assert r.status_code == 422
    assert client.get("/api/lanes/passages", params={"recent": 101}, headers=h).status_code == 422
    for camera in ("nosuch", "a\x00b"):  # unknown, or what no database can hold: never a server error
        assert client.get("/api/lanes/passages", params={"camera": camera}, headers=h).status_code in (404, 422)
    r = client.get("/api/lanes/passages", params={"zone": "a\x00b"}, headers=h)  # SQLite: no such lane
    assert (r.status_code, r.json().get("lanes")) in ((200, []), (422, None)), r.text  # PostgreSQL: refused
