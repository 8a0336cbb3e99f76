"""GET /api/events through a real uvicorn server on 127.0.0.1, read with httpx streaming."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn

from lanewatch.api.routers import events as events_router
from lanewatch.events.bus import EventBus, health_payload, violation_payload
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.video.health import HealthEvent, SourceState

START = datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC)


def _v(vid: str, camera: str = "cam1", **changes) -> Violation:
    base = {
        "id": vid,
        "camera": camera,
        "zone": "lane-a",
        "zone_name": "Lane A",
        "label": "car",
        "start_s": 0.0,
        "violation_s": 30.0,
        "last_seen_s": 31.0,
        "end_s": None,
        "started_at": START,
        "violation_at": START + timedelta(seconds=30),
        "ended_at": None,
        "confidence": 0.8,
        "box": (0.1, 0.2, 0.3, 0.4),
    }
    return Violation(**{**base, **changes})


class Server:
    """uvicorn serving the app in a thread, on a free port."""

    def __init__(self, app) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self, timeout: float = 10) -> float:
        t0 = time.monotonic()
        self.server.should_exit = True
        self.thread.join(timeout)
        return time.monotonic() - t0


@pytest.fixture
def server(app):
    s = Server(app)
    yield s
    s.stop()


class SSE:
    """Reads an event stream message by message (comments kept as {"comment": ...})."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def next(self) -> dict:
        message: dict = {}
        for line in self.lines:
            if line == "":
                if message:
                    return message
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "":
                message.setdefault("comment", value)
            elif field == "data":
                message["data"] = json.loads(value)
            else:
                message[field] = value
        raise EOFError("stream ended")

    def next_event(self) -> dict:
        while True:
            message = self.next()
            if "event" in message:
                return message


def _open(server, key: str | None, params=None, headers=None):
    client = httpx.Client(base_url=server.url, timeout=httpx.Timeout(5.0))
    all_headers = {"Authorization": f"Bearer {key}"} if key else {}
    all_headers.update(headers or {})
    return client, client.stream("GET", "/api/events", params=params, headers=all_headers)


def _connected(response) -> SSE:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    sse = SSE(response)
    first = sse.next()
    assert first["retry"] == str(events_router.RETRY_MS) and first["comment"] == "connected"
    return sse


def test_published_events_arrive_with_ids_types_and_json(server, runtime, keys) -> None:
    client, stream = _open(server, keys.viewer)
    with client, stream as response:
        sse = _connected(response)
        new = ViolationEvent("new", None, _v("v1"))
        runtime.bus.publish_violation(new)
        runtime.bus.publish_health(HealthEvent("cam1", SourceState.OFFLINE, START, "connection refused"))
        first, second = sse.next_event(), sse.next_event()
    assert first["event"] == "violation.new" and second["event"] == "camera.offline"
    assert int(second["id"]) == int(first["id"]) + 1
    published_at = first["data"].pop("published_at")
    assert first["data"] == violation_payload(new) and datetime.fromisoformat(published_at).tzinfo is not None
    second["data"].pop("published_at")
    assert second["data"] == health_payload(HealthEvent("cam1", SourceState.OFFLINE, START, "connection refused"))


@pytest.mark.parametrize("how", ["header", "query"])
def test_last_event_id_resumes_after_what_was_seen(server, runtime, keys, how) -> None:
    ids = [runtime.bus.publish_violation(ViolationEvent("new", None, _v(f"v{i}"))).id for i in range(3)]
    resume = {"headers": {"Last-Event-ID": str(ids[0])}} if how == "header" else {"params": {"last_event_id": ids[0]}}
    client, stream = _open(server, keys.viewer, **resume)
    with client, stream as response:
        sse = _connected(response)
        got = [sse.next_event() for _ in range(2)]
        live = runtime.bus.publish_violation(ViolationEvent("end", None, _v("v2", end_s=40.0))).id
        got.append(sse.next_event())
    assert [int(m["id"]) for m in got] == [ids[1], ids[2], live]
    assert [m["data"]["after"]["id"] for m in got] == ["v1", "v2", "v2"]


def test_camera_and_type_filters(server, runtime, keys) -> None:
    client, stream = _open(server, keys.viewer, params={"camera": "cam2", "type": "violation.*"})
    with client, stream as response:
        sse = _connected(response)
        bus = runtime.bus
        bus.publish_violation(ViolationEvent("new", None, _v("a", camera="cam1")))
        bus.publish_health(HealthEvent("cam2", SourceState.ONLINE, START, "receiving frames"))
        bus.publish_violation(ViolationEvent("new", None, _v("b", camera="cam2")))
        message = sse.next_event()
    assert message["event"] == "violation.new" and message["data"]["after"]["id"] == "b"


def test_keep_alive_comments_while_idle(server, keys, monkeypatch) -> None:
    monkeypatch.setattr(events_router, "KEEPALIVE_S", 0.1)
    client, stream = _open(server, keys.viewer)
    with client, stream as response:
        sse = _connected(response)
        assert sse.next() == {"comment": "keep-alive"}
        assert sse.next() == {"comment": "keep-alive"}


def test_a_key_is_needed(server, keys) -> None:
    for key, status in ((None, 401), ("lw_not-a-key", 401), (keys.revoked, 401)):
        client, stream = _open(server, key)
        with client, stream as response:
            assert response.status_code == status
            assert "detail" in json.loads(response.read())


def test_a_client_that_leaves_is_unsubscribed(server, runtime, keys) -> None:
    client, stream = _open(server, keys.viewer)
    with client, stream as response:
        sse = _connected(response)  # (dropping the line iterator would close the connection)
        assert runtime.bus.subscriber_count == 1 and sse
    deadline = time.monotonic() + 5
    while runtime.bus.subscriber_count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert runtime.bus.subscriber_count == 0


def test_closing_the_bus_ends_streams_so_the_server_stops_promptly(app, runtime, keys) -> None:
    server = Server(app)
    client, stream = _open(server, keys.viewer)
    with client, stream as response:
        sse = _connected(response)
        runtime.bus.close()  # what the service does on shutdown
        with pytest.raises(EOFError):
            sse.next()
    assert server.stop() < 3 and not server.thread.is_alive()


def test_a_lagging_client_is_told_to_reconnect() -> None:
    async def main():
        bus = EventBus(queue_size=2)
        sub = bus.subscribe()
        for i in range(5):
            bus.publish("camera.online", {"camera": "c", "i": i})
        return [chunk async for chunk in events_router._stream(sub, [], [])]

    chunks = asyncio.run(main())
    assert chunks[0].startswith("retry:") and len(chunks) == 4
    assert [c.split("\n")[0] for c in chunks[1:3]] == ["id: 1", "id: 2"]
    assert chunks[3].startswith("event: stream.lagging\n")


def test_a_resume_beyond_the_ring_is_announced() -> None:
    async def main():
        bus = EventBus(ring_size=2)
        for _ in range(5):
            bus.publish("camera.online", {"camera": "c"})
        sub = bus.subscribe(last_event_id=1)
        bus.close()
        return [chunk async for chunk in events_router._stream(sub, [], [])]

    chunks = asyncio.run(main())
    assert chunks[1].startswith("event: stream.gap\n")
