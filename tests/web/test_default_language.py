"""Pages fall back to the deployment's language (config `language`), not always zh-CN, when neither the
person's setting nor the browser's languages name one lanewatch speaks."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lanewatch.api.app import create_app
from lanewatch.events.bus import EventBus
from lanewatch.store.db import open_engine
from lanewatch.words import catalogue, default_language, set_default_language
from tests.api.test_events_sse import Server

from .conftest import until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


@pytest.fixture
def served(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'lanewatch.db'}")
    server = Server(create_app(SimpleNamespace(engine=engine, evidence_dir=tmp_path, bus=EventBus())))
    before = default_language()
    yield server
    set_default_language(before)
    server.stop()
    engine.dispose()


@pytest.mark.parametrize(
    ("configured", "locale", "shown"),
    [
        ("en", "fr-FR", "en"),  # a French browser on an English deployment: English
        ("zh-CN", "fr-FR", "zh-CN"),
        ("en", "zh-CN", "zh-CN"),  # the browser's language still comes first
    ],
)
def test_the_sign_in_page_falls_back_to_the_configured_language(browser, served, configured, locale, shown) -> None:
    set_default_language(configured)
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.goto(f"{served.url}/signin")
        until(page, f"document.title === {catalogue(shown)['people.signin.title']!r}")  # CSP forbids eval
        assert page.evaluate("document.documentElement.lang") == shown
    finally:
        context.close()
