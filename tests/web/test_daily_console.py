"""What a duty desk expects of the console: sound that really plays once someone signed in (and a
switch that says so), device history with its times, a plain warning when the server is out of
reach, and detail dialogs that fit a 1440×900 screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.support.serve import wait_for

from .conftest import CAMERA, PASSWORD, until

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(300)]

WIDE = {"width": 1440, "height": 900}


def _ingest(service, device_id: str, alarm_type: str, message_id: str) -> dict:
    message = {
        "device_id": device_id,
        "kind": "alarm",
        "alarm_type": alarm_type,
        "device_type": "smoke_detector",
        "device_time": datetime.now(UTC).isoformat(),
        "message_id": message_id,
        "detail": f"{alarm_type} reported by {device_id}",
    }
    answer = service.api.post("/api/alarms/ingest", json=message)
    assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
    return service.api.get("/api/alarms", params={"device": device_id}).json()["items"][0]


def _audio(page) -> str:
    return page.get_attribute("#sound-toggle", "data-audio")


def test_a_page_opened_fresh_says_sound_is_blocked_until_a_click_then_plays(open_page) -> None:
    page = open_page("/console", role="operator", locale="zh-CN")
    toggle = page.locator("#sound-toggle")
    assert _audio(page) == "suspended"  # Chromium blocks sound on a page nobody has touched
    assert toggle.inner_text() == "点击开启声音" and toggle.get_attribute("aria-pressed") == "false"
    page.click("h1")  # any click on the page is the gesture the browser needs
    until(page, "document.querySelector('#sound-toggle').dataset.audio === 'running'", 5)
    assert toggle.inner_text() == "声音已开启" and toggle.get_attribute("aria-pressed") == "true"
    toggle.click()  # now the switch switches
    assert toggle.inner_text() == "声音已关闭" and toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert toggle.inner_text() == "声音已开启"


def test_the_sign_in_click_unlocks_the_sound_of_the_console(open_page, service) -> None:
    page = open_page("/console", role="operator", sign_in_form=True, locale="zh-CN")
    page.wait_for_selector("#signin-username")
    page.fill("#signin-username", service.people["operator"])
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#role")
    assert page.url.endswith("/console")
    until(page, "document.querySelector('#sound-toggle')?.dataset.audio === 'running'", 5)
    assert page.inner_text("#sound-toggle") == "声音已开启"  # no second click needed


def test_device_history_shows_when_each_message_came(open_page, service) -> None:
    alarm = _ingest(service, "smoke-daily-4f", "low_battery", "daily-1")  # not a fire: the banner stays for others
    page = open_page("/console", role="viewer", viewport=WIDE, locale="zh-CN")
    item = page.locator(f"#alarm-list li[data-alarm='{alarm['id']}']")
    item.wait_for()
    item.get_by_role("button", name=re.compile("详情")).click()
    page.wait_for_selector("#alarm-dialog #device-history li")
    first = page.inner_text("#alarm-dialog #device-history li")
    zone = ZoneInfo(page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone"))
    history = service.api.get("/api/alarms/devices/smoke-daily-4f/history").json()["messages"]
    received = datetime.fromisoformat(history[0]["received_at"]).astimezone(zone)
    assert re.match(r"^\d+月\d+日 \d{2}:\d{2}:\d{2} · ", first), first  # the time, in the page's language
    assert received.strftime("%H:%M:%S") in first
    # The dialog fits the screen: every button in view without scrolling.
    _fits(page, "#alarm-dialog")


def _fits(page, dialog: str) -> None:
    outside = page.evaluate(
        f"""(() => {{ const d = document.querySelector('{dialog}');
        const box = d.getBoundingClientRect();
        const out = [...d.querySelectorAll('button')].filter((b) => {{ const r = b.getBoundingClientRect();
          return r.top < 0 || r.bottom > window.innerHeight; }}).map((b) => b.textContent);
        return {{ out, overflow: d.scrollHeight > d.clientHeight + 1, bottom: box.bottom, height: window.innerHeight }}; }})()"""
    )
    assert outside["out"] == [] and not outside["overflow"] and outside["bottom"] <= outside["height"], outside


def test_violation_dialog_fits_a_1440_by_900_screen(open_page, service) -> None:
    assert wait_for(lambda: service.api.get("/api/violations", params={"camera": CAMERA}).json()["items"], 120, 1.0)
    page = open_page("/", role="operator", viewport=WIDE, locale="zh-CN")
    page.locator("#history-table tbody tr").first.get_by_role("button").click()
    page.wait_for_selector("#violation-dialog[open] dl.facts")
    until(page, "document.querySelector('#violation-dialog img.snapshot')?.naturalWidth > 0")
    _fits(page, "#violation-dialog")


def test_console_says_when_the_server_is_out_of_reach(open_page, service) -> None:
    page = open_page("/console", role="viewer", locale="zh-CN")
    open_page.allow_unreachable()
    page.wait_for_selector("#console-live-state:has-text('实时')")
    until(
        page,
        "document.querySelector('#offline-status').textContent.length > 0 || "
        "document.querySelectorAll('#offline-list li').length > 0",
        10,
    )
    page.context.set_offline(True)  # the open stream stays open but silent: no keep-alive comes any more
    banner = page.locator("#connection-banner")
    banner.wait_for(state="visible", timeout=45_000)  # within two missed keep-alives (or a failed refresh)
    assert "与服务器的连接已断开" in banner.inner_text()
    assert "设备状态未知" in page.inner_text("#offline-status")
    assert page.locator("#offline-list li").count() == 0
    page.context.set_offline(False)
    banner.wait_for(state="hidden", timeout=30_000)
    until(page, "!document.querySelector('#offline-status').textContent.includes('未知')", 15)
