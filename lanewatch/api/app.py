"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from lanewatch import __version__
from lanewatch.api.routers import cameras, events, health, violations, webhooks, zones
from lanewatch.api.runtime import Runtime


def create_app(runtime: Runtime, *, max_body_bytes: int = 1_000_000) -> FastAPI:
    """Build the app around a running (or fake) runtime."""
    app = FastAPI(title="lanewatch", version=__version__,
                  description="Fire-lane watch: cameras, lane zones, violations, live events, webhooks.")
    app.state.runtime = runtime
    app.state.max_body_bytes = max_body_bytes
    for module in (cameras, zones, violations, events, webhooks):
        app.include_router(module.router, prefix="/api")
    app.include_router(health.router)  # /api/health and /metrics
    return app
