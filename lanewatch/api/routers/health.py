"""GET /api/health (no key: for load balancers and uptime checks) and GET /metrics (READ).

Health names cameras only to a caller who sends credentials, and then only
those in its scope; without them it still counts every camera in its status
but names none (outside a scope a camera does not exist).
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, Response, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from lanewatch import __version__
from lanewatch.api.auth import _bearer, _header, authenticate
from lanewatch.api.deps import RuntimeDep, SessionDep
from lanewatch.api.errors import responses
from lanewatch.api.permits import Reader
from lanewatch.api.routers.cameras import CameraStatusOut
from lanewatch.api.runtime import Runtime
from lanewatch.people import sessions
from lanewatch.people.scope import Scope
from lanewatch.store.tables import CameraRow, utcnow

router = APIRouter(tags=["health"])

_STARTED = time.monotonic()
_CAMERA_LABEL = re.compile(r'[{,]camera="((?:[^"\\]|\\.)*)"')


def _in_scope(text: str, cameras: frozenset[str] | None) -> str:
    """The metrics text without the samples of cameras outside the scope (None: all kept)."""
    if cameras is None:
        return text
    kept = []
    for line in text.splitlines(keepends=True):
        found = None if line.startswith("#") else _CAMERA_LABEL.search(line)
        if found is None or found.group(1) in cameras:
            kept.append(line)
    return "".join(kept)


class DatabaseHealth(BaseModel):
    ok: bool = Field(title="Reachable", description="`SELECT 1` succeeded.")
    latency_ms: float | None = Field(title="Round trip (ms)", description="Time `SELECT 1` took.")
    error: str | None = Field(None, title="Error", description="The kind of failure when unreachable.")


class CameraHealth(CameraStatusOut):
    id: str = Field(title="Camera id")
    enabled: bool = Field(title="Enabled")


class PipelineHealthOut(BaseModel):
    state: Literal["ok", "behind"] = Field(
        title="Detector state",
        description="behind: looks were dropped (oldest first) in the last seconds or wait too long for the "
        "detector; clears once the backlog has drained.",
    )
    backlog: int = Field(title="Looks waiting for the detector")
    oldest_wait_s: float = Field(title="Longest wait of a live camera's look (s)")
    dropped: int = Field(title="Looks dropped so far")
    since: datetime | None = Field(None, title="In this state since")


class IngestPathHealth(BaseModel):
    up: bool = Field(title="Up", description="mqtt: connected to the broker; gb26875: listening.")
    counters: dict[str, int] = Field(title="Counters", description="Messages, frames, connections... since start.")


class Health(BaseModel):
    status: Literal["ok", "degraded", "unavailable"] = Field(
        title="Status",
        description="ok; degraded: an enabled camera is not online, or the detector is behind; "
        "unavailable: no database (503).",
    )
    version: str = Field(title="lanewatch version")
    uptime_s: float = Field(title="Seconds since the API started")
    database: DatabaseHealth = Field(title="Database")
    cameras: list[CameraHealth] = Field(title="Cameras", description="Empty when the database is unreachable.")
    pipeline: PipelineHealthOut | None = Field(
        None, title="Detector pipeline", description="None when this process runs no pipeline."
    )
    alarm_ingest: dict[str, IngestPathHealth] = Field(
        default_factory=dict,
        title="Sensor ingest paths",
        description="The enabled ones besides HTTP: 'mqtt' and 'gb26875'. One that is down makes the status degraded.",
    )
    checked_at: datetime = Field(title="Checked at")


@router.get(
    "/api/health",
    response_model=Health,
    summary="Service health (no key needed)",
    responses={503: {"model": Health, "description": "The database is unreachable."}},
)
def health(
    runtime: RuntimeDep,
    request: Request,
    bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
    header_key: str | None = Security(_header),
) -> JSONResponse:
    """Process up, database reachable (with latency), each camera's live state and last frame time
    (cameras named only with credentials, those in the caller's scope)."""
    start = time.perf_counter()
    cameras: list[CameraHealth] = []
    named: list[CameraHealth] = []
    shown: Scope | None = None
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()
        latency_ms = (time.perf_counter() - start) * 1000
        with Session(runtime.engine) as session:
            shown = _scope_of(session, request, bearer, header_key)
            rows = session.exec(select(CameraRow).order_by(CameraRow.id)).all()
        database = DatabaseHealth(ok=True, latency_ms=round(latency_ms, 3))
        for row in rows:
            live = CameraStatusOut.of(runtime.camera_status(row.id))
            cameras.append(CameraHealth(id=row.id, enabled=row.enabled, **live.model_dump()))
        named = [c for c, row in zip(cameras, rows, strict=True) if shown is not None and shown.allows(row.org_pk)]
    except SQLAlchemyError as exc:
        database = DatabaseHealth(ok=False, latency_ms=None, error=type(exc).__name__)
    pipeline = _pipeline_health(runtime)
    ingest = {
        name: IngestPathHealth(up=up, counters=counters)
        for name, (up, counters) in runtime.alarm_ingest_health().items()
    }
    state: Literal["ok", "degraded", "unavailable"]
    if not database.ok:
        state = "unavailable"
    elif (
        any(c.enabled and c.state != "online" for c in cameras)
        or (pipeline and pipeline.state == "behind")
        or not all(path.up for path in ingest.values())
    ):
        state = "degraded"
    else:
        state = "ok"
    body = Health(
        status=state,
        version=__version__,
        uptime_s=round(time.monotonic() - _STARTED, 3),
        database=database,
        cameras=named,
        pipeline=pipeline,
        alarm_ingest=ingest,
        checked_at=utcnow(),
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=503 if state == "unavailable" else 200,
        headers={"Cache-Control": "no-store"},
    )


def _scope_of(
    session: Session, request: Request, bearer: HTTPAuthorizationCredentials | None, header_key: str | None
) -> Scope | None:
    """The scope of the caller's key (a bad key: 401) or sign-in (a stale one: as without); None without either."""
    if bearer is not None or header_key:
        return authenticate(session, bearer, header_key).scope
    if not request.cookies.get(sessions.COOKIE):
        return None
    try:
        return authenticate(session, None, None, request=request).scope
    except HTTPException:  # an expired sign-in must not make the health check fail
        return None


def _pipeline_health(runtime: Runtime) -> PipelineHealthOut | None:
    h = runtime.pipeline_health()
    if h is None:
        return None
    return PipelineHealthOut(
        state=h.state, backlog=h.backlog, oldest_wait_s=h.oldest_wait_s, dropped=h.dropped, since=h.since
    )


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics (viewer key)",
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format."},
        **responses(401, 403),
    },
)
def metrics(request: Request, runtime: RuntimeDep, session: SessionDep, caller: Reader) -> Response:
    """The pipeline's counters (frames, inferences, queue depth, violations) and the API's request counters.

    Needs a viewer key like every other route: give the scraper its own key
    (`lanewatch keys create --role viewer --name prometheus`) as a bearer token.
    """
    pipeline = _in_scope(runtime.metrics_text(), caller.scope.camera_ids(session))
    if pipeline and not pipeline.endswith("\n"):
        pipeline += "\n"
    api = generate_latest(request.app.state.request_metrics.registry).decode()
    return Response(pipeline + api, media_type=CONTENT_TYPE_LATEST)
