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
