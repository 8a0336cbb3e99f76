"""A bound on the requests one process serves at once, so a flood of requests cannot take every database
connection from the background jobs (centre ingest, alarm escalation, webhook deliveries) or deadlock
itself.

Why: a route's session is opened in one worker-thread hop and closed in a later one. Under a flood (seen
at 200 req/s of `GET /api/violations` on the 2-core machine), more requests had opened a session than the
pool holds connections; every worker thread then waited for a connection held by a request that needed
a worker thread to give it back, until the pool's 30 s timeout. Requests failed with 500, the centre's
ingest and the alarm scanner found no connection either. Requests beyond the bound wait here, holding no
thread and no connection, and are served in turn. A live event stream gives its place back once its
response has begun: it may stay open for hours.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STREAM_TYPE = b"text/event-stream"


class RequestGateMiddleware:
    """At most `limit` HTTP requests inside the app at once; the others wait their turn in arrival order."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the request limit must be at least 1, not {limit}")
        self.app = app
        self.limit = limit
        # Made in the server's event loop at its first request; an app served from another loop later (a
        # test client's) gets its own, as a semaphore belongs to one loop.
        self._gate: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate[0] is not loop:
            self._gate = (loop, asyncio.Semaphore(self.limit))
        gate = self._gate[1]
        await gate.acquire()
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                gate.release()

        async def watching_send(message: Message) -> None:
            if message["type"] == "http.response.start" and _is_stream(message):
                release()
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        finally:
            release()


def _is_stream(message: Message) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(STREAM_TYPE) for k, v in message.get("headers", []))
