"""The dashboard's "今日通行" panel in a real browser (Debian chromium, zh-CN and en): per lane, how many
vehicles drove through today and their typical time, only for the lanes the person may see.

The district is `tests/web/district.py` (the real app in-process, no pipeline); passages are written
the way the service writes them (`PassageStore`, the pipeline's sink).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from lanewatch.store.passage_store import PassageStore
from lanewatch.track.passages import Passage
from tests.api.conftest import lane_row

from .conftest import Console
from .district import PASSWORD, District, district  # noqa: F401  (the `district` fixture)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def through(district: District) -> District:  # noqa: F811
    """willow-gate gets a lane with nothing through it; pine-gate's north lane: 3 cars of 4, 8 and 20 s today."""
    with Session(district.engine) as session:
        session.add(lane_row("willow-gate", "east-lane", "东门消防通道"))
        session.commit()
    sink = PassageStore(district.engine)
    now = datetime.now(UTC)
    for n, seconds in enumerate((4.0, 8.0, 20.0)):
        entered = now - timedelta(seconds=60 - n)  # a minute ago: today, unless the test starts at 00:00:59
        sink(
            Passage(
                "pine-gate", "north-lane", "car", n, entered, entered + timedelta(seconds=seconds), 0, seconds, n == 2
            )
        )
    return district


@pytest.fixture
def signed_in(browser, through: District, request) -> Iterator[Callable]:
    console = Console()
    contexts = []

    def opener(username: str, locale: str = "zh-CN"):
        context = browser.new_context(base_url=through.base, locale=locale)
        contexts.append(context)
        signed = context.request.post("/api/session", data={"username": username, "password": PASSWORD})
        assert signed.ok, signed.text()
        page = context.new_page()
        page.on("console", console.record)
        page.on("pageerror", lambda e: console.errors.append(f"uncaught: {e}"))
        page.goto("/")
        page.wait_for_selector("#who-name")
        return page

    yield opener
    for context in contexts:
        context.close()
    assert not console.errors, f"console errors in {request.node.name}: {console.errors}"


def test_the_panel_shows_each_lane_today_in_chinese(signed_in) -> None:
    page = signed_in("admin")
    assert page.locator("#passages-title").inner_text() == "今日通行"
    north = page.locator("#passages-lanes li[data-camera='pine-gate'][data-zone='north-lane']")
    north.wait_for()
    assert north.get_attribute("data-count") == "3"
    assert (
        north.inner_text().replace("\n", " ").strip() == "松树北门 · 北门消防通道 3 辆 · 通常 8 秒"
    )  # median of 4, 8, 20
    assert "1 辆在通道内跟丢" in north.get_attribute("title")
    east = page.locator("#passages-lanes li[data-camera='willow-gate'][data-zone='east-lane']")
    assert "今天无车辆通过" in east.inner_text() and east.get_attribute("data-count") == "0"
    assert page.locator("#passages-empty").is_hidden()


def test_a_property_manager_sees_only_its_own_lanes(signed_in) -> None:
    page = signed_in("wy-willow")
    page.locator("#passages-lanes li[data-zone='east-lane']").wait_for()
    assert page.locator("#passages-lanes li").count() == 1  # not the other community's north lane


def test_the_panel_in_english(signed_in) -> None:
    page = signed_in("admin", locale="en-US")
    north = page.locator("#passages-lanes li[data-zone='north-lane']")
    north.wait_for()
    assert page.locator("#passages-title").inner_text() == "Through today"
    assert "3 vehicles · typically 8 s" in north.inner_text()
