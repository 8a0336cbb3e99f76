"""A live stream ends when its sign-in does (sign-out, disabled person) or its key is revoked."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session

from lanewatch.api.app import create_app
from lanewatch.api.auth import create_api_key
from lanewatch.api.routers import events as events_router
from lanewatch.events.violation import ViolationEvent
from lanewatch.people import stream_guard
from lanewatch.store.people_tables import PersonRow
from lanewatch.store.tables import ApiKeyRow, utcnow
from tests.api.test_events_sse import SSE, Server, _v

from .conftest import PASSWORD, add_person


@pytest.fixture
def server(runtime, orgs, monkeypatch):
    monkeypatch.setattr(events_router, "KEEPALIVE_S", 0.2)
    monkeypatch.setattr(stream_guard, "RECHECK_S", 0.2)
    s = Server(create_app(runtime))
    yield s
    s.stop()


def _until_ended(sse: SSE, limit: int = 50) -> list[str]:
    """The event types (and keep-alives) read until the stream says it ended."""
    seen: list[str] = []
    for _ in range(limit):
        message = sse.next()
        seen.append(message.get("event", "keep-alive"))
        if seen[-1] == "stream.ended":
            return seen
    raise AssertionError(f"the stream went on: {seen}")


def test_signing_out_ends_the_persons_open_stream(server, runtime, orgs) -> None:
    add_person(runtime.engine, "duty", "duty_operator", orgs.east)
    with httpx.Client(base_url=server.url, timeout=5.0) as browser:
        assert browser.post("/api/session", json={"username": "duty", "password": PASSWORD}).status_code == 200
        csrf = browser.cookies["lw_csrf"]
        with browser.stream("GET", "/api/events") as response:
            assert response.status_code == 200
            sse = SSE(response)
            sse.next()  # connected
            runtime.bus.publish_violation(ViolationEvent("new", None, _v("v-still", camera="willow-gate")))
            assert sse.next_event()["event"] == "violation.new"  # a signed-in stream hears its lanes
            with httpx.Client(base_url=server.url, timeout=5.0, cookies=browser.cookies) as other_tab:
                assert other_tab.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code in (200, 204)
            assert _until_ended(sse)[-1] == "stream.ended"


def test_disabling_a_person_ends_their_stream(server, runtime, orgs) -> None:
    pk = add_person(runtime.engine, "manager", "property_manager", orgs.willow)
    with httpx.Client(base_url=server.url, timeout=5.0) as browser:
        assert browser.post("/api/session", json={"username": "manager", "password": PASSWORD}).status_code == 200
        with browser.stream("GET", "/api/events") as response:
            sse = SSE(response)
            sse.next()
            with Session(runtime.engine) as session:
                session.get(PersonRow, pk).disabled = True
                session.commit()
            assert _until_ended(sse)[-1] == "stream.ended"


def test_revoking_a_key_ends_its_stream_and_a_live_key_keeps_it(server, runtime) -> None:
    revoked, kept = (create_api_key(runtime.engine, role="viewer", name=n) for n in ("scraper", "wall-screen"))
    with (
        httpx.Client(base_url=server.url, timeout=5.0) as client,
        client.stream("GET", "/api/events", headers={"Authorization": f"Bearer {revoked}"}) as first,
        client.stream("GET", "/api/events", headers={"Authorization": f"Bearer {kept}"}) as second,
    ):
        doomed, alive = SSE(first), SSE(second)
        doomed.next(), alive.next()
        with Session(runtime.engine) as session:
            row = session.query(ApiKeyRow).filter(ApiKeyRow.name == "scraper").one()
            row.revoked_at = utcnow()
            session.commit()
        assert _until_ended(doomed)[-1] == "stream.ended"
        assert [alive.next().get("comment") for _ in range(3)] == ["keep-alive"] * 3  # rechecked, still fine
