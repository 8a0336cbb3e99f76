"""The duty console in a real browser: alarms posted through the ingest API show up fire first, are
reported as shown, and go through acknowledge / confirm / resolve in at most two clicks each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.serve import wait_for

from .conftest import keep_for_readme, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(300)]


def _ingest(service, device_id: str, alarm_type: str, device_type: str, message_id: str) -> None:
    message = {
        "device_id": device_id,
        "kind": "alarm",
        "alarm_type": alarm_type,
        "device_type": device_type,
        "device_time": datetime.now(UTC).isoformat(),
        "message_id": message_id,
        "detail": f"{alarm_type.replace('_', ' ')} reported by {device_id}",
    }
    answer = service.api.post("/api/alarms/ingest", json=message)
    assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text


def _alarm(service, device_id: str) -> dict:
    items = service.api.get("/api/alarms", params={"device": device_id}).json()["items"]
    assert items, f"no alarm for {device_id}"
    return items[0]


def test_console_shows_fire_first_reports_shown_and_steps_in_two_clicks(open_page, service) -> None:
    _ingest(service, "battery-b1-2f", "low_battery", "smoke_detector", "web-1")
    page = open_page("/console", role="operator")
    page.wait_for_selector("#alarm-list li[data-type='low_battery']")
    assert page.locator("#fire-banner").is_hidden()
    page.wait_for_selector("#console-live-state:has-text('Live: connected')")
    _ingest(service, "smoke-b1-3f", "fire", "smoke_detector", "web-2")  # arrives live, no reload
    fire = page.locator("#alarm-list li[data-type='fire']")
    fire.wait_for()
    assert page.locator("#alarm-list li").first.get_attribute("data-type") == "fire"  # fire first
    assert "smoke-b1-3f" in page.inner_text("#fire-banner")
    assert wait_for(lambda: _alarm(service, "smoke-b1-3f")["shown_at"], 10)  # the console reported showing it
    path = screenshot(page, "console")
    keep_for_readme(path, "console")

    fire.get_by_role("button", name="Acknowledge fire at smoke-b1-3f").click()  # one click
    page.wait_for_selector("#alarm-list li[data-type='fire'][data-state='acknowledged']")
    assert fire.get_by_role("button", name="Resolve").count() == 0  # a fire must be confirmed before resolving
    fire.get_by_role("button", name="Confirm fire at smoke-b1-3f").click()  # two clicks
    fire.get_by_role("button", name="False alarm").click()
    page.wait_for_selector("#alarm-list li[data-type='fire'][data-state='confirmed']")
    stored = _alarm(service, "smoke-b1-3f")
    assert stored["state"] == "confirmed" and stored["outcome"] == "false_alarm"
    assert stored["acknowledged_by"] == "operator-desk" and stored["confirmed_by"] == "operator-desk"

    fire.get_by_role("button", name="Details of fire at smoke-b1-3f").click()
    dialog = page.locator("#alarm-dialog[open]")
    dialog.locator("dl.facts").wait_for()
    text = dialog.inner_text()
    assert "smoke detector" in text and "shown by operator-desk" in text and "confirmed by operator-desk" in text
    screenshot(page, "console-alarm-detail")
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")

    fire.get_by_role("button", name="Resolve fire at smoke-b1-3f").click()
    page.locator("#alarm-list li[data-type='fire']").wait_for(state="detached")
    assert page.locator("#fire-banner").is_hidden()
    assert _alarm(service, "smoke-b1-3f")["state"] == "resolved"


def test_viewers_see_alarms_without_steps_and_do_not_mark_them_shown(open_page, service) -> None:
    _ingest(service, "gas-b2-kitchen", "gas_leak", "combustible_gas", "web-3")
    page = open_page("/console", role="viewer")
    item = page.locator("#alarm-list li[data-type='gas_leak']")
    item.wait_for()
    assert item.get_by_role("button", name="Acknowledge gas leak at gas-b2-kitchen").count() == 0
    assert _alarm(service, "gas-b2-kitchen")["shown_at"] is None


def test_a_list_read_before_a_step_and_answered_after_it_does_not_undo_the_step(open_page, service) -> None:
    """Refreshes overlap (a live event's, the step's own): an answer older than the one shown is dropped."""
    _ingest(service, "smoke-b2-1f", "fire", "smoke_detector", "web-late-1")
    page = open_page("/console", role="operator")
    fire = page.locator("#alarm-list li[data-type='fire']")
    fire.wait_for()
    page.wait_for_selector("#console-live-state:has-text('Live: connected')")
    held: list = []
    answered: list = []  # list reads answered after the held one was taken: the step's own, its live event's

    def hold_the_first(route) -> None:
        if held:
            route.continue_()
            return
        held.append((route, route.fetch()))  # the server's answer now, before the step; given to the page later

    def pump_until(condition, what: str) -> None:
        for _ in range(200):  # handlers run while Playwright is called (sync API): wait in the page
            if condition():
                return
            page.wait_for_timeout(50)
        raise AssertionError(what)

    page.route(lambda url: "/api/alarms?active=true" in url, hold_the_first)
    page.on("requestfinished", lambda r: answered.append(r) if held and "/api/alarms?active=true" in r.url else None)
    _ingest(service, "battery-b2-1f", "low_battery", "smoke_detector", "web-late-2")  # a live event: a refresh
    pump_until(lambda: held, "the live event's refresh never asked for the list")
    fire.get_by_role("button", name="Acknowledge fire at smoke-b2-1f").click()
    page.wait_for_selector("#alarm-list li[data-type='fire'][data-state='acknowledged']")
    pump_until(lambda: len(answered) >= 2, "no refresh after the step's own and its live event's")
    page.wait_for_timeout(1000)  # past the live events' 300 ms gathering: the old answer comes last
    route, stale = held[0]
    with page.expect_event("requestfinished"):
        route.fulfill(response=stale)
    page.wait_for_timeout(300)  # the page has read the old answer by now (it came with its body)
    assert fire.get_attribute("data-state") == "acknowledged"
