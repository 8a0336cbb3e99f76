"""/api/cameras/{id}/view routes: a moved camera's reference view, how far its view shifted, and the way back.

When a camera is knocked (health ``moved``), its zones no longer lie on the
lane and its violations are marked unreliable (``events.unreliable``). The
property manager then compares the reference picture with the current one in
the zone editor, carries the zones through the estimated homography (a
preview: saving goes through the zone import, which audits each zone), and
confirms the zones: the camera's next picture becomes its reference view and
``moved`` ends. The picture judge lives in the running pipeline; a process
without one (a centre, the tests' fake runtime) answers 503.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lanewatch.api.deps import RuntimeDep, SessionDep, StrictJSONRoute
from lanewatch.api.errors import ApiError, responses
from lanewatch.api.imaging import encode_jpeg
from lanewatch.api.permits import Reader, ZoneEditor
from lanewatch.api.routers.cameras import CameraPath, camera_or_404
from lanewatch.api.runtime import Runtime
from lanewatch.people import audit
from lanewatch.store.zone_rows import zone_of, zone_rows
from lanewatch.video.health import SourceState
from lanewatch.video.picture_health import THUMB_HEIGHT, THUMB_WIDTH, PictureHealth
from lanewatch.video.view_shift import ViewReference
from lanewatch.zones.homography import carry
from lanewatch.zones.zone import Zone

router = APIRouter(prefix="/cameras/{camera_id}/view", tags=["cameras"], route_class=StrictJSONRoute)

Matrix = Annotated[list[Annotated[list[float], Field(min_length=3, max_length=3)]], Field(min_length=3, max_length=3)]


class ViewShiftOut(BaseModel):
    """The latest analysed picture compared with the reference view."""

    camera: str = Field(title="Camera id")
    moved: bool = Field(title="Moved", description="The camera's health is `moved` now.")
    shift: float | None = Field(
        title="Shift", description="The view centre's displacement, as a fraction of the width; null: not estimated."
    )
    inliers: int = Field(title="Agreeing features", description="Matched features that fit the homography.")
    homography: Matrix | None = Field(
        title="Homography",
        description="3x3, reference view → current view, in fractions of the picture; null when too few features "
        "agree (redraw the zones by hand).",
    )


class CarryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    homography: Matrix = Field(title="Homography", description="3x3, in fractions of the picture (from `/view/shift`).")


def _view_or_503(runtime: Runtime, camera_id: str) -> tuple[PictureHealth, ViewReference]:
    """The camera's running picture judge and its reference view, or 503 (not yet learnt, or no pipeline here)."""
    pipeline = getattr(runtime, "pipeline", None)
    judge: PictureHealth | None = pipeline.picture(camera_id) if pipeline is not None else None
    if judge is None or judge.view is None:
        raise ApiError(status.HTTP_503_SERVICE_UNAVAILABLE, "api.camera.no_view", camera=camera_id)
    return judge, judge.view


class ViewStateOut(BaseModel):
    """Whether the camera has a reference view to compare with, and whether it is moved now."""

    camera: str = Field(title="Camera id")
    reference: bool = Field(title="Has a reference view", description="False until about a minute of healthy pictures.")
    moved: bool = Field(title="Moved", description="The camera's health is `moved` now.")


@router.get("", response_model=ViewStateOut, responses=responses(401, 403, 404), summary="View state")
def view_state(camera_id: CameraPath, session: SessionDep, runtime: RuntimeDep, caller: Reader) -> ViewStateOut:
    """Asked first by the zone editor, so it fetches the pictures only when there is a reference (no 503s)."""
    camera_or_404(session, camera_id, caller.scope)
    pipeline = getattr(runtime, "pipeline", None)
    judge: PictureHealth | None = pipeline.picture(camera_id) if pipeline is not None else None
    has = judge is not None and judge.view is not None and runtime.latest_frame(camera_id) is not None
    moved = judge is not None and judge.reported is SourceState.MOVED
    return ViewStateOut(camera=camera_id, reference=has, moved=moved)


@router.get(
    "/reference.jpg",
    response_class=Response,
    summary="The camera's reference view",
    responses={200: {"content": {"image/jpeg": {}}, "description": "JPEG picture."}, **responses(401, 403, 404, 503)},
)
def reference_picture(camera_id: CameraPath, session: SessionDep, runtime: RuntimeDep, caller: Reader) -> Response:
    """The small grey picture the camera's view is compared with (what it saw when its zones were right)."""
    camera_or_404(session, camera_id, caller.scope)
    _, view = _view_or_503(runtime, camera_id)
    return Response(encode_jpeg(view.grey, 90), media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/shift", response_model=ViewShiftOut, responses=responses(401, 403, 404, 503), summary="View shift")
def view_shift(camera_id: CameraPath, session: SessionDep, runtime: RuntimeDep, caller: Reader) -> ViewShiftOut:
    """The latest analysed picture against the reference view: the homography the zone editor carries zones by."""
    camera_or_404(session, camera_id, caller.scope)
    judge, view = _view_or_503(runtime, camera_id)
    latest = runtime.latest_frame(camera_id)
    if latest is None:
        raise ApiError(status.HTTP_503_SERVICE_UNAVAILABLE, "api.camera.no_view", camera=camera_id)
    found = view.compare(latest[0].grey_thumbnail(THUMB_WIDTH, THUMB_HEIGHT))
    matrix = [[round(float(v), 8) for v in row] for row in found.homography] if found.homography is not None else None
    moved = judge.reported is SourceState.MOVED
    return ViewShiftOut(camera=camera_id, moved=moved, shift=found.shift, inliers=found.inliers, homography=matrix)


@router.post(
    "/carry", response_model=list[Zone], responses=responses(401, 403, 404, 422), summary="Zones carried (preview)"
)
def carry_zones(
    camera_id: CameraPath, session: SessionDep, caller: ZoneEditor, body: Annotated[CarryIn, Body()]
) -> list[Zone]:
    """The camera's zones moved by the homography; nothing is saved (save them with `PUT .../zones`)."""
    camera_or_404(session, camera_id, caller.scope)
    zones = [zone_of(row) for row in zone_rows(session, camera_id)]
    try:  # validated again: a carried lane may cross itself or flatten, and must not be saved like that
        return [Zone.model_validate({**z.model_dump(), "polygon": carry(z.polygon, body.homography)}) for z in zones]
    except (ValueError, ValidationError) as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, "api.view.bad_homography", reason=reason) from exc


@router.post(
    "/confirm", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 404, 503), summary="Confirm zones"
)
def confirm_zones(camera_id: CameraPath, session: SessionDep, runtime: RuntimeDep, caller: ZoneEditor) -> Response:
    """The zones are right for the current view: it becomes the reference view, and `moved` ends."""
    camera = camera_or_404(session, camera_id, caller.scope)
    judge, _ = _view_or_503(runtime, camera_id)
    was_moved = judge.reported is SourceState.MOVED
    judge.confirm_view()
    audit.record(
        session, caller, "camera.view_confirm", "camera", camera_id, org_pk=camera.org_pk, after={"moved": was_moved}
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
