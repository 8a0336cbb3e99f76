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

A request whose client hangs up while it waits is not served at all. Past capacity, clients give up
(a timeout, a person who reloads); serving their abandoned requests anyway spends the capacity on
answers nobody reads, so the queue only grows and almost nothing is answered in time (at 200 req/s on
the 2-core machine: 4 of 200 requests a second answered). Dropping them keeps the answered rate at
what the machine can serve.
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
        read_meanwhile = await _acquire_unless_gone(gate, receive)
        if read_meanwhile is None:
            return  # the client hung up while waiting: nobody to answer
        early: list[Message] = read_meanwhile
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

        async def replaying_receive() -> Message:
            return early.pop(0) if early else await receive()

        try:
            await self.app(scope, replaying_receive if early else receive, watching_send)
        finally:
            release()


async def _acquire_unless_gone(gate: asyncio.Semaphore, receive: Receive) -> list[Message] | None:
    """Wait for a place while listening to the client; the messages read meanwhile (the request's body)
    are returned for the app to read in order. None: the client hung up first and holds no place."""
    if not gate.locked():
        await gate.acquire()  # a free place: taken at once, nothing read from the client
        return []
    early: list[Message] = []
    place = asyncio.ensure_future(gate.acquire())
    try:
        while not place.done():
            listening = asyncio.ensure_future(receive())
            await asyncio.wait({place, listening}, return_when=asyncio.FIRST_COMPLETED)
            if not listening.done():
                listening.cancel()
                await asyncio.gather(listening, return_exceptions=True)  # cancelled, or came in meanwhile
            if listening.done() and not listening.cancelled():
                message = listening.result()
                if message["type"] == "http.disconnect":
                    if place.done() and not place.cancelled():
                        gate.release()
                    place.cancel()
                    return None
                early.append(message)
    except BaseException:
        if place.done() and not place.cancelled():
            gate.release()  # the server cancelled this request after its place was granted
        place.cancel()
        raise
    return early


def _is_stream(message: Message) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(STREAM_TYPE) for k, v in message.get("headers", []))
