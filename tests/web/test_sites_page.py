"""/sites in a real browser (chromium, zh-CN, Shanghai time): the centre's duty desks see each site's link,
offline first, judged from the heartbeat and message times stored in `uplink_sites`; a street's duty officer
sees its own street's sites only, the district all of them; the page reads the list again by itself, so a
site whose heartbeats stop turns offline on screen.

The district is `tests/web/district.py` (its own instance for this module); the sites are rows the centre's
ingest would have written, at times relative to now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, delete

from lanewatch.store.uplink_tables import UplinkSiteRow
from lanewatch.words import catalogue

from .conftest import Console, screenshot, until
from .district import PASSWORD, District, district  # noqa: F401  (the `district` fixture)
from .test_roles_acceptance import WIDE, english

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(300)]

ZH = catalogue("zh-CN")
EN = catalogue("en")
SHANGHAI = "Asia/Shanghai"
COLUMNS = ["site", "org", "state", "last-message", "last-heartbeat", "backlog", "lag", "skew"]
COLUMNS += ["messages", "duplicates", "dead-letters", "version"]


@pytest.fixture
def sites(district: District) -> dict[str, datetime]:  # noqa: F811
    """Five sites, written afresh for each test at times relative to now: two of 东街道 (柳树社区 online,
    东方化工厂 offline), two of 西街道 (松树社区 never heard from, 西山纺织厂 online) and one whose code is
    no organisation yet (online). Their heartbeat times."""
    now = datetime.now(UTC)
    heartbeats = {
        "sq-willow": now - timedelta(seconds=5),
        "qy-plant": now - timedelta(minutes=15),
        "qy-mill": now - timedelta(seconds=20),
    }
    with Session(district.engine) as session:
        session.exec(delete(UplinkSiteRow))
        session.add(
            UplinkSiteRow(
                site="sq-willow",
                org_pk=district.org["sq-willow"],
                last_message_at=now - timedelta(seconds=30),
                last_heartbeat_at=heartbeats["sq-willow"],
                backlog=3,
                lag_s=42.0,
                clock_skew_s=-6.2,
                messages=1234,
                duplicates=2,
                dead_letters=1,
                edge_version="0.1.0",
            )
        )
        session.add(
            UplinkSiteRow(
                site="qy-plant",
                org_pk=district.org["qy-plant"],
                last_message_at=now - timedelta(minutes=20),
                last_heartbeat_at=heartbeats["qy-plant"],
                backlog=250,
                lag_s=1500.0,
                clock_skew_s=3600.0,
                messages=80,
                edge_version="0.1.0",
            )
        )
        session.add(UplinkSiteRow(site="sq-pine", org_pk=district.org["sq-pine"]))
        session.add(
            UplinkSiteRow(
                site="qy-mill",
                org_pk=district.org["qy-mill"],
                last_heartbeat_at=heartbeats["qy-mill"],
                backlog=0,
                lag_s=0.0,
                clock_skew_s=0.4,
                edge_version="0.1.0",
            )
        )
        session.add(UplinkSiteRow(site="stray", last_message_at=now, dead_letters=3))
        session.commit()
    return heartbeats


@pytest.fixture
def open_sites(browser, district: District, request) -> Iterator[Callable]:  # noqa: F811
    """open_sites(username, path, locale) → a page (zh-CN unless asked) in Shanghai time, signed in; console errors fail the test."""
    console = Console()
    contexts = []

    def opener(username: str, path: str = "/sites", locale: str = "zh-CN"):
        context = browser.new_context(viewport=WIDE, base_url=district.base, locale=locale, timezone_id=SHANGHAI)
        contexts.append(context)
        assert context.request.post("/api/session", data={"username": username, "password": PASSWORD}).ok
        page = context.new_page()
        page.on("console", console.record)
        page.on("pageerror", lambda e: console.errors.append(f"uncaught: {e}"))
        page.goto(path)
        page.wait_for_selector("#who-name")
        if path == "/sites":
            until(page, "document.querySelector('#sites-status').textContent.includes(' · ')")  # counted
        return page

    yield opener
    for context in contexts:
        context.close()
    assert not console.errors, f"console errors in {request.node.name}: {console.errors}"


def rows(page) -> list[tuple[str, str]]:
    """(site, state) of each row, top to bottom."""
    return [
        tuple(pair)
        for pair in page.evaluate(
            "[...document.querySelectorAll('#sites-table tbody tr')].map((r) => [r.dataset.site, r.dataset.state])"
        )
    ]


def cells(page, site: str) -> dict[str, str]:
    texts = page.locator(f"#sites-table tr[data-site='{site}'] td").all_inner_texts()
    return dict(zip(COLUMNS, texts, strict=True))


def test_the_district_sees_every_site_offline_first_in_chinese(open_sites, sites) -> None:
    page = open_sites("admin")
    assert rows(page) == [
        ("qy-plant", "offline"),
        ("sq-pine", "never"),
        ("qy-mill", "online"),
        ("sq-willow", "online"),
        ("stray", "online"),
    ]
    assert page.title() == ZH["web.sites.title"] and page.inner_text("h1") == "站点连接"
    headers = page.locator("#sites-table th").all_inner_texts()
    assert headers == [ZH[f"web.sites.col.{column}"] for column in COLUMNS]
    assert headers[:5] == ["站点", "所属机构", "连接", "最后消息", "最后心跳"]
    assert page.inner_text("#sites-status").startswith("共 5 个站点，1 个离线")

    willow = cells(page, "sq-willow")
    assert (willow["org"], willow["state"], willow["backlog"], willow["lag"], willow["skew"]) == (
        "柳树社区",
        "在线",
        "3",
        "42 秒",
        "\u22126.2 秒",
    )
    assert (willow["messages"], willow["duplicates"], willow["dead-letters"], willow["version"]) == (
        "1,234",
        "2",
        "1",
        "0.1.0",
    )
    beat = sites["sq-willow"].astimezone(ZoneInfo(SHANGHAI))  # the heartbeat in the browser's local time
    assert f"{beat.month}月{beat.day}日" in willow["last-heartbeat"], willow
    assert f"{beat:%H:%M:%S}" in willow["last-heartbeat"], willow
    plant = cells(page, "qy-plant")
    assert (plant["state"], plant["backlog"], plant["lag"], plant["skew"]) == (
        "离线",
        "250",
        "25 分 0 秒",
        "+1 小时 0 分",
    )
    pine = cells(page, "sq-pine")
    assert (pine["state"], pine["last-message"], pine["last-heartbeat"], pine["backlog"]) == ("从未连接", "—", "—", "—")
    assert cells(page, "stray")["org"] == ZH["web.sites.no-org"]
    assert english(page) == []
    screenshot(page, "sites-zh-CN")


def test_an_english_browser_reads_the_same_table_in_english(open_sites, sites) -> None:
    page = open_sites("admin", locale="en-GB")
    assert page.inner_text("h1") == "Site links" and page.title() == EN["web.sites.title"]
    assert page.locator("#sites-table th").all_inner_texts() == [EN[f"web.sites.col.{c}"] for c in COLUMNS]
    assert [cells(page, site)["state"] for site in ("qy-plant", "sq-pine", "sq-willow")] == [
        "Offline",
        "Never connected",
        "Online",
    ]
    assert cells(page, "sq-willow")["lag"] == "42 s" and page.inner_text("#sites-status").startswith(
        "5 sites, 1 offline"
    )


def test_a_street_duty_officer_sees_only_its_streets_sites(open_sites, sites) -> None:
    page = open_sites("duty-east")
    assert rows(page) == [("qy-plant", "offline"), ("sq-willow", "online")]  # not 西街道's, not the stray
    assert page.inner_text("#sites-status").startswith("共 2 个站点，1 个离线")
    community = open_sites("wy-willow")
    assert rows(community) == [("sq-willow", "online")]


def test_the_bar_links_the_sites_page_where_there_are_sites(open_sites, sites) -> None:
    page = open_sites("duty-east", "/console")
    link = page.locator(".topbar nav a[href='/sites']")
    link.wait_for()
    assert link.inner_text() == "站点连接"
    link.click()
    page.wait_for_url("**/sites")
    until(page, "document.querySelectorAll('#sites-table tbody tr').length === 2")
    assert page.locator(".topbar nav a[aria-current='page']").inner_text() == "站点连接"


def test_a_site_whose_heartbeats_stop_turns_offline_without_a_reload(open_sites, sites, district: District) -> None:  # noqa: F811
    page = open_sites("admin")
    assert ("qy-mill", "online") in rows(page)
    with Session(district.engine) as session:
        mill = session.get(UplinkSiteRow, "qy-mill")
        assert mill is not None
        mill.last_heartbeat_at = datetime.now(UTC) - timedelta(minutes=10)  # the centre heard nothing since
        session.add(mill)
        session.commit()
    until(page, "document.querySelector(\"#sites-table tr[data-site='qy-mill']\").dataset.state === 'offline'", 60)
    assert rows(page)[:2] == [("qy-mill", "offline"), ("qy-plant", "offline")]  # now among the offline, first
    assert page.inner_text("#sites-status").startswith("共 5 个站点，2 个离线")
