"""What a daily user of the dashboard expects: it opens with the lanes blocked now (one line per lane,
how long, how many vehicles), the feed opens with the active violations and keeps one line per
violation, it says when the server is out of reach, and it fits a phone."""

from __future__ import annotations

import re

import pytest

from tests.support.serve import wait_for

from .conftest import CAMERA, PHONE, front_row_zone, until

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(300)]


def _blocking(service, zone: str) -> list[dict]:
    items = service.api.get("/api/violations", params={"active": "true", "zone": zone, "limit": 500}).json()["items"]
    return [v for v in items if v["camera"] == CAMERA and v["state"] != "resolved"]


def test_dashboard_opens_with_the_blocked_lanes_one_line_each_counting_live(open_page, service) -> None:
    assert wait_for(lambda: len(_blocking(service, "front-row")) > 1, 120, 1.0)  # the parked row: several cars
    page = open_page("/", role="viewer", locale="zh-CN")
    lane = page.locator(f"#blocked-lanes li[data-camera='{CAMERA}'][data-zone='front-row']")
    lane.wait_for()
    assert page.locator("#blocked-lanes li[data-zone='front-row']").count() == 1  # one line per lane, not per car
    assert page.locator("#blocked").is_visible() and page.locator("#blocked-empty").is_hidden()
    count = int(lane.get_attribute("data-count"))
    assert abs(count - len(_blocking(service, "front-row"))) <= 1  # the pipeline may add or end one meanwhile
    text = lane.inner_text()
    assert "Gate lane" in text and "Fire lane A" in text and f"{count} 辆车" in text
    first = lane.locator(".how-long").inner_text()
    assert first.startswith("已占用")
    until(
        page,
        f"document.querySelector(\"#blocked-lanes li[data-zone='front-row'] .how-long\").textContent !== {first!r}",
        5,
    )
    # The panel is the first thing under the heading.
    assert page.evaluate("document.querySelector('#blocked').getBoundingClientRect().top") < page.evaluate(
        "document.querySelector('#camera-grid').getBoundingClientRect().top"
    )


def test_feed_opens_with_active_violations_and_keeps_one_line_per_violation(open_page, service) -> None:
    assert wait_for(lambda: _blocking(service, "front-row"), 120, 1.0)
    page = open_page("/", role="operator")
    page.wait_for_selector("#live-state:has-text('Live: connected')")
    # Before anything new arrives: the violations still in their lanes are in the feed.
    active = {v["id"] for v in _blocking(service, "front-row")}
    until(page, "document.querySelectorAll('#live-feed li[data-violation]').length > 0", 10)
    shown = set(
        page.evaluate(
            "[...document.querySelectorAll('#live-feed li[data-violation]')].map((li) => li.dataset.violation)"
        )
    )
    assert active & shown

    # A lane of its own: its violations arrive, then an operator acknowledges and resolves them all.
    zone = {**front_row_zone(), "id": "daily-lane", "name": "Daily lane"}
    assert service.api.post(f"/api/cameras/{CAMERA}/zones", json=zone).status_code == 201
    try:
        lane = page.locator(f"#blocked-lanes li[data-camera='{CAMERA}'][data-zone='daily-lane']")
        lane.wait_for(timeout=120_000)
        mine = wait_for(lambda: _blocking(service, "daily-lane"), 10)
        assert mine
        target = mine[0]["id"]
        page.wait_for_selector(f"#live-feed li[data-violation='{target}']")
        assert service.api.post(f"/api/violations/{target}/ack", json={"comment": "on it"}).status_code == 200
        page.locator(f"#live-feed li[data-violation='{target}']", has_text="acknowledged").wait_for()
        assert service.api.post(f"/api/violations/{target}/resolve").status_code == 200
        page.locator(f"#live-feed li[data-violation='{target}']", has_text="resolved").wait_for()
        assert page.locator(f"#live-feed li[data-violation='{target}']").count() == 1  # updated in place
        gone = "!document.querySelector(\"#blocked-lanes li[data-zone='daily-lane']\")"

        def cleared() -> bool:  # an operator clears the lane (a car seen anew would block it again)
            for violation in _blocking(service, "daily-lane"):
                service.api.post(f"/api/violations/{violation['id']}/resolve")
            page.wait_for_timeout(1000)
            return page.evaluate(gone)

        assert wait_for(cleared, 30, 0.5)  # the lane leaves "blocked now" once nothing blocks it
    finally:
        assert service.api.delete(f"/api/cameras/{CAMERA}/zones/daily-lane").status_code == 204


def test_dashboard_says_when_the_server_is_out_of_reach(open_page, service) -> None:
    page = open_page("/", role="viewer", locale="zh-CN")
    open_page.allow_unreachable()
    page.wait_for_selector(f"#camera-grid li[data-camera='{CAMERA}'] .badge.state-online", timeout=60_000)
    assert page.locator("#connection-banner").is_hidden()
    page.context.set_offline(True)
    banner = page.locator("#connection-banner")
    banner.wait_for(state="visible", timeout=15_000)
    assert "与服务器的连接已断开" in banner.inner_text()
    page.wait_for_selector(f"#camera-grid li[data-camera='{CAMERA}'] .badge.state-unknown", timeout=15_000)
    assert page.locator(f"#camera-grid li[data-camera='{CAMERA}'] .badge.state-online").count() == 0
    page.context.set_offline(False)
    banner.wait_for(state="hidden", timeout=30_000)
    page.wait_for_selector(f"#camera-grid li[data-camera='{CAMERA}'] .badge.state-online", timeout=15_000)


def test_dashboard_fits_a_phone(open_page, service) -> None:
    assert wait_for(lambda: _blocking(service, "front-row"), 120, 1.0)
    page = open_page("/", role="operator", viewport=PHONE, locale="zh-CN")
    page.locator("#blocked-lanes li").first.wait_for()
    page.wait_for_selector("#history-table tbody tr")
    page.wait_for_selector(f"#camera-grid li[data-camera='{CAMERA}'] .frame img", timeout=60_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    wide = page.evaluate(
        """[...document.querySelectorAll('body *')].filter((el) => !el.closest('.table-wrap'))
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1).map((el) => el.tagName + '#' + el.id)"""
    )
    assert wide == []
    assert re.search(r"已占用", page.inner_text("#blocked-lanes"))


def test_a_lane_leaves_blocked_now_when_its_violations_end(open_page, service) -> None:
    page = open_page("/", role="viewer")
    page.wait_for_selector("#live-state:has-text('Live: connected')")
    zone = {**front_row_zone(), "id": "ending-lane", "name": "Ending lane"}
    assert service.api.post(f"/api/cameras/{CAMERA}/zones", json=zone).status_code == 201
    try:
        page.locator(f"#blocked-lanes li[data-camera='{CAMERA}'][data-zone='ending-lane']").wait_for(timeout=120_000)
        ids = [v["id"] for v in _blocking(service, "ending-lane")]
    finally:
        # Removing the zone ends its stays: the pipeline sends violation.end for each.
        assert service.api.delete(f"/api/cameras/{CAMERA}/zones/ending-lane").status_code == 204
    page.locator("#blocked-lanes li[data-zone='ending-lane']").wait_for(state="detached", timeout=20_000)
    for violation_id in ids:  # and each violation's one feed line now says it ended
        page.locator(f"#live-feed li[data-violation='{violation_id}'][data-type='violation.end']").wait_for()
        assert page.locator(f"#live-feed li[data-violation='{violation_id}']").count() == 1


def test_phone_view_says_when_the_server_is_out_of_reach(open_page, service) -> None:
    page = open_page("/phone", role="operator", viewport=PHONE, locale="zh-CN")
    open_page.allow_unreachable()
    page.wait_for_selector("#active-list li, #phone-status:has-text('当前无占用')", timeout=30_000)
    page.context.set_offline(True)  # the open stream stays open but silent: the page must notice
    banner = page.locator("#connection-banner")
    banner.wait_for(state="visible", timeout=45_000)
    assert "与服务器的连接已断开" in banner.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.set_offline(False)
    banner.wait_for(state="hidden", timeout=30_000)
