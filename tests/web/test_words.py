"""The pages speak the browser's language: Chinese first (a zh-CN browser, or one asking for nothing we
speak), English when the browser asks for it; dates written the way that language writes them."""

from __future__ import annotations

import pytest

from lanewatch.words import catalogue
from tests.support.serve import wait_for

from .conftest import CAMERA, keep_for_readme, screenshot, until

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(300)]

ZH = catalogue("zh-CN")
EN = catalogue("en")


def test_dashboard_and_console_are_in_chinese_for_a_chinese_browser(open_page, service) -> None:
    assert wait_for(lambda: service.api.get("/api/violations", params={"camera": CAMERA}).json()["items"], 120, 1.0)
    page = open_page("/", role="operator", locale="zh-CN")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.wait_for_selector(f"#live-state:has-text('{ZH['web.live.connected']}')")
    assert page.title() == ZH["web.dashboard.title"]
    assert page.inner_text("h1") == ZH["web.dashboard.heading"] == "消防通道值守总览"
    assert page.inner_text("#history-title") == "历史记录"
    assert page.locator("#history-table th").first.inner_text() == ZH["web.history.col.at"]
    page.wait_for_selector(f"#camera-grid li[data-camera='{CAMERA}'] .badge:has-text('在线')", timeout=60_000)
    row = page.locator("#history-table tbody tr").first
    row.wait_for()
    when = row.locator("td").first.inner_text()
    assert "月" in when and "日" in when, when  # Intl with zh-CN: "6月1日 08:03:12", not "1 Jun, 08:03:12"
    assert row.get_by_role("button").inner_text() == "详情"
    path = screenshot(page, "dashboard-zh-CN")
    keep_for_readme(path, "dashboard-zh-CN")

    console = open_page("/console", role="operator", locale="zh-CN")
    console.wait_for_selector(f"#console-live-state:has-text('{ZH['web.live.connected']}')")
    assert console.inner_text("h1") == "值班台" and console.title() == ZH["web.console.title"]
    assert console.inner_text("#alarms-title") == "当前告警"
    until(console, "document.querySelector('#alarms-status').textContent.startsWith('当前')")
    screenshot(console, "console-zh-CN")


def test_pages_are_in_english_when_the_browser_asks_for_english(open_page) -> None:
    page = open_page("/", role="viewer", locale="en-GB")
    page.wait_for_selector(f"#live-state:has-text('{EN['web.live.connected']}')")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.inner_text("h1") == "Fire-lane dashboard" and page.title() == "Dashboard · lanewatch"
    assert page.inner_text("#history-title") == "History"
    console = open_page("/console", role="viewer", locale="en-GB")
    console.wait_for_selector(f"#console-live-state:has-text('{EN['web.live.connected']}')")
    assert console.inner_text("h1") == "Duty console"


def test_a_browser_asking_for_a_language_we_do_not_speak_gets_chinese(open_page) -> None:
    page = open_page("/phone", role="viewer", locale="fr-FR")
    page.wait_for_selector("#phone-status:not(:empty)")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.inner_text("h1") == ZH["web.phone.heading"]


def test_a_lane_named_only_in_chinese_is_drawn_and_saved_in_the_chinese_editor(open_page, service) -> None:
    from .test_editor import _click_at, _frame_ready, _new_zone

    page = open_page(f"/editor?camera={CAMERA}", locale="zh-CN")
    _frame_ready(page)
    assert page.inner_text("h1") == "区域编辑"
    _new_zone(page, "东门消防通道")
    assert page.input_value("#zone-id") == ""  # left to the server, which spells the name in pinyin
    for fx, fy in [(0.60, 0.05), (0.95, 0.05), (0.95, 0.20)]:
        _click_at(page, fx, fy)
    assert page.inner_text("#point-count").startswith("3 个顶点")
    page.click("#save-zone")
    page.wait_for_selector("#zone-saved:has-text('已保存“东门消防通道”')")
    try:
        saved = service.api.get(f"/api/cameras/{CAMERA}/zones/dong-men-xiao-fang-tong-dao")
        assert saved.status_code == 200 and saved.json()["name"] == "东门消防通道"
        assert page.input_value("#zone-id") == "dong-men-xiao-fang-tong-dao"
        assert (
            page.locator("#zone-list li[data-zone='dong-men-xiao-fang-tong-dao']")
            .inner_text()
            .startswith("东门消防通道")
        )
        screenshot(page, "editor-zh-CN")
    finally:
        service.api.delete(f"/api/cameras/{CAMERA}/zones/dong-men-xiao-fang-tong-dao")
