"""/people in a real browser (zh-CN): an administrator changes a person's role and organisation, renames,
moves and deletes organisations; a refusal (an organisation that still has members) is shown in Chinese,
and a demoted person's open sign-in has the new role at once."""

from __future__ import annotations

import pytest

from .district import PASSWORD, District, district  # noqa: F401  (the `district` fixture)
from .test_roles_acceptance import WIDE, english, signed_in  # noqa: F401  (the `signed_in` fixture)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def answer_dialogs(page, prompt_text: str) -> list[str]:
    """Accept every confirm, and answer every prompt with `prompt_text`; the dialogs' messages."""
    seen: list[str] = []

    def handle(dialog) -> None:
        seen.append(dialog.message)
        dialog.accept(prompt_text) if dialog.type == "prompt" else dialog.accept()

    page.on("dialog", handle)
    return seen


def tree_order(page) -> list[str]:
    return page.eval_on_selector_all("#org-tree li", "items => items.map(li => li.dataset.org)")


def test_an_admin_changes_a_person_s_role_and_organisation(browser, signed_in, district: District) -> None:  # noqa: F811
    other = browser.new_context(viewport=WIDE, base_url=district.base, locale="zh-CN")
    try:
        assert other.request.post("/api/session", data={"username": "wy-willow", "password": PASSWORD}).ok
        assert other.request.get("/api/me").json()["role"] == "property_manager"
        page = signed_in("admin", "/people")
        row = "#people-table tr[data-person='wy-willow']"
        page.wait_for_selector(row)
        assert page.is_disabled("#people-table tr[data-person='admin'] select.role")  # not one's own
        page.select_option(f"{row} select.role", "viewer")
        page.locator("#audit-table tbody tr", has_text="修改人员").first.wait_for()  # saved, and audited
        assert page.input_value(f"{row} select.role") == "viewer"  # the refreshed row
        assert other.request.get("/api/me").json()["role"] == "viewer"  # the open sign-in, no new one
        assert other.request.get("/api/people").status == 403
        page.select_option("#people-table tr[data-person='duty-east'] select.org", "jd-west")
        page.wait_for_function(
            "() => document.querySelector(\"#people-table tr[data-person='duty-east'] select.org\")"
            ".selectedOptions[0].textContent.includes('西街道')"
        )
        assert page.inner_text("#people-table tr[data-person='duty-east'] .error") == ""
        assert english(page) == []
    finally:
        other.close()


def test_an_admin_renames_moves_and_deletes_organisations(signed_in, district: District) -> None:  # noqa: F811
    signed_in.allow(409, f"/api/orgs/{district.org['sq-willow']}")  # the refusal below, on purpose
    page = signed_in("admin", "/people")
    page.wait_for_selector("#org-tree li[data-org='qy-mill']")
    dialogs = answer_dialogs(page, "松树新村")
    page.click("#org-tree li[data-org='sq-pine'] button.rename")
    page.wait_for_selector("#org-tree li[data-org='sq-pine'] .name:text-is('松树新村')")
    assert "松树社区" in dialogs[0]
    page.select_option("#org-tree li[data-org='qy-mill'] select.move", str(district.org["jd-east"]))
    page.wait_for_function(
        "() => { const o = [...document.querySelectorAll('#org-tree li')].map(li => li.dataset.org);"
        " return o.indexOf('qy-mill') > o.indexOf('jd-east') && o.indexOf('qy-mill') < o.indexOf('jd-west'); }"
    )
    page.click("#org-tree li[data-org='sq-willow'] button.delete")  # its camera and people are still there
    page.wait_for_selector("#org-error:has-text('摄像机 1')")
    refusal = page.inner_text("#org-error")
    assert "柳树社区" in refusal and "人员" in refusal and "请先移走或删除" in refusal
    assert "sq-willow" in tree_order(page)
    page.fill("#org-code", "sq-empty")
    page.fill("#org-name", "空社区")
    page.select_option("#org-kind", "community")
    page.select_option("#org-parent", str(district.org["jd-west"]))
    page.click("#org-form button[type=submit]")
    page.wait_for_selector("#org-tree li[data-org='sq-empty']")
    page.click("#org-tree li[data-org='sq-empty'] button.delete")
    page.wait_for_selector("#org-tree li[data-org='sq-empty']", state="detached")
    assert any("空社区" in message for message in dialogs)
    entries = page.inner_text("#audit-table")
    assert "删除组织" in entries and "修改组织" in entries
    assert english(page) == []
