"""The zone editor's view check on the live camera: reference and current pictures side by side, zones moved by
the view's homography (preview, then save, audited), and zones confirmed (a new reference view)."""

from __future__ import annotations

import json

import pytest

from tests.support.serve import wait_for

from .conftest import CAMERA, until

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(400)]

SHIFT_X = 0.02
"""The camera is not really turned: the page is told the view moved 2 % right (the rest is the real service)."""


def test_zones_follow_the_view_change_and_are_confirmed(open_page, service) -> None:
    # the camera learns its reference view from its first minute of healthy pictures
    assert wait_for(lambda: service.api.get(f"/api/cameras/{CAMERA}/view/shift").status_code == 200, 240, 2.0)
    before = service.api.get(f"/api/cameras/{CAMERA}/zones").json()
    page = open_page(f"/editor?camera={CAMERA}", role="admin", locale="zh-CN")
    moved = {"camera": CAMERA, "moved": True, "shift": SHIFT_X, "inliers": 80,
             "homography": [[1, 0, SHIFT_X], [0, 1, 0], [0, 0, 1]]}  # fmt: skip
    page.route("**/view/shift", lambda route: route.fulfill(content_type="application/json", body=json.dumps(moved)))
    until(page, "document.querySelector('#reference-picture')?.naturalWidth > 0", 60)
    until(page, "document.querySelector('#current-picture')?.naturalWidth > 0", 60)
    try:
        page.get_by_role("button", name="按视角变化移动区域（预览）").click()
        page.locator("#view-status:has-text('视角偏移约 2%')").wait_for()
        assert service.api.get(f"/api/cameras/{CAMERA}/zones").json() == before  # a preview saves nothing
        page.get_by_role("button", name="保存移动后的区域").click()
        page.locator("#view-status:has-text('已保存')").wait_for()
        after = service.api.get(f"/api/cameras/{CAMERA}/zones").json()
        for old, new in zip(before, after, strict=True):
            expected = [min(x + SHIFT_X, 1.0) for x, _ in old["polygon"]]
            assert [x for x, _ in new["polygon"]] == pytest.approx(expected, abs=1e-4)
            assert [y for _, y in new["polygon"]] == pytest.approx([y for _, y in old["polygon"]], abs=1e-4)
        audit = service.api.get("/api/audit", params={"target_kind": "zone"}).json()
        rows = audit["items"] if isinstance(audit, dict) else audit
        assert any(r["action"] == "zone.update" and r["target_id"] == f"{CAMERA}/{before[0]['id']}" for r in rows)
        page.get_by_role("button", name="确认区域").click()
        page.locator("#view-status:has-text('已确认区域')").wait_for()
        audit = service.api.get("/api/audit", params={"target_kind": "camera"}).json()
        rows = audit["items"] if isinstance(audit, dict) else audit
        assert any(r["action"] == "camera.view_confirm" and r["target_id"] == CAMERA for r in rows)
    finally:  # leave the camera's zones as the other tests expect them
        for zone in before:
            put = service.api.put(f"/api/cameras/{CAMERA}/zones/{zone['id']}", json=zone)
            assert put.status_code == 200, put.text
