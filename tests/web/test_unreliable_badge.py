"""Issue 18: the dashboard's lists mark a violation raised while its camera's view had moved.

The live feed, the blocked-lanes list and the history table each show a small badge, in Chinese, with
the reason in full as its tooltip; a violation of a camera that had not moved shows none. The CSV
export carries the mark in its own columns."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from .district import District, district  # noqa: F401  (the `district` fixture)
from .test_roles_acceptance import signed_in  # noqa: F401  (the `signed_in` fixture)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

BADGE = "画面偏移，结果存疑"
REASON = "摄像头视角偏移期间产生"


def test_the_lists_mark_an_unreliable_violation_and_only_it(signed_in, district: District) -> None:  # noqa: F811
    page = signed_in("wy-willow", "/")
    page.wait_for_selector("#history-status:not(:has-text('正在加载'))")
    doubtful = district.violation("willow-gate", "east-lane", "东门通道", unreliable=True)
    sound = district.violation("willow-gate", "north-lane", "北门通道")
    for where in (f"#live-feed li[data-violation='{doubtful}']", "#blocked-lanes li[data-zone='east-lane']"):
        mark = page.locator(f"{where} .badge.unreliable")
        mark.wait_for()
        assert mark.inner_text() == BADGE and REASON in (mark.get_attribute("title") or "")
    page.locator(f"#live-feed li[data-violation='{sound}']").wait_for()
    page.locator("#blocked-lanes li[data-zone='north-lane']").wait_for()
    assert page.locator(f"#live-feed li[data-violation='{sound}'] .badge.unreliable").count() == 0
    assert page.locator("#blocked-lanes li[data-zone='north-lane'] .badge.unreliable").count() == 0
    page.click("#history-form button[type='submit']")
    row = page.locator(f"#history-table tbody tr[data-violation='{doubtful}']")
    row.wait_for()
    mark = row.locator(".badge.unreliable")
    assert mark.inner_text() == BADGE and REASON in (mark.get_attribute("title") or "")
    other = page.locator(f"#history-table tbody tr[data-violation='{sound}']")
    other.wait_for()
    assert other.locator(".badge.unreliable").count() == 0
    with page.expect_download() as download_info:
        page.click("#history-export")
    exported = csv.DictReader(io.StringIO(Path(download_info.value.path()).read_bytes().decode("utf-8-sig")))
    marks = {r["记录编号"]: (r["结果存疑"], r["存疑原因"]) for r in exported}
    assert marks[doubtful] == ("是", "摄像头视角偏移期间产生") and marks[sound] == ("否", "")
