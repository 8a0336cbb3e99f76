"""Browser tests: Debian's chromium driven headless by Playwright against a real `lanewatch serve`.

One service runs for the whole session, watching the real RTSP test server
(lot-busy.mp4) with the real detector, so the pages see real frames,
detections and violations. Each test gets a fresh browser context (its own
session storage, so its own sign-in); any console error or uncaught page
error fails the test. Screenshots go to test-artifacts/web/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.needs import unavailable
from tests.support.rtsp import RtspServer, require_gst_rtsp
from tests.support.serve import ServeProcess

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "web"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
CAMERA = "gate"
PASSWORD = "web-tests-lane-2026"
PERSON_ROLES = {"viewer": "viewer", "operator": "duty_operator", "admin": "admin"}
"""The people the pages sign in as, by the key role a test names (a duty operator handles violations and alarms)."""


@dataclass
class Service:
    """The running service, its keys per role, the people per role (``<role>-desk``, `PASSWORD`), an admin API client."""

    serve: ServeProcess
    keys: dict[str, str]
    api: httpx.Client
    people: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.serve.base


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        unavailable("Debian chromium (/usr/bin/chromium) is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def front_row_zone() -> dict:
    zone = json.loads((REPO / "zones" / "lot-busy.json").read_text())["zones"][0]
    zone.update(dwell_seconds=6, exit_grace_seconds=3)
    return zone


@pytest.fixture(scope="session")
def service(tmp_path_factory, footage_dir, weights_path) -> Iterator[Service]:
    """`lanewatch serve` on SQLite, camera `gate` on the RTSP test server with the lot-busy front-row zone."""
    require_gst_rtsp()
    workdir = tmp_path_factory.mktemp("web-serve")
    serve = ServeProcess(workdir, f"sqlite:///{workdir / 'lanewatch.db'}", weights_path)
    keys = {
        role: serve.cli("keys", "create", "--role", role, "--name", f"{role}-desk")
        for role in ("viewer", "operator", "admin")
    }
    people = {}
    for role, person_role in PERSON_ROLES.items():
        people[role] = f"{role}-desk"
        serve.cli(
            *("users", "add", people[role], "--role", person_role, "--org", "district", "--name", f"{role} desk"),
            *("--no-must-change", "--password-stdin"),
            stdin=PASSWORD + "\n",
        )
    with RtspServer({"lot": footage_dir / "parking-aisle" / "lot-busy.mp4"}) as rtsp:
        serve.start()
        api = httpx.Client(base_url=serve.base, headers={"Authorization": f"Bearer {keys['admin']}"}, timeout=10)
        try:
            made = api.post(
                "/api/cameras", json={"id": CAMERA, "name": "Gate lane", "source_url": rtsp.url("lot"), "sample_fps": 2}
            )
            assert made.status_code == 201, made.text
            zone = api.post(f"/api/cameras/{CAMERA}/zones", json=front_row_zone())
            assert zone.status_code == 201, zone.text
            yield Service(serve, keys, api, people)
        finally:
            api.close()
            assert serve.stop() in (0, -15), serve.log_tail()


@dataclass
class Console:
    """Console errors and uncaught exceptions a page produced.

    Chromium logs every API answer of 400 and above as a console error ("Failed to load resource").
    A test that provokes one on purpose (a refused zone is a 422) declares it with `allow`; any
    other error still fails the test.
    """

    errors: list[str] = field(default_factory=list)
    allowed: list[tuple[int, str]] = field(default_factory=list)
    unreachable_ok: bool = False
    """Set by a test that cuts the page off the server on purpose: its failed loads are expected."""

    def record(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if self.unreachable_ok and "net::ERR_" in message.text:
            return
        for status, url_part in self.allowed:
            if f"status of {status} " in message.text and url_part in url:
                return
        self.errors.append(f"{message.text} ({url})")


@pytest.fixture
def open_page(browser, service, request) -> Iterator[Callable]:
    """open_page(path, role=..., viewport=..., locale=...) → a signed-in page; console errors fail the test."""
    contexts = []
    console = Console()

    def opener(
        path: str = "/",
        role: str | None = "admin",
        viewport: dict = DESKTOP,
        sign_in_form: bool = False,
        locale: str = "en-US",  # behaviour tests read English; tests of the Chinese pages ask for zh-CN
    ):
        context = browser.new_context(
            viewport=viewport,
            base_url=service.base,
            has_touch=viewport is PHONE,
            is_mobile=viewport is PHONE,
            locale=locale,
        )
        contexts.append(context)
        if role is not None and not sign_in_form:  # signed in as that person: the cookies of POST /api/session
            signed = context.request.post("/api/session", data={"username": service.people[role], "password": PASSWORD})
            assert signed.ok, signed.text()
        page = context.new_page()
        page.on("console", console.record)
        page.on("pageerror", lambda e: console.errors.append(f"uncaught: {e}"))
        page.goto(path)
        if role is not None and not sign_in_form:
            page.wait_for_selector("#role")
        return page

    opener.allow = lambda status, url_part: console.allowed.append((status, url_part))
    opener.allow_unreachable = lambda: setattr(console, "unreachable_ok", True)
    yield opener
    for context in contexts:
        context.close()
    assert not console.errors, f"console errors in {request.node.name}: {console.errors}"


def until(page, expression: str, timeout_s: float = 30.0):
    """Poll a JavaScript expression until truthy. (wait_for_function evaluates strings with eval(),
    which the pages' Content-Security-Policy rightly forbids.)"""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"not true within {timeout_s} s: {expression}")


def screenshot(page, name: str) -> Path:
    """Save a screenshot as a test artefact (test-artifacts/web/NAME.png)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def keep_for_readme(path: Path, name: str) -> None:
    """Copy a screenshot into docs/screenshots/ when LANEWATCH_SCREENSHOTS=1 (see docs/screenshots/make.py)."""
    import os

    if os.environ.get("LANEWATCH_SCREENSHOTS") == "1":
        target = REPO / "docs" / "screenshots" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
