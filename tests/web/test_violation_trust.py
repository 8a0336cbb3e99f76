"""The violation dialog in Chinese: an unreliable violation (camera moved) says so, and a running speaker
warning can be stopped by those who may handle violations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, create_engine

from lanewatch.events.unreliable import CAMERA_MOVED
from lanewatch.store import speaker_log
from lanewatch.store.tables import ViolationRow

from .conftest import CAMERA

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(300)]


def stored_violation(service, vid: str, *, calls: int) -> None:
    """A violation of the running service's camera, newest of all, with `calls` speaker calls logged."""
    at = datetime.now(UTC) + timedelta(days=1)  # first in the history table whatever the camera adds meanwhile
    row = ViolationRow(
        id=vid, camera=CAMERA, zone="front-row", zone_name="前排车道", label="car", start_s=0, violation_s=6,
        last_seen_s=60, started_at=at - timedelta(seconds=6), violation_at=at, confidence=0.8,
        box_x1=0.1, box_y1=0.1, box_x2=0.3, box_y2=0.3, unreliable=True, unreliable_reason=CAMERA_MOVED,
    )  # fmt: skip
    engine = create_engine(f"sqlite:///{service.serve.workdir / 'lanewatch.db'}")
    with Session(engine) as session:
        session.add(row)
        session.commit()
        for n in range(1, calls + 1):
            call = speaker_log.begin_call(session, vid, "东门喇叭", n, 60.0 * n)
            speaker_log.finish_call(session, call, 200, None, 12)
        session.commit()
    engine.dispose()


def open_dialog(open_page, vid: str, role: str):
    page = open_page("/", role=role, locale="zh-CN")
    page.get_by_role("button", name=f"占用记录 {vid} 的详情").click()
    dialog = page.locator("#violation-dialog[open]")
    dialog.locator("dl.facts").wait_for()
    return page, dialog


def test_an_unreliable_violation_says_so_and_its_speaker_warning_is_stopped(open_page, service) -> None:
    stored_violation(service, "gate-trust-0001", calls=2)
    page, dialog = open_dialog(open_page, "gate-trust-0001", "operator")
    note = dialog.locator("p.unreliable")
    assert "摄像头视角偏移期间产生" in note.inner_text() and "重画或确认区域" in note.inner_text()
    stop = dialog.get_by_role("button", name="停止喇叭警告")
    stop.wait_for()
    assert "已喊话 2 次" in dialog.inner_text()
    stop.click()
    dialog.get_by_text("已停止喇叭警告").wait_for()
    log = service.api.get("/api/violations/gate-trust-0001/speaker").json()
    assert log["stopped"] is True and log["stopped_by"] == "operator-desk" and log["calling"] is False
    page.keyboard.press("Escape")
    # once stopped, the warning no longer runs: no button the next time
    _, again = open_dialog(open_page, "gate-trust-0001", "operator")
    again.locator(".speaker-stop").wait_for(state="attached")
    page.wait_for_timeout(500)  # the speaker log has been read by now (same origin, tiny answer)
    assert again.get_by_role("button", name="停止喇叭警告").count() == 0


def test_a_viewer_sees_the_mark_but_no_stop_button(open_page, service) -> None:
    stored_violation(service, "gate-trust-0002", calls=1)
    _, dialog = open_dialog(open_page, "gate-trust-0002", "viewer")
    assert "不可靠" in dialog.locator("p.unreliable").inner_text()
    assert dialog.get_by_role("button", name="停止喇叭警告").count() == 0
