"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from lanewatch import __version__
from lanewatch.api.errors import install_error_handlers
from lanewatch.api.middleware import BodyLimitMiddleware, MetricsMiddleware, RequestMetrics
from lanewatch.api.request_gate import RequestGateMiddleware
from lanewatch.api.routers import (
    alarms,
    audit,
    camera_picture,
    camera_view,
    cameras,
    events,
    health,
    keys,
    lanes,
    links,
    orgs,
    people,
    session,
    sites,
    violations,
    web,
    webhooks,
    zones,
)
from lanewatch.api.routers.words import router as words_router
from lanewatch.api.runtime import Runtime

DESCRIPTION = """Fire-lane watch: cameras, lane zones, violations, live events, webhooks.

Every route except `GET /api/health` needs an API key (`lanewatch keys create --role ...`), sent as
`Authorization: Bearer lw_...` or `X-API-Key: lw_...`. Roles: **viewer** reads, **operator** also
acknowledges and resolves violations, **admin** also edits cameras, zones, keys and webhooks.
`GET /metrics` (Prometheus) needs a viewer key too: give the scraper its own, as a bearer token.
Errors always answer `{"detail": "..."}` (plus `errors` for invalid input)."""


def create_app(
    runtime: Runtime,
    *,
    max_body_bytes: int = 1_000_000,
    concurrent_requests: int = 24,
    queued_reads: int = 200,
    read_wait_s: float = 5.0,
    on_shutdown: Callable[[], None] | None = None,
) -> FastAPI:
    """Build the app around a running (or fake) runtime; ``on_shutdown`` runs in the server's graceful shutdown.

    ``concurrent_requests`` bounds the requests served at once (`RequestGateMiddleware`): keep it below the
    database pool's size, so the background jobs always find a connection. Past it at most ``queued_reads``
    reads wait, none longer than ``read_wait_s``; the others are answered 503 with Retry-After."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if on_shutdown is not None:
            await run_in_threadpool(on_shutdown)

    app = FastAPI(title="lanewatch", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.max_body_bytes = max_body_bytes
    app.state.request_metrics = RequestMetrics()
    install_error_handlers(app)
    mounted = [("/api", module.router) for module in (cameras, zones, violations, events, webhooks, keys, alarms)]
    mounted += [("/api", module.router) for module in (orgs, people, audit)]  # who may see what
    mounted.append(("/api", lanes.router))  # what drives through the lanes
    mounted.append(("/api", camera_view.router))  # a moved camera's reference view and the way back
    mounted.append(("/api", camera_picture.router))  # a camera's own picture-health thresholds
    mounted.append(("/api", sites.router))  # each site's link to the centre
    mounted.append(("", health.router))  # /api/health and /metrics
    mounted.append(("", session.router))  # /api/session and /api/me
    mounted.append(("", web.router))  # the web pages at /
    mounted.append(("", words_router))  # the pages' words, /words/{lang}.json
    mounted.append(("", links.router))  # evidence by signed link, /links/snapshot/{id}.jpg
    for prefix, router in mounted:
        app.include_router(router, prefix=prefix)
    routes = [
        prefix + route.path for prefix, router in mounted for route in router.routes if isinstance(route, APIRoute)
    ]
    app.add_middleware(  # innermost: waiting costs nothing else
        RequestGateMiddleware, limit=concurrent_requests, queue=queued_reads, wait_s=read_wait_s
    )
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.request_metrics, routes=routes)  # outermost: counts 413s
    return app
