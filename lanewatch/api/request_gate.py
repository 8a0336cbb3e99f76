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

Past capacity a read is refused rather than left to wait without end: a `GET` (or `HEAD`) that finds
`queue` reads already waiting, or that has waited `wait_s`, is answered 503 with `Retry-After` at once.
Why: a queue that only grows makes every answer late (at 100 req/s beside the centre's ingest on the
2-core machine: p99 9 s for all of them); bounding it keeps the answers that are given prompt and tells
the others when to come back. Writes (a duty officer's confirmation, a sensor's report) and live event
streams are never refused: they wait their turn as before, as refusing them could lose what they carry.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lanewatch.api.middleware import send_worded

STREAM_TYPE = b"text/event-stream"
REFUSABLE = frozenset({"GET", "HEAD"})
TIMED_OUT = "timed out"


@dataclass
class _Gate:
    """One event loop's places, and how many refusable reads wait for one now."""

    loop: asyncio.AbstractEventLoop
    places: asyncio.Semaphore
    reads_waiting: int = 0


class RequestGateMiddleware:
    """At most `limit` HTTP requests inside the app at once; the others wait their turn in arrival order.
    At most `queue` reads wait, none longer than `wait_s`: the others are answered 503."""

    def __init__(self, app: ASGIApp, limit: int, *, queue: int = 200, wait_s: float = 5.0) -> None:
        if limit < 1:
            raise ValueError(f"the request limit must be at least 1, not {limit}")
        if queue < 0 or not wait_s > 0:
            raise ValueError(f"the read queue must be 0 or more and the wait above 0, not {queue} and {wait_s}")
        self.app = app
        self.limit = limit
        self.queue = queue
        self.wait_s = wait_s
        # Made in the server's event loop at its first request; an app served from another loop later (a
        # test client's) gets its own, as a semaphore belongs to one loop.
        self._gate: _Gate | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate.loop is not loop:
            self._gate = _Gate(loop, asyncio.Semaphore(self.limit))
        state = self._gate
        gate = state.places
        refusable = _refusable(scope)
        if refusable and gate.locked():
            if state.reads_waiting >= self.queue:
                await self._refuse(scope, receive, send)
                return
            state.reads_waiting += 1
            try:
                read_meanwhile = await _acquire_unless_gone(gate, receive, self.wait_s)
            finally:
                state.reads_waiting -= 1
        else:
            read_meanwhile = await _acquire_unless_gone(gate, receive, None)
        if read_meanwhile is None:
            return  # the client hung up while waiting: nobody to answer
        if isinstance(read_meanwhile, str):  # TIMED_OUT
            await self._refuse(scope, receive, send)
            return
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

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """503 in the request's language, with when to come back: the queue drains in about `wait_s`."""
        seconds = max(1, math.ceil(self.wait_s))
        await send_worded(scope, receive, send, 503, "api.busy", {"Retry-After": str(seconds)}, seconds=seconds)


async def _acquire_unless_gone(
    gate: asyncio.Semaphore, receive: Receive, wait_s: float | None
) -> list[Message] | str | None:
    """Wait for a place (at most `wait_s`, if given) while listening to the client; the messages read
    meanwhile (the request's body) are returned for the app to read in order. None: the client hung up
    first; TIMED_OUT: no place came in time. Either way no place is held."""
    if not gate.locked():
        await gate.acquire()  # a free place: taken at once, nothing read from the client
        return []
    loop = asyncio.get_running_loop()
    deadline = None if wait_s is None else loop.time() + wait_s
    early: list[Message] = []
    place = asyncio.ensure_future(gate.acquire())
    try:
        while not place.done():
            left = None if deadline is None else max(0.0, deadline - loop.time())
            listening = asyncio.ensure_future(receive())
            await asyncio.wait({place, listening}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
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
            if not place.done() and deadline is not None and loop.time() >= deadline:
                place.cancel()
                await asyncio.gather(place, return_exceptions=True)
                if not place.cancelled():
                    return early  # granted while it was being cancelled: served after all
                return TIMED_OUT
    except BaseException:
        if place.done() and not place.cancelled():
            gate.release()  # the server cancelled this request after its place was granted
        place.cancel()
        raise
    return early


def _refusable(scope: Scope) -> bool:
    """A read that may be answered 503 under overload: a GET or HEAD, not a live event stream."""
    if scope["method"] not in REFUSABLE:
        return False
    return not any(k == b"accept" and STREAM_TYPE in v for k, v in scope["headers"])


def _is_stream(message: Message) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(STREAM_TYPE) for k, v in message.get("headers", []))
