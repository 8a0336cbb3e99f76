"""GET /api/sites: each site's link judged online / offline / never, inside the caller's scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from lanewatch.store.tables import utcnow
from lanewatch.store.uplink_tables import UplinkSiteRow

from .scope_world import World, world_fixture  # noqa: F401  (the `world` fixture)


@pytest.fixture
def sites(world: World) -> World:
    """c1 heard from 10 s ago (a heartbeat), c2 last 10 minutes ago, e1 never, and a site of no organisation."""
    now = utcnow()
    with Session(world.runtime.engine) as session:
        session.add(
            UplinkSiteRow(
                site="c1",
                org_pk=world.org["c1"],
                last_message_at=now - timedelta(minutes=30),
                last_heartbeat_at=now - timedelta(seconds=10),
                backlog=4,
                lag_s=12.5,
                clock_skew_s=-6.2,
                messages=9,
                duplicates=1,
                dead_letters=2,
                edge_version="0.1.0",
            )
        )
        session.add(UplinkSiteRow(site="c2", org_pk=world.org["c2"], last_message_at=now - timedelta(minutes=10)))
        session.add(UplinkSiteRow(site="e1", org_pk=world.org["e1"]))
        session.add(UplinkSiteRow(site="stray", last_message_at=now, dead_letters=3))
        session.commit()
    return world


def _sites(client, world: World, caller: str) -> dict[str, dict]:
    answer = client.get("/api/sites", headers=world.headers(caller))
    assert answer.status_code == 200, answer.text
    return {s["site"]: s for s in answer.json()}


def test_states_and_figures(client, sites: World) -> None:
    got = _sites(client, sites, "district_admin")
    assert {k: v["state"] for k, v in got.items()} == {
        "c1": "online",
        "c2": "offline",
        "e1": "never",
        "stray": "online",
    }
    c1 = got["c1"]
    assert (c1["org_code"], c1["org_name"], c1["backlog"], c1["lag_s"], c1["clock_skew_s"]) == (
        "c1",
        "c1 名称",
        4,
        12.5,
        -6.2,
    )
    assert (c1["messages"], c1["duplicates"], c1["dead_letters"], c1["edge_version"]) == (9, 1, 2, "0.1.0")
    assert got["stray"]["org_code"] is None and got["e1"]["backlog"] is None


@pytest.mark.parametrize(
    ("caller", "sees"),
    [
        ("c1_manager", {"c1"}),
        ("e1_enterprise", {"e1"}),
        ("s1_admin", {"c1", "e1"}),
        ("brigade_viewer", {"c1", "c2", "e1"}),  # an agency sees the district's organisations, not a stray site
        ("district_admin", {"c1", "c2", "e1", "stray"}),
    ],
)
def test_a_caller_sees_only_the_sites_in_its_scope(client, sites: World, caller: str, sees: set[str]) -> None:
    assert set(_sites(client, sites, caller)) == sees


def test_the_offline_limit_is_the_centres_setting(client, sites: World) -> None:
    from lanewatch.config import CentreConfig

    class Settings:
        centre = CentreConfig(site_offline_after_s=3600)

    sites.runtime.settings = Settings()  # type: ignore[attr-defined]
    assert _sites(client, sites, "district_admin")["c2"]["state"] == "online"


def test_without_a_key_it_is_refused(client) -> None:
    assert client.get("/api/sites").status_code == 401
