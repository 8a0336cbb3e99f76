"""GET /words/{lang}.json: the pages' words, without a key, cached like the other assets."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from lanewatch.api.app import create_app
from lanewatch.events.bus import EventBus
from lanewatch.store.db import open_engine
from lanewatch.words import catalogue, default_language, set_default_language


@pytest.fixture
def client(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'lanewatch.db'}")
    runtime = SimpleNamespace(engine=engine, evidence_dir=tmp_path, bus=EventBus())
    with TestClient(create_app(runtime)) as c:
        yield c
    engine.dispose()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_words_are_served_without_a_key_as_utf8_json_with_validators(client, lang) -> None:
    r = client.get(f"/words/{lang}.json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.json() == catalogue(lang)
    assert r.headers["cache-control"] == "no-cache" and r.headers["etag"]
    again = client.get(f"/words/{lang}.json", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_two_languages_differ(client) -> None:
    zh, en = client.get("/words/zh-CN.json").json(), client.get("/words/en.json").json()
    assert zh["web.dashboard.heading"] != en["web.dashboard.heading"]
    assert client.get("/words/zh-CN.json").headers["etag"] != client.get("/words/en.json").headers["etag"]


@pytest.mark.parametrize("lang", ["fr", "zh", "EN", "zh-CN.bak"])
def test_an_unknown_language_is_a_clear_404(client, lang) -> None:
    r = client.get(f"/words/{lang}.json")
    assert r.status_code == 404
    assert "zh-CN" in r.json()["detail"] and "en" in r.json()["detail"]


@pytest.mark.parametrize("configured", ["en", "zh-CN"])
def test_default_words_are_the_deployments_language_and_say_which(client, configured) -> None:
    """What a page loads when neither the person nor the browser names a language lanewatch speaks."""
    before = default_language()
    set_default_language(configured)
    try:
        r = client.get("/words/default.json", headers={"Accept-Language": "fr-FR"})
    finally:
        set_default_language(before)
    assert r.status_code == 200 and r.headers["content-language"] == configured
    assert r.json() == catalogue(configured)
    assert client.get("/words/en.json").headers["content-language"] == "en"
