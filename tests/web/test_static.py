"""How `lanewatch serve` hands out the pages: content types, cache validators, no key needed, nothing else leaks."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from lanewatch.api.app import create_app
from lanewatch.api.auth import create_api_key
from lanewatch.events.bus import EventBus
from lanewatch.store.db import open_engine


@pytest.fixture
def client(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'lanewatch.db'}")
    runtime = SimpleNamespace(engine=engine, evidence_dir=tmp_path, bus=EventBus())
    with TestClient(create_app(runtime)) as c:
        c.keys = {role: create_api_key(engine, role=role, name=f"{role}-web") for role in ("viewer", "operator")}
        yield c
    engine.dispose()


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/", "web.dashboard.title"),
        ("/editor", "web.editor.title"),
        ("/phone", "web.phone.title"),
        ("/console", "web.console.title"),
        ("/signin", "people.signin.title"),
        ("/people", "people.page.title"),
        ("/sites", "web.sites.title"),
    ],
)
def test_pages_load_without_a_key_with_a_strict_policy(client, path, title) -> None:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<title data-words="{title}">' in r.text  # its words come from /words/<lang>.json
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-cache" and r.headers["etag"]
    again = client.get(path, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/web/js/api.js", "text/javascript; charset=utf-8"),
        ("/web/css/app.css", "text/css; charset=utf-8"),
        ("/web/icons/icon-192.png", "image/png"),
        ("/manifest.webmanifest", "application/manifest+json"),
        ("/sw.js", "text/javascript; charset=utf-8"),
    ],
)
def test_assets_have_their_content_types(client, path, content_type) -> None:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"] == content_type
    assert r.headers["x-content-type-options"] == "nosniff"


def test_manifest_makes_the_app_installable(client) -> None:
    manifest = json.loads(client.get("/manifest.webmanifest").content)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/phone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).headers["content-type"] == "image/png"


def test_service_worker_never_caches_api_answers(client) -> None:
    worker = client.get("/sw.js").text
    assert 'url.pathname.startsWith("/api/")' in worker


@pytest.mark.parametrize(
    "path",
    [
        "/web/../routers/web.py",
        "/web/%2e%2e/routers/web.py",
        "/web/icons/make_icons.py",
        "/web/dashboard.html",
        "/web/nope.js",
        "/web/",
    ],
)
def test_only_web_assets_are_served(client, path) -> None:
    r = client.get(path)
    assert r.status_code == 404 and "APIRouter" not in r.text and r.json()["detail"]


def test_me_tells_a_page_the_keys_role(client) -> None:
    r = client.get("/api/me", headers={"Authorization": f"Bearer {client.keys['operator']}"})
    assert r.status_code == 200
    me = r.json()
    assert (me["kind"], me["name"], me["role"], me["org"]) == ("key", "operator-web", "operator", None)
    assert "violations.handle" in me["permissions"] and "zones.edit" not in me["permissions"]
    refused = client.get("/api/me", headers={"Accept-Language": "en"})
    assert refused.status_code == 401 and "missing API key" in refused.json()["detail"]
    assert client.get("/api/me").json()["detail"] != refused.json()["detail"]  # Chinese when nobody asks


def test_the_sign_in_form_cannot_be_sent_before_its_script_is_ready(client) -> None:
    """A click before signin.js runs must not submit the form natively (GET would put the password
    in the address bar and the server's log): the button starts disabled and the form posts."""
    page = client.get("/signin").text
    form = re.search(r'<form id="signin-form"[^>]*>(.*?)</form>', page, re.S)
    assert form and 'method="post"' in form.group(0).split(">")[0]
    assert re.search(r'<button type="submit"[^>]*\bdisabled\b', form.group(1))
