"""/api/cameras/{id}/picture: one camera's own picture-health thresholds (covered, dark, blurred, moved).

The service's ``picture:`` settings apply to every camera; a camera whose
scene differs (a dim car park, a pole that sways in the wind) sets only the
thresholds it needs differently, stored in ``cameras.picture`` and laid over
the service's when the camera is (re)started (``video.picture_health.camera_picture``).
A change restarts the camera in the pipeline: its reference view is learnt again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, status
from pydantic import BaseModel, Field, ValidationError

from lanewatch.api.deps import RuntimeDep, SessionDep, StrictJSONRoute
from lanewatch.api.errors import ApiError, responses
from lanewatch.api.permits import CameraEditor, Reader
from lanewatch.api.routers.cameras import CameraPath, camera_or_404
from lanewatch.api.runtime import Runtime
from lanewatch.config import PictureHealthConfig
from lanewatch.people import audit
from lanewatch.store.tables import CameraRow, utcnow
from lanewatch.video.picture_health import camera_picture

router = APIRouter(prefix="/cameras/{camera_id}/picture", tags=["cameras"], route_class=StrictJSONRoute)


class PictureOut(BaseModel):
    camera: str = Field(title="Camera id")
    overrides: dict[str, Any] = Field(title="This camera's thresholds", description="Only those it sets itself.")
    settings: PictureHealthConfig = Field(title="In effect", description="The service's settings under the camera's.")


def _service_picture(runtime: Runtime) -> PictureHealthConfig:
    """The service's ``picture:`` settings (a runtime without settings, e.g. the tests' fake: the defaults)."""
    picture = getattr(getattr(runtime, "settings", None), "picture", None)
    return picture if isinstance(picture, PictureHealthConfig) else PictureHealthConfig()


def _out(row: CameraRow, runtime: Runtime) -> PictureOut:
    overrides = row.picture or {}
    return PictureOut(camera=row.id, overrides=overrides, settings=camera_picture(_service_picture(runtime), overrides))


@router.get("", response_model=PictureOut, responses=responses(401, 403, 404), summary="Picture-health thresholds")
def get_picture(camera_id: CameraPath, session: SessionDep, runtime: RuntimeDep, caller: Reader) -> PictureOut:
    return _out(camera_or_404(session, camera_id, caller.scope), runtime)


@router.put("", response_model=PictureOut, responses=responses(401, 403, 404, 422), summary="Set thresholds")
def set_picture(
    camera_id: CameraPath,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: CameraEditor,
    body: Annotated[dict[str, Any], Body(description="Thresholds of `picture:` this camera sets; {}: none.")],
) -> PictureOut:
    """Replace the camera's own thresholds (each checked as in `picture:`), then restart it with them."""
    row = camera_or_404(session, camera_id, caller.scope)
    try:
        camera_picture(PictureHealthConfig(), body)
    except ValidationError as exc:
        error = exc.errors()[0]
        reason = f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
        raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, "api.picture.bad", reason=reason) from exc
    before = row.picture or {}
    row.picture, row.updated_at = (dict(body) or None), utcnow()
    session.add(row)
    audit.record(
        session, caller, "camera.picture", "camera", camera_id, org_pk=row.org_pk, before=before, after=dict(body)
    )
    session.commit()
    runtime.reload_camera(camera_id)
    return _out(row, runtime)
