"""Pure ASGI middleware: the request body limit and the API's request counters."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lanewatch.api.errors import ApiError
from lanewatch.words import negotiate
from lanewatch.words.said import say


def _too_large(limit: int) -> ApiError:
    """Inside a route the error handler words it in the request's language; before one, `_send_413` does."""
    return ApiError(413, "api.body.too_large", limit=limit)


class BodyLimitMiddleware:
    """413 for bodies over ``app.state.max_body_bytes``.

    A declared Content-Length over the limit is refused before anything is
    read; a chunked (or understated) body is counted as it streams in, and
    the read that crosses the limit raises the 413 inside the route, where
    the error handlers turn it into the usual error body.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit: int = scope["app"].state.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_413(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except HTTPException as exc:  # raised outside a route (no handler caught it)
            if exc.status_code != 413 or started:
                raise
            await _send_413(scope, receive, send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_413(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    await send_worded(scope, receive, send, 413, "api.body.too_large", {"Connection": "close"}, limit=limit)


async def send_worded(
    scope: Scope, receive: Receive, send: Send, status: int, key: str, headers: dict[str, str], **params: object
) -> None:
    """The usual error body, worded in the request's Accept-Language, sent before any route (no handler) ran."""
    accept = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-language"), None)
    detail = say(key, negotiate(accept), **params)
    await JSONResponse({"detail": detail}, status_code=status, headers=headers)(scope, receive, send)


class RequestMetrics:
    """Counters of API requests by method, route template and status, in the app's own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lanewatch_api_requests",
            "HTTP API requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "lanewatch_api_request_seconds",
            "Time to answer an HTTP API request.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


class MetricsMiddleware:
    """Counts each answered request under its documented route template (``/api/cameras/{camera_id}``)."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics, routes: list[str]) -> None:
        self.app = app
        self.metrics = metrics
        # Literal paths before those with parameters, as the router itself prefers them.
        self._templates = [(compile_path(p)[0], p) for p in sorted(set(routes), key=lambda p: (p.count("{"), p))]

    def _route(self, path: str) -> str:
        return next((template for regex, template in self._templates if regex.match(path)), "other")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        path = scope["path"]
        status = 500

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        finally:
            route = self._route(path)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.seconds.labels(scope["method"], route).observe(time.perf_counter() - start)
