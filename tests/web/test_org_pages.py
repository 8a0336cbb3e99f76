"""Each role's pages in a real browser (chromium, zh-CN): only the links it can use, whose alarm it is,
test mode of an enterprise's own devices, and Chinese punctuation in Chinese.

The district is `tests/web/district.py`; its devices have no free-text enterprise, so the alarm names
the enterprise they belong to.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from lanewatch.store.alarm_tables import DeviceRow

from .district import PASSWORD, District, district  # noqa: F401  (the `district` fixture)
from .test_roles_acceptance import WIDE, english, signed_in  # noqa: F401  (the `signed_in` fixture)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(300)]

ALL_PAGES = ["/", "/editor", "/phone", "/console", "/people"]


def _nav(page) -> list[str]:
    page.wait_for_selector("#who-org, #role", state="attached")
    return page.evaluate("[...document.querySelectorAll('.topbar nav a')].map((a) => a.getAttribute('href'))")


@pytest.mark.parametrize(
    "username, pages",
    [
        ("qy-plant", ["/", "/console"]),  # an enterprise: no zone editor, no phone view, no people page
        ("duty-east", ["/", "/phone", "/console"]),  # handles violations, draws no lanes
        ("wy-willow", ["/", "/editor", "/phone", "/console"]),
        ("admin", ALL_PAGES),
    ],
)
def test_the_top_bar_links_only_the_pages_a_role_can_use(signed_in, username, pages) -> None:  # noqa: F811
    page = signed_in(username, "/console")
    assert _nav(page) == pages


def test_an_enterprise_puts_its_own_device_in_test_mode_and_back(signed_in, district: District) -> None:  # noqa: F811
    page = signed_in("qy-plant", "/console")
    panel = page.locator("#device-test")
    panel.wait_for(state="visible")
    item = page.locator("#device-test-list li[data-device='plant-smoke-3f']")
    item.wait_for()
    assert page.locator("#device-test-list li").count() == 1  # only its own: not the other street's mill
    assert "三楼烟感" in item.inner_text()
    item.get_by_role("button", name="将三楼烟感设为测试/维护模式").click()
    page.wait_for_selector("#device-test-list li[data-device='plant-smoke-3f'][data-maintenance='true']")
    assert "测试/维护中" in item.inner_text()
    assert _maintenance(district, "plant-smoke-3f") is True
    assert english(page) == []
    item.get_by_role("button", name="让三楼烟感退出测试/维护模式").click()
    page.wait_for_selector("#device-test-list li[data-device='plant-smoke-3f'][data-maintenance='false']")
    assert _maintenance(district, "plant-smoke-3f") is False
    assert _maintenance(district, "mill-smoke-2f") is False


def test_a_duty_operator_gets_no_test_mode_buttons(signed_in) -> None:  # noqa: F811
    page = signed_in("duty-east", "/console")
    page.wait_for_selector("#alarms-status:not(:has-text('正在加载'))")
    assert page.locator("#device-test").is_hidden()
    assert page.locator("button", has_text="测试模式").count() == 0


def test_the_console_names_the_enterprise_with_chinese_brackets(signed_in, district: District) -> None:  # noqa: F811
    alarm = district.fire("plant-smoke-3f")
    page = signed_in("duty-east", "/console")
    line = page.locator(f"#alarm-list li[data-alarm='{alarm}'] .muted").first
    line.wait_for()
    text = line.inner_text()
    assert text.startswith("东方化工厂 · 1号楼"), text
    assert re.search(r"（(刚刚|.+前)）", text) and "(" not in text, text
    banner = page.inner_text("#fire-banner")
    assert "三楼烟感（东方化工厂）" in banner, banner
    page.locator(f"#alarm-list li[data-alarm='{alarm}'] button", has_text="详情").click()
    page.wait_for_selector("#alarm-dialog #device-history li")
    dialog = page.inner_text("#alarm-dialog")
    assert "东方化工厂 · 1号楼" in dialog and "（烟雾浓度超限）" in dialog and "：“烟雾浓度超限”" in dialog, dialog


def test_the_console_in_english_keeps_ascii_brackets(browser, district: District) -> None:  # noqa: F811
    alarm = district.fire("plant-smoke-3f")
    context = browser.new_context(viewport=WIDE, base_url=district.base, locale="en-US")
    try:
        signed = context.request.post("/api/session", data={"username": "duty-east", "password": PASSWORD})
        assert signed.ok, signed.text()
        page = context.new_page()
        page.goto("/console")
        line = page.locator(f"#alarm-list li[data-alarm='{alarm}'] .muted").first
        line.wait_for()
        text = line.inner_text()
        assert re.search(r" \((just now|.+ ago)\)", text) and "（" not in text, text
    finally:
        context.close()


def _maintenance(district: District, device: str) -> bool:  # noqa: F811
    with Session(district.engine) as session:
        row = session.get(DeviceRow, device)
        assert row is not None
        return row.maintenance


def test_the_dashboard_names_cameras_by_name_with_the_id_as_tooltip(signed_in, district: District) -> None:  # noqa: F811
    page = signed_in("wy-willow", "/")
    page.wait_for_selector("#history-status:not(:has-text('正在加载'))")
    violation = district.violation("willow-gate", "east-lane", "东门通道")
    feed = page.locator(f"#live-feed li[data-violation='{violation}'] .camera")
    feed.wait_for()
    assert (feed.inner_text(), feed.get_attribute("title")) == ("柳树东门", "willow-gate")
    blocked = page.locator("#blocked-lanes li[data-camera='willow-gate'] .what")
    blocked.wait_for()
    assert "柳树东门" in blocked.inner_text() and blocked.get_attribute("title") == "willow-gate"
    page.click("#history-form button[type='submit']")
    cell = page.locator(f"#history-table tbody tr[data-violation='{violation}'] td").nth(1)
    cell.wait_for()
    assert (cell.inner_text(), cell.get_attribute("title")) == ("柳树东门", "willow-gate")
    assert "willow-gate" not in page.inner_text("#history-table") + page.inner_text("#live-feed")
    page.locator(f"#live-feed li[data-violation='{violation}'] button").click()
    page.wait_for_selector("#violation-dialog dd:has-text('柳树东门（willow-gate）')")
