"""Issue 16's acceptance in a real browser (Debian chromium, locale zh-CN), one person per role.

A property manager sees only its community's camera, draws a lane named in Chinese and sees its
violation, never the other community's; a street's duty operator acknowledges and confirms an
alarm of an enterprise in its street and cannot see the other street's (absent, 404); an
enterprise sees only its own devices and alarms. The district is `tests/web/district.py`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator

import pytest
from sqlmodel import Session

from lanewatch.store.alarm_tables import AlarmRow
from lanewatch.store.tables import ViolationRow

from .conftest import ARTIFACTS, REPO, Console
from .district import PASSWORD, PEOPLE, District, district  # noqa: F401  (the `district` fixture)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(300)]

WIDE = {"width": 1440, "height": 900}
LANE_NAME = "东门消防通道"
LANE_ID = "dong-men-xiao-fang-tong-dao"  # its pinyin


@pytest.fixture
def signed_in(browser, district: District, request) -> Iterator[Callable]:  # noqa: F811
    """signed_in(username, path) → a zh-CN page of that person; console errors fail the test."""
    console = Console()
    contexts = []

    def opener(username: str, path: str = "/"):
        context = browser.new_context(viewport=WIDE, base_url=district.base, locale="zh-CN")
        contexts.append(context)
        signed = context.request.post("/api/session", data={"username": username, "password": PASSWORD})
        assert signed.ok, signed.text()
        page = context.new_page()
        page.on("console", console.record)
        page.on("pageerror", lambda e: console.errors.append(f"uncaught: {e}"))
        page.goto(path)
        page.wait_for_selector("#who-name")
        return page

    opener.allow = lambda status, url_part: console.allowed.append((status, url_part))
    yield opener
    for context in contexts:
        context.close()
    assert not console.errors, f"console errors in {request.node.name}: {console.errors}"


SHOTS = REPO / "docs" / "screenshots"
MAX_BYTES = 300_000


def picture(page, name: str) -> bytes:
    """The page as the reader sees it (the 1440×900 window), as a PNG under MAX_BYTES: a test artefact,
    and docs/screenshots/NAME.png when LANEWATCH_SCREENSHOTS=1 (`make screenshots`)."""
    from PIL import Image

    page.evaluate("document.fonts.ready")
    png = page.screenshot(type="png")
    for colours in (256, 128, 64):  # a camera picture in it: fewer colours read the same and weigh far less
        if len(png) < MAX_BYTES:
            break
        out = io.BytesIO()
        image = Image.open(io.BytesIO(page.screenshot(type="png"))).convert("RGB")
        image.quantize(colours, dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
        png = out.getvalue()
    assert len(png) < MAX_BYTES, (name, len(png))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(png)
    if os.environ.get("LANEWATCH_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"{name}.png").write_bytes(png)
    return png


def _click_at(page, fx: float, fy: float) -> None:
    box = page.locator("#canvas").bounding_box()
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


ENGLISH = r"\b[A-Za-z]{3,}(?: +[A-Za-z]{2,})+\b"
"""Two English words in a row: a sentence left untranslated (ids and usernames have no spaces)."""


def english(page) -> list[str]:
    """English phrases a zh-CN reader would meet: the page's text, its tooltips and accessible names."""
    return page.evaluate(
        """(pattern) => {
        const said = [document.body.innerText, document.title];
        for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]'))
          said.push(el.getAttribute('aria-label') || '', el.getAttribute('title') || '', el.getAttribute('placeholder') || '');
        return said.join('\\n').match(new RegExp(pattern, 'g')) || []; }""",
        ENGLISH,
    )


def _values(page, selector: str) -> list[str]:
    return page.evaluate(f"[...document.querySelectorAll({selector!r})].map((o) => o.value).filter(Boolean)")


def test_the_sign_in_page_speaks_chinese(browser, district: District) -> None:  # noqa: F811
    context = browser.new_context(viewport=WIDE, base_url=district.base, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto("/")
        page.wait_for_url("**/signin?next=%2F")
        page.wait_for_selector("h1:has-text('登录')")
        assert english(page) == []
        picture(page, "zh-signin")
    finally:
        context.close()


def test_the_administrator_sees_the_whole_district_on_the_people_page(signed_in, district: District) -> None:  # noqa: F811
    page = signed_in("admin", "/people")
    for code in ("jd-east", "jd-west", "sq-willow", "sq-pine", "qy-plant", "qy-mill"):
        page.wait_for_selector(f"#org-tree li[data-org='{code}']")
    for username in PEOPLE:
        page.wait_for_selector(f"#people-table tr[data-person='{username}']")
    row = page.inner_text("#people-table tr[data-person='wy-willow']")
    assert "柳树物业" in row and "柳树社区" in row and "物业管理" in row  # the role in words, not its code
    page.fill("#org-code", "sq-poplar")  # a new community under 东街道: the audit says so in Chinese
    page.fill("#org-name", "杨树社区")
    page.select_option("#org-kind", "community")
    page.select_option("#org-parent", str(district.org["jd-east"]))
    page.click("#org-form button[type=submit]")
    page.wait_for_selector("#org-tree li[data-org='sq-poplar']:has-text('杨树社区')")
    entry = page.locator("#audit-table tbody tr", has_text="sq-poplar")
    entry.wait_for()
    assert "新增组织" in entry.inner_text() and "组织 sq-poplar" in entry.inner_text()
    assert "org.create" not in page.inner_text("#audit-table")
    assert english(page) == []
    picture(page, "zh-people-admin")


def test_a_property_manager_sees_its_community_draws_a_chinese_lane_and_sees_its_violation(
    signed_in,
    district: District,  # noqa: F811
) -> None:
    page = signed_in("wy-willow")
    assert page.inner_text("#who-org") == "柳树社区"
    page.wait_for_selector("#camera-grid li[data-camera='willow-gate']")
    assert page.locator("#camera-grid li[data-camera='pine-gate']").count() == 0
    assert "柳树东门" in page.inner_text("#camera-grid") and "松树北门" not in page.inner_text("main")
    assert _values(page, "#history-camera option") == ["willow-gate"]
    assert english(page) == []

    # The zone editor: only its camera to choose; it draws and saves a lane named in Chinese.
    page.goto("/editor")
    page.wait_for_selector("#frame", state="visible")
    assert _values(page, "#camera-select option") == ["willow-gate"]
    assert english(page) == []
    page.click("#new-zone")
    page.fill("#zone-name", LANE_NAME)
    assert page.input_value("#zone-id") == ""  # no Latin letters: the server spells the id in pinyin
    for fx, fy in [(0.1, 0.5), (0.9, 0.5), (0.9, 0.95), (0.1, 0.95)]:
        _click_at(page, fx, fy)
    page.click("#save-zone")
    page.wait_for_selector(f"#zone-saved:has-text('已保存“{LANE_NAME}”')")
    page.wait_for_selector(f"#zone-list li[data-zone='{LANE_ID}']:has-text('{LANE_NAME}')")
    assert district.runtime.reloads[-1] == "willow-gate"  # the pipeline takes the new lane at once
    page.click(f"#zone-list li[data-zone='{LANE_ID}'] button")
    assert page.input_value("#zone-name") == LANE_NAME and page.input_value("#zone-id") == LANE_ID
    picture(page, "zh-editor-chinese-lane")

    # Its violation arrives live in the dashboard; the other community's never does.
    page.goto("/")
    page.wait_for_selector("#live-state:has-text('已连接')", timeout=15_000)
    other = district.violation("pine-gate", "north-lane", "北门消防通道")
    mine = district.violation("willow-gate", LANE_ID, LANE_NAME)
    page.wait_for_selector(f"#live-feed li[data-violation='{mine}']:has-text('{LANE_NAME}')")
    page.wait_for_selector(f"#blocked-lanes li[data-camera='willow-gate'][data-zone='{LANE_ID}']")
    page.reload()  # and after a reload: in the feed, the blocked lanes and the history
    page.wait_for_selector(f"#live-feed li[data-violation='{mine}']")
    page.wait_for_selector(f"#history-table tbody tr:has-text('{LANE_NAME}')")
    text = page.inner_text("main")
    assert other not in page.content() and "北门消防通道" not in text and "松树北门" not in text
    assert page.locator("#blocked-lanes li[data-camera='pine-gate']").count() == 0
    page.wait_for_selector("#camera-grid li[data-camera='willow-gate'] .frame img")
    picture(page, "zh-dashboard-property-manager")
    outside = ["/api/cameras/pine-gate", "/api/cameras/pine-gate/zones", "/api/cameras/pine-gate/frame.jpg"]
    for path in [f"/api/violations/{other}", f"/api/violations/{other}/snapshot.jpg", *outside]:
        assert page.request.get(path).status == 404, path  # outside the scope it does not exist
    assert page.request.get(f"/api/violations/{mine}/snapshot.jpg").status == 200
    # It handles its violation: the details in Chinese, 签收 with a comment.
    page.locator(f"#live-feed li[data-violation='{mine}']").get_by_role("button", name="详情").click()
    dialog = page.locator("#violation-dialog[open]")
    dialog.locator("dl.facts").wait_for()
    assert LANE_NAME in dialog.inner_text() and english(page) == []
    dialog.locator("#violation-comment").fill("已通知车主挪车")
    dialog.get_by_role("button", name="签收", exact=True).click()
    dialog.locator(".badge:has-text('已签收')").wait_for()
    page.keyboard.press("Escape")
    with Session(district.engine) as session:
        handled = session.get(ViolationRow, mine)
        assert handled is not None and (handled.state, handled.acknowledged_by) == ("acknowledged", "wy-willow")
        assert handled.ack_comment == "已通知车主挪车"
    page.goto("/phone")  # the phone view: its violation, not the other's
    page.wait_for_selector(f"#active-list li[data-violation='{mine}']")
    assert page.locator(f"#active-list li[data-violation='{other}']").count() == 0
    assert english(page) == []
    page.goto("/editor?camera=pine-gate")  # the other community's camera by its URL: not there
    page.wait_for_selector("#frame", state="visible")
    assert page.input_value("#camera-select") == "willow-gate"
    page.wait_for_selector(f"#zone-list li[data-zone='{LANE_ID}']")
    assert page.locator("#zone-list li[data-zone='north-lane']").count() == 0
    assert english(page) == []


def _alarm(district: District, alarm_id: str) -> AlarmRow:  # noqa: F811
    with Session(district.engine) as session:
        row = session.get(AlarmRow, alarm_id)
        assert row is not None
        return row


def test_a_street_duty_operator_acknowledges_and_confirms_its_streets_alarm_and_never_sees_the_other(
    signed_in,
    district: District,  # noqa: F811
) -> None:
    other = district.fire("mill-smoke-2f")  # 西街道's enterprise
    mine = district.fire("plant-smoke-3f")  # 东街道's enterprise
    page = signed_in("duty-east", "/console")
    assert page.inner_text("#who-org") == "东街道"
    item = page.locator(f"#alarm-list li[data-alarm='{mine}']")
    item.wait_for()
    assert page.locator(f"#alarm-list li[data-alarm='{other}']").count() == 0
    assert "三楼烟感" in page.inner_text("#fire-banner") and "二楼烟感" not in page.inner_text("main")
    assert english(page) == []
    picture(page, "zh-console-street-duty")
    later = district.fire("mill-smoke-2f")  # arriving live: still not heard in 东街道
    for path in (f"/api/alarms/{other}", f"/api/alarms/{later}", "/api/alarms/devices/mill-smoke-2f"):
        assert page.request.get(path).status == 404, path

    item.get_by_role("button", name="签收：火灾报警，三楼烟感").click()
    page.wait_for_selector(f"#alarm-list li[data-alarm='{mine}'][data-state='acknowledged']")
    item.get_by_role("button", name="确认：火灾报警，三楼烟感").click()
    item.get_by_role("button", name="真实火警（拨打 119）").click()
    page.wait_for_selector(f"#alarm-list li[data-alarm='{mine}'][data-state='confirmed']")
    item.get_by_role("button", name="详情").click()
    dialog = page.locator("#alarm-dialog[open]")
    dialog.locator("dl.facts").wait_for()
    assert "三楼烟感" in dialog.inner_text() and "duty-east 签收" in dialog.inner_text()
    assert english(page) == []
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    stored = _alarm(district, mine)
    assert (stored.state, stored.outcome) == ("confirmed", "real_fire")
    assert stored.acknowledged_by == stored.confirmed_by == "duty-east"
    assert page.locator(f"#alarm-list li[data-alarm='{later}']").count() == 0
    assert _alarm(district, other).state == "active" and _alarm(district, later).acknowledged_by is None
    # Nor can it act on the other street's alarm by its id.
    step = page.request.post(f"/api/alarms/{other}/ack", headers={"X-CSRF-Token": _csrf(page)}, data={})
    assert step.status == 404
    assert english(page) == []
    page.goto("/")  # the street's dashboard: its community's camera, not the other street's
    page.wait_for_selector("#camera-grid li[data-camera='willow-gate']")
    assert page.locator("#camera-grid li[data-camera='pine-gate']").count() == 0
    page.goto("/editor")  # it handles, it does not draw: the editor says who may
    page.wait_for_selector("#zone-list")
    page.wait_for_selector("p.hint:has-text('只有管理员和物业管理人员可以修改区域')")
    assert page.locator("#new-zone").is_hidden()


def test_an_enterprise_sees_only_its_own_devices_and_alarms(signed_in, district: District) -> None:  # noqa: F811
    other = district.fire("mill-smoke-2f")
    mine = district.fire("plant-smoke-3f")
    page = signed_in("qy-plant", "/console")
    assert page.inner_text("#who-org") == "东方化工厂"
    page.wait_for_selector(f"#alarm-list li[data-alarm='{mine}']")
    assert page.locator(f"#alarm-list li[data-alarm='{other}']").count() == 0
    assert "二楼烟感" not in page.inner_text("main")
    # No handling steps for an enterprise: a street's duty desk handles its alarms.
    assert page.locator(f"#alarm-list li[data-alarm='{mine}'] button", has_text="签收").count() == 0
    assert english(page) == []
    devices = page.request.get("/api/alarms/devices").json()["items"]
    assert [d["id"] for d in devices] == ["plant-smoke-3f"]
    alarms = {a["device_id"] for a in page.request.get("/api/alarms").json()["items"]}
    assert alarms == {"plant-smoke-3f"}
    assert page.request.get(f"/api/alarms/{other}").status == 404
    assert page.request.get("/api/cameras").json() == []  # no community's cameras either
    # Test/maintenance mode of its own devices only; their settings are the operating company's.
    csrf = {"X-CSRF-Token": _csrf(page)}
    flag = {"maintenance": True}
    assert page.request.patch("/api/alarms/devices/plant-smoke-3f", data=flag, headers=csrf).status == 200
    assert page.request.patch("/api/alarms/devices/mill-smoke-2f", data=flag, headers=csrf).status == 404
    renamed = page.request.patch("/api/alarms/devices/plant-smoke-3f", data={"name": "x"}, headers=csrf)
    assert renamed.status == 403
    page.request.patch("/api/alarms/devices/plant-smoke-3f", data={"maintenance": False}, headers=csrf)
    page.goto("/")  # no camera in its scope: said in words it can act on, not an API route
    page.wait_for_selector("#cameras-status:has-text('您所在机构的范围内还没有摄像头')")
    assert "柳树东门" not in page.inner_text("main") and "松树北门" not in page.inner_text("main")
    assert "/api/" not in page.inner_text("main")


def _csrf(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "lw_csrf")
