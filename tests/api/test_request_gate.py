"""A flood of API requests is served in turn and never takes the background jobs' database connections.

The flood runs through the real app (sync routes and dependencies hop to worker threads, as under
uvicorn) on a real SQLite database whose pool is made small, so the numbers are those of the bug seen at
200 req/s: more requests than connections.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import Receive, Scope, Send

from lanewatch.api.app import create_app
from lanewatch.api.auth import create_api_key
from lanewatch.api.request_gate import RequestGateMiddleware
from lanewatch.store.migrate import ensure_schema
from tests.api.conftest import FakeRuntime

POOL = 4  # connections in the pool, none beyond it


async def _flood(app, key: str, n: int) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lanewatch") as client:
        replies = await asyncio.gather(
            *(client.get("/api/violations", headers={"Authorization": f"Bearer {key}"}) for _ in range(n))
        )
    return [r.status_code for r in replies]


@pytest.fixture
def small_pool(tmp_path):
    engine = create_engine(
        f"sqlite:///{tmp_path / 'gate.db'}",
        connect_args={"check_same_thread": False},
        pool_size=POOL,
        max_overflow=0,
        pool_timeout=3,
    )
    ensure_schema(engine)
    yield engine
    engine.dispose()


def test_a_flood_is_answered_whole_while_a_background_job_still_gets_its_connection(small_pool, tmp_path) -> None:
    runtime = FakeRuntime(engine=small_pool, evidence_dir=tmp_path)
    key = create_api_key(small_pool, role="viewer", name="flood")
    app = create_app(runtime, concurrent_requests=POOL - 2)  # two connections kept for the background
    stop, waits, failures = threading.Event(), [], []

    def background_job() -> None:  # what the alarm scanner or the centre's ingest does: take one, briefly
        while not stop.is_set():
            began = time.monotonic()
            try:
                with small_pool.connect() as connection:
                    connection.execute(text("SELECT 1"))
            except PoolTimeout as exc:
                failures.append(exc)
            waits.append(time.monotonic() - began)
            time.sleep(0.01)

    job = threading.Thread(target=background_job)
    job.start()
    try:
        statuses = asyncio.run(_flood(app, key, 120))
    finally:
        stop.set()
        job.join()
    assert statuses == [200] * 120
    assert not failures and waits, f"the background job found no connection {len(failures)} times"


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RequestGateMiddleware(lambda *_: None, limit=0)  # type: ignore[arg-type, return-value]


class _Counting:
    """A toy app: counts how many requests are inside at once; `/stream` answers an endless event stream."""

    def __init__(self) -> None:
        self.inside = self.most = 0
        self.streaming = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.inside += 1
        self.most = max(self.most, self.inside)
        try:
            if scope["path"] == "/stream":
                await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", STREAM)]})
                self.streaming.set()
                await asyncio.sleep(3600)  # cancelled when the client goes
            await asyncio.sleep(0.01)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
        finally:
            self.inside -= 1


STREAM = b"text/event-stream; charset=utf-8"


def test_requests_beyond_the_limit_wait_their_turn_and_all_are_served() -> None:
    inner = _Counting()
    app = RequestGateMiddleware(inner, limit=3)

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [r.status_code for r in await asyncio.gather(*(client.get("/x") for _ in range(40)))]

    assert asyncio.run(run()) == [200] * 40
    assert inner.most == 3
    assert asyncio.run(run()) == [200] * 40  # served again from another event loop (a second test client)
    assert inner.most == 3


def test_an_open_event_stream_gives_its_place_back() -> None:
    inner = _Counting()
    app = RequestGateMiddleware(inner, limit=1)

    async def run() -> int:
        stream_scope = {"type": "http", "path": "/stream", "method": "GET", "headers": []}
        sent: list[dict] = []

        async def receive() -> dict:
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message) -> None:
            sent.append(message)

        stream = asyncio.create_task(app(stream_scope, receive, send))
        await asyncio.wait_for(inner.streaming.wait(), 5)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            status = (await asyncio.wait_for(client.get("/x"), 5)).status_code  # not stuck behind the stream
        stream.cancel()
        return status

    assert asyncio.run(run()) == 200


class _Holding:
    """A toy app: `/hold` stays inside until `let_go` is set; every request's path and body are noted."""

    def __init__(self) -> None:
        self.served: list[tuple[str, bytes]] = []
        self.holding = asyncio.Event()
        self.let_go = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.served.append((scope["path"], body))
        if scope["path"] == "/hold":
            self.holding.set()
            await self.let_go.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


def _client(*messages: dict, then: asyncio.Event | None = None):
    """An ASGI receive: these messages in turn, then (once `then` is set, or never) the client hangs up."""
    queue = list(messages)

    async def receive() -> dict:
        if queue:
            await asyncio.sleep(0.01)  # each part arrives a little later, as over a network
            return queue.pop(0)
        await (then.wait() if then is not None else asyncio.sleep(3600))
        return {"type": "http.disconnect"}

    return receive


def _request(path: str, method: str = "GET", headers: list | None = None) -> dict:
    return {"type": "http", "path": path, "method": method, "headers": headers or []}


async def _noted(sent: list[dict], message: dict) -> None:
    sent.append(message)


def test_a_request_whose_client_hangs_up_while_waiting_is_never_served() -> None:
    inner = _Holding()
    app = RequestGateMiddleware(inner, limit=1)
    whole = {"type": "http.request", "body": b"", "more_body": False}

    async def run() -> tuple[list[dict], list[dict]]:
        gone, sent_gone, sent_next = asyncio.Event(), [], []
        first = asyncio.create_task(app(_request("/hold"), _client(whole), lambda m: _noted([], m)))
        await asyncio.wait_for(inner.holding.wait(), 5)
        abandoned = asyncio.create_task(
            app(_request("/gone"), _client(whole, then=gone), lambda m: _noted(sent_gone, m))
        )
        after = asyncio.create_task(app(_request("/next"), _client(whole), lambda m: _noted(sent_next, m)))
        await asyncio.sleep(0.1)  # both queued behind /hold
        gone.set()
        await asyncio.wait_for(abandoned, 5)  # it leaves the queue at once, not when its turn comes
        assert not first.done()
        inner.let_go.set()
        await asyncio.wait_for(asyncio.gather(first, after), 5)
        return sent_gone, sent_next

    sent_gone, sent_next = asyncio.run(run())
    assert [path for path, _ in inner.served] == ["/hold", "/next"]  # the abandoned one never reached the app
    assert sent_gone == []
    assert sent_next[0]["status"] == 200


def test_a_body_sent_while_waiting_reaches_the_app_whole_and_in_order() -> None:
    inner = _Holding()
    app = RequestGateMiddleware(inner, limit=1)
    parts = [{"type": "http.request", "body": f"part {i};".encode(), "more_body": i < 4} for i in range(5)]

    async def run() -> list[dict]:
        sent: list[dict] = []
        first = asyncio.create_task(
            app(_request("/hold"), _client({"type": "http.request", "body": b""}), lambda m: _noted([], m))
        )
        await asyncio.wait_for(inner.holding.wait(), 5)
        posted = asyncio.create_task(app(_request("/post", "POST"), _client(*parts), lambda m: _noted(sent, m)))
        await asyncio.sleep(0.2)  # the whole body arrives while it waits
        inner.let_go.set()
        await asyncio.wait_for(asyncio.gather(first, posted), 5)
        return sent

    sent = asyncio.run(run())
    assert inner.served[1] == ("/post", b"part 0;part 1;part 2;part 3;part 4;")
    assert sent[1]["body"] == b"part 0;part 1;part 2;part 3;part 4;"


def _ask(app, path: str, method: str = "GET", headers: list | None = None):
    """Start one request through `app`; returns (task, what it sent)."""
    sent: list[dict] = []
    whole = {"type": "http.request", "body": b"", "more_body": False}
    return asyncio.create_task(app(_request(path, method, headers), _client(whole), lambda m: _noted(sent, m))), sent


def _status_and_retry(sent: list[dict]) -> tuple[int, str | None]:
    headers = dict(sent[0].get("headers", []))
    retry = headers.get(b"retry-after")
    return sent[0]["status"], retry.decode() if retry else None


def test_reads_beyond_the_queue_are_refused_at_once_with_when_to_come_back() -> None:
    inner = _Holding()
    app = RequestGateMiddleware(inner, limit=1, queue=2, wait_s=30)

    async def run():
        held, _ = _ask(app, "/hold")
        await asyncio.wait_for(inner.holding.wait(), 5)
        waiting = [_ask(app, f"/wait-{i}") for i in range(2)]
        await asyncio.sleep(0.05)
        refused, refused_sent = _ask(app, "/one-too-many", headers=[(b"accept-language", b"zh-CN")])
        await asyncio.wait_for(refused, 1)  # answered without waiting for /hold
        assert not held.done()
        inner.let_go.set()
        await asyncio.wait_for(asyncio.gather(held, *(task for task, _ in waiting)), 5)
        return refused_sent, [sent for _, sent in waiting]

    refused_sent, waited = asyncio.run(run())
    assert _status_and_retry(refused_sent) == (503, "30")
    assert json.loads(refused_sent[1]["body"]) == {"detail": "服务器繁忙，请 30 秒后重试"}
    assert [sent[0]["status"] for sent in waited] == [200, 200]
    assert [path for path, _ in inner.served] == ["/hold", "/wait-0", "/wait-1"]  # the refused never got in


def test_a_read_that_waited_too_long_is_refused_and_leaves_no_place_taken() -> None:
    inner = _Holding()
    app = RequestGateMiddleware(inner, limit=1, queue=10, wait_s=0.2)

    async def run():
        held, _ = _ask(app, "/hold")
        await asyncio.wait_for(inner.holding.wait(), 5)
        late, late_sent = _ask(app, "/late", headers=[(b"accept-language", b"en")])
        await asyncio.wait_for(late, 2)
        assert not held.done()
        inner.let_go.set()
        await asyncio.wait_for(held, 5)
        after, after_sent = _ask(app, "/after")  # the place /late waited for is free again
        await asyncio.wait_for(after, 2)
        return late_sent, after_sent

    late_sent, after_sent = asyncio.run(run())
    assert _status_and_retry(late_sent) == (503, "1")
    assert json.loads(late_sent[1]["body"]) == {"detail": "the server is busy; try again in 1 s"}
    assert after_sent[0]["status"] == 200
    assert [path for path, _ in inner.served] == ["/hold", "/after"]


def test_writes_and_live_streams_are_never_refused_they_wait_their_turn() -> None:
    inner = _Holding()
    app = RequestGateMiddleware(inner, limit=1, queue=0, wait_s=0.1)

    async def run():
        held, _ = _ask(app, "/hold")
        await asyncio.wait_for(inner.holding.wait(), 5)
        read, read_sent = _ask(app, "/read")
        write, write_sent = _ask(app, "/ack", method="POST")
        stream, stream_sent = _ask(app, "/events", headers=[(b"accept", b"text/event-stream")])
        await asyncio.wait_for(read, 1)
        await asyncio.sleep(0.3)  # past wait_s: the write and the stream still wait
        assert not write.done() and not stream.done()
        inner.let_go.set()
        await asyncio.wait_for(asyncio.gather(held, write, stream), 5)
        return read_sent, write_sent, stream_sent

    read_sent, write_sent, stream_sent = asyncio.run(run())
    assert read_sent[0]["status"] == 503
    assert write_sent[0]["status"] == 200 and stream_sent[0]["status"] == 200
    assert [path for path, _ in inner.served] == ["/hold", "/ack", "/events"]


def test_a_wait_of_zero_or_a_negative_queue_is_refused_as_a_setting() -> None:
    from lanewatch.config.service import ServiceSettings

    with pytest.raises(ValueError):
        ServiceSettings(read_wait_s=0)
    with pytest.raises(ValueError):
        RequestGateMiddleware(lambda *_: None, limit=1, queue=-1)  # type: ignore[arg-type, return-value]
