"""Signing in, in a real browser (Debian chromium, locale zh-CN), on a freshly started `lanewatch serve`.

A fresh data directory: the first start creates the administrator `admin` with a random password in
first-admin-password.txt; every page sends a visitor to a Chinese sign-in page; the API answers 401
without credentials. The administrator signs in (a wrong password first), must choose their own
password, lands on the page they asked for, is signed in in a second tab too, and signs out.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator

import httpx
import pytest

from tests.support.serve import ServeProcess

from .conftest import DESKTOP, Console, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, weights_path) -> Iterator[ServeProcess]:
    workdir = tmp_path_factory.mktemp("fresh-serve")
    serve = ServeProcess(workdir, f"sqlite:///{workdir / 'lanewatch.db'}", weights_path)
    serve.env.pop("LANEWATCH_ADMIN_PASSWORD", None)
    serve.start()
    try:
        yield serve
    finally:
        assert serve.stop() in (0, -15), serve.log_tail()


def test_a_fresh_service_answers_401_without_credentials_but_serves_the_pages(fresh) -> None:
    for path in ("/api/cameras", "/api/me", "/api/people", "/api/orgs", "/api/violations", "/metrics"):
        r = httpx.get(fresh.base + path, timeout=10)
        assert r.status_code == 401, (path, r.text)
    assert httpx.get(fresh.base + "/api/health", timeout=10).status_code == 200
    page = httpx.get(fresh.base + "/signin", timeout=10)
    assert page.status_code == 200 and 'data-words="people.signin.title"' in page.text
    assert "first-admin-password.txt" in fresh.log_path.read_text()


def test_enter_pressed_while_the_words_still_load_signs_in_rather_than_being_lost(browser, fresh) -> None:
    """The words arrive after the form is on screen; a person who types fast and presses Enter must not
    find that nothing happened (a disabled default button silently blocks implicit submission)."""
    console = Console()
    console.allowed += [(401, "/api/session")]  # nobody of that name
    context = browser.new_context(viewport=DESKTOP, base_url=fresh.base, locale="zh-CN")
    held = []
    try:
        page = context.new_page()
        page.on("console", console.record)
        page.route("**/words/*.json", lambda route: held.append(route))  # answered only after the Enter
        page.goto("/signin")
        page.fill("#signin-username", "nobody-here")
        page.fill("#signin-password", "not-a-password-1")
        assert held and not page.inner_text("#signin-title")  # the words have not arrived yet
        with page.expect_response("**/api/session", timeout=10_000) as answer:
            page.keyboard.press("Enter")
        assert answer.value.status == 401
        page.wait_for_selector("#signin-error:not(:empty)")  # the server's reason, shown
        for route in held:
            route.continue_()
        page.wait_for_selector("h1:has-text('登录')")
    finally:
        context.close()
    assert not console.errors, console.errors


def test_the_first_administrator_signs_in_in_chinese_changes_the_password_and_signs_out(browser, fresh) -> None:
    password_file = fresh.workdir / "data" / "first-admin-password.txt"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text().strip()
    console = Console()
    console.allowed += [(401, "/api/session"), (422, "/api/me/password")]  # the wrong and the short password
    context = browser.new_context(viewport=DESKTOP, base_url=fresh.base, locale="zh-CN")
    try:
        page = context.new_page()
        page.on("console", console.record)
        page.on("pageerror", lambda e: console.errors.append(f"uncaught: {e}"))
        page.goto("/console")
        page.wait_for_url("**/signin?next=%2Fconsole")
        page.wait_for_selector("h1:has-text('登录')")
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert page.evaluate("document.activeElement.id") == "signin-username"
        assert page.locator("label[for=signin-password]").inner_text() == "密码"
        screenshot(page, "signin-zh")

        page.fill("#signin-username", "admin")
        page.fill("#signin-password", "not-the-password")
        page.keyboard.press("Enter")
        page.wait_for_selector("#signin-error:has-text('用户名或密码不正确')")
        assert "再错 4 次" in page.inner_text("#signin-error")

        page.fill("#signin-password", password)
        page.keyboard.press("Enter")
        page.wait_for_selector("#change-form:not([hidden])")  # a password someone else chose: choose one
        page.fill("#change-new", "short")
        page.fill("#change-again", "short")
        page.keyboard.press("Enter")
        page.wait_for_selector("#change-error:has-text('至少需要 10 个字符')")
        page.fill("#change-new", "my-own-fire-lane-1")
        page.fill("#change-again", "my-own-fire-lane-1")
        page.click("#change-form button[type=submit]")
        page.wait_for_url("**/console")  # back where the person wanted to go
        page.wait_for_selector("#who-name:has-text('admin')")
        assert page.inner_text("#who-org") == "本区"
        assert page.inner_text("#sign-out") == "退出"

        other = context.new_page()  # one sign-in serves every tab
        other.on("console", console.record)
        other.goto("/")
        other.wait_for_selector("#who-name:has-text('admin')")
        assert other.url == fresh.base + "/"

        # a poll of either tab still in flight when the session ends is answered 401, which is what sends
        # that tab to the sign-in page: expected from here on, and only for the API
        console.allowed.append((401, "/api/"))
        page.click("#sign-out")
        page.wait_for_url("**/signin")
        page.wait_for_selector("#signin-form:not([hidden])")
        other.wait_for_url("**/signin?next=%2F")  # the other tab follows at once
        other.goto("/phone")  # and stays signed out
        other.wait_for_url("**/signin?next=%2Fphone")

        page.fill("#signin-username", "admin")
        page.fill("#signin-password", "my-own-fire-lane-1")
        page.keyboard.press("Enter")
        page.wait_for_url(fresh.base + "/")  # no forced change any more: straight to the dashboard
        page.wait_for_selector("#who-name:has-text('admin')")
    finally:
        context.close()
    assert not console.errors, console.errors


def test_the_language_switch_keeps_the_persons_choice(browser, fresh) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=fresh.base, locale="zh-CN")
    try:
        signed = context.request.post("/api/session", data={"username": "admin", "password": "my-own-fire-lane-1"})
        assert signed.ok, signed.text()
        page = context.new_page()
        page.goto("/")
        page.wait_for_selector("#sign-out:has-text('退出')")
        page.select_option("#language", "en")
        page.wait_for_selector("#sign-out:has-text('Sign out')")
        me = context.request.get("/api/me").json()
        assert me["language"] == "en"
        context.request.patch("/api/me", data={"language": None}, headers={"X-CSRF-Token": _cookie(context, "lw_csrf")})
    finally:
        context.close()


def _cookie(context, name: str) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == name)


def test_the_administrator_adds_an_organisation_and_a_person_who_then_signs_in(browser, fresh) -> None:
    console = Console()
    context = browser.new_context(viewport=DESKTOP, base_url=fresh.base, locale="zh-CN")
    newcomer = browser.new_context(viewport=DESKTOP, base_url=fresh.base, locale="zh-CN")
    try:
        assert context.request.post("/api/session", data={"username": "admin", "password": "my-own-fire-lane-1"}).ok
        page = context.new_page()
        page.on("console", console.record)
        page.on("pageerror", lambda e: console.errors.append(f"uncaught: {e}"))
        page.goto("/")
        page.click(".topbar nav a[href='/people']")
        page.wait_for_selector("#org-tree li[data-org='district']")
        page.fill("#org-code", "sq-willow")
        page.fill("#org-name", "柳树社区")
        page.select_option("#org-kind", "community")
        page.click("#org-form button[type=submit]")
        page.wait_for_selector("#org-tree li[data-org='sq-willow']:has-text('柳树社区')")
        page.fill("#person-username", "zhangsan")
        page.fill("#person-name", "张三")
        page.select_option("#person-role", "property_manager")
        page.select_option("#person-org", "sq-willow")
        page.fill("#person-password", "given-by-admin-1")
        page.click("#person-form button[type=submit]")
        row = page.locator("#people-table tr[data-person='zhangsan']")
        row.wait_for()
        assert "柳树社区" in row.inner_text() and "待改密码" in row.inner_text()
        page.wait_for_selector("#audit-table td:has-text('新增人员')")  # the audit's action in words
        screenshot(page, "people-zh")

        other = newcomer.new_page()
        other.goto("/")
        other.wait_for_url("**/signin?next=%2F")
        other.fill("#signin-username", "zhangsan")
        other.fill("#signin-password", "given-by-admin-1")
        other.keyboard.press("Enter")
        other.wait_for_selector("#change-form:not([hidden])")
        other.fill("#change-new", "zhangsan-own-pw-1")
        other.fill("#change-again", "zhangsan-own-pw-1")
        other.keyboard.press("Enter")
        other.wait_for_selector("#who-name:has-text('张三')")
        assert other.inner_text("#who-org") == "柳树社区"
        assert other.locator(".topbar nav a[href='/people']").count() == 0  # not an administrator

        row.get_by_role("button", name="停用").click()
        page.wait_for_selector("#people-table tr[data-person='zhangsan'] .state:has-text('已停用')")
        other.goto("/phone")  # disabled: signed out at once
        other.wait_for_url("**/signin?next=%2Fphone")
    finally:
        context.close()
        newcomer.close()
    assert not console.errors, console.errors
