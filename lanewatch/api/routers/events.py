"""/api/events: live violations and camera health as Server-Sent Events.

Each event is ``id: <n>``, ``event: <type>``, ``data: <JSON>`` (the payload
plus ``published_at``). A comment line keeps idle connections open every
`KEEPALIVE_S`. A reconnecting client sends ``Last-Event-ID`` (browsers do it
by themselves) and first receives what it missed, as far as the server's
ring of recent events reaches; when it reaches not far enough, a
``stream.gap`` event says so. A client too slow to keep up is sent a
``stream.lagging`` event and disconnected, so that it reconnects and
resumes. The stream ends when the client goes away or the bus is closed
(service shutdown). A scoped caller hears only events of cameras and
devices inside its scope (`lanewatch.people.event_scope.StreamScope`). A
stream whose sign-in ends (signed out, person disabled, password reset) or
whose key is revoked is sent ``stream.ended`` and closed at its first event
or keep-alive `lanewatch.people.stream_guard.RECHECK_S` after the last check
(`CredentialGuard`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import inspect
from sqlmodel import Session

from lanewatch.api.auth import current_sign_in
from lanewatch.api.deps import RuntimeDep, SessionDep
from lanewatch.api.errors import responses
from lanewatch.api.permits import Reader
from lanewatch.events.bus import LiveEvent, Subscription, payload_camera, type_matches
from lanewatch.people.event_scope import StreamScope
from lanewatch.people.stream_guard import CredentialGuard

router = APIRouter(tags=["events"])

KEEPALIVE_S = 15.0
RETRY_MS = 3000


def sse_message(event_type: str, data: dict[str, Any], event_id: int | None = None) -> str:
    """One SSE message (JSON never contains a raw newline, so `data:` is one line)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event_type}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _encode(event: LiveEvent) -> str:
    return sse_message(event.type, {**event.payload, "published_at": event.at.isoformat()}, event.id)


def _wanted(event: LiveEvent, cameras: list[str], types: list[str]) -> bool:
    return (not cameras or payload_camera(event.payload) in cameras) and (not types or type_matches(types, event.type))


async def _in_scope(scope: StreamScope | None, event: LiveEvent) -> bool:
    if scope is None:
        return True
    if scope.needs_refresh(event.payload):
        await run_in_threadpool(scope.refresh)  # a database read: off the event loop
    return scope.allows(event.payload)


async def _stream(
    sub: Subscription,
    cameras: list[str],
    types: list[str],
    scope: StreamScope | None = None,
    guard: CredentialGuard | None = None,
) -> AsyncIterator[str]:
    try:
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        if sub.missed:
            yield sse_message("stream.gap", {"detail": "some events since Last-Event-ID are no longer kept"})
        while True:
            try:
                event = await sub.next(timeout=KEEPALIVE_S)
            except StopAsyncIteration:
                break
            if guard is not None and guard.due() and not await run_in_threadpool(guard.check):
                yield sse_message("stream.ended", {"detail": "signed out, disabled or key revoked: sign in again"})
                return
            if event is None:
                yield ": keep-alive\n\n"
            elif _wanted(event, cameras, types) and await _in_scope(scope, event):
                yield _encode(event)
        if sub.lagging:
            yield sse_message("stream.lagging", {"detail": "client too slow; reconnect with Last-Event-ID"})
    finally:
        sub.close()


def _parse_id(value: str | None) -> int | None:
    try:
        return int(value) if value is not None and value.strip() else None
    except ValueError:
        return None


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-Sent Events: violation.new|update|end, camera.online|offline|frozen|covered|dark|blurred|moved",
        },
        **responses(401, 403),
    },
)
async def events(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    caller: Reader,
    camera: list[str] = Query(default=[], description="Only events about these cameras."),
    type: list[str] = Query(default=[], description="Only these types or prefixes (violation.*)."),
    last_event_id: str | None = Query(default=None, description="Resume after this id (as the header)."),
    last_event_id_header: str | None = Header(default=None, alias="Last-Event-ID"),
) -> StreamingResponse:
    """Live events as Server-Sent Events (READ), only those of cameras and devices in the caller's scope."""
    session.close()  # the key check is done: hold no database connection for the stream's lifetime
    bus = runtime.bus
    resume = _parse_id(last_event_id_header)
    sub = bus.subscribe(resume if resume is not None else _parse_id(last_event_id))
    sign_in = current_sign_in(request)
    identity = inspect(sign_in).identity if sign_in is not None else None  # the row is expired: no reload
    sign_in_pk = int(identity[0]) if identity else None
    guard = CredentialGuard(caller, sign_in_pk, lambda: Session(runtime.engine))
    return StreamingResponse(
        _stream(sub, camera, type, StreamScope(caller.scope, lambda: Session(runtime.engine)), guard),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
