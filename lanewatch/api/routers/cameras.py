"""/api/cameras routes: cameras (CAMERAS_EDIT writes, READ reads, each inside the caller's scope) and their
latest frame. Every change is audited.

A source URL usually carries a password, so responses only ever show
`redact_url(source_url)`; sending the masked URL back in a PATCH keeps the
stored one.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from lanewatch.api.deps import RuntimeDep, SessionDep, StrictJSONRoute
from lanewatch.api.errors import ApiError, responses
from lanewatch.api.imaging import draw_detections, draw_zones, encode_jpeg
from lanewatch.api.org_ref import OrgCode, OrgRef, org_ref, org_refs, target_org
from lanewatch.api.permits import CameraEditor, Reader
from lanewatch.api.runtime import CameraStatus, Runtime
from lanewatch.detect.detections import Detections
from lanewatch.people import audit, event_scope
from lanewatch.people.caller import Caller
from lanewatch.people.scope import Scope, scoped
from lanewatch.store.tables import CameraRow, ZoneRow, as_utc, utcnow
from lanewatch.video.frame import Frame
from lanewatch.video.source import redact_url
from lanewatch.words.ids import fill_id_from_name
from lanewatch.words.said import Code

router = APIRouter(prefix="/cameras", tags=["cameras"], route_class=StrictJSONRoute)

CAMERA_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
MASK = "***"
MASKED = f"contains {MASK!r}, the mask shown in place of credentials: send the real URL"


def _not_masked(url: str) -> str:
    if MASK in url:
        raise ValueError(MASKED)
    return url


def _slug(camera_id: str) -> str:
    if not re.fullmatch(CAMERA_ID_PATTERN, camera_id):
        raise ValueError(
            "a camera id may use only letters, digits, '.', '-' and '_', and must start with "
            f"a letter or digit (got {camera_id[:40]!r})"
        )
    return camera_id


CameraId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        json_schema_extra={"pattern": CAMERA_ID_PATTERN},
        title="Camera id",
        description="Short id used in records, file names and the API: letters, digits, '.', '-' and '_', "
        "starting with a letter or digit.",
    ),
    AfterValidator(_slug),
]
Name = Annotated[str, Field(min_length=1, max_length=200, title="Name", description="Shown to people.")]
SourceUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        title="Source",
        description="rtsp:// or rtsps:// URL, video file or image folder. May hold credentials; they are "
        "never returned (responses show them as ***).",
    ),
]
SampleFps = Annotated[float, Field(gt=0, le=30, allow_inf_nan=False, title="Analysed frames per second")]
Imgsz = Annotated[int, Field(ge=128, le=2560, multiple_of=32, title="Inference size (px)")]
Decode = Annotated[
    Literal["auto", "all", "keyframes"],
    Field(
        title="Decode mode",
        description="'keyframes' decodes only key frames; 'auto' does so when the sampling "
        "interval is at least the GOP; 'all' decodes every frame.",
    ),
]
Enabled = Annotated[bool, Field(title="Enabled", description="A disabled camera is kept but not watched.")]
Place = Annotated[str | None, Field(max_length=200, title="Site / building", description="Free text for grouping.")]


class CameraCreate(BaseModel):
    """A camera to add; without an id, one is made from its name (pinyin for a Chinese name)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _id_from_name(cls, data: Any) -> Any:
        return fill_id_from_name(data, prefix="camera", max_length=100)

    id: CameraId
    name: Name
    source_url: Annotated[SourceUrl, AfterValidator(_not_masked)]
    sample_fps: SampleFps = 0.5
    imgsz: Imgsz = 960
    decode: Decode = "auto"
    enabled: Enabled = True
    site: Place = None
    building: Place = None
    org: OrgCode = None


class CameraPatch(BaseModel):
    """Fields to change; the others keep their values. The id cannot change."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # The None defaults only stand for "not sent" (read through model_fields_set; pydantic does not validate
    # defaults), so a sent null is still refused and the schema stays non-nullable: hence the ignores.
    name: Name = None  # type: ignore[assignment]  # "not sent", see above
    source_url: SourceUrl = None  # type: ignore[assignment]  # "not sent", see above
    sample_fps: SampleFps = None  # type: ignore[assignment]  # "not sent", see above
    imgsz: Imgsz = None  # type: ignore[assignment]  # "not sent", see above
    decode: Decode = None  # type: ignore[assignment]  # "not sent", see above
    enabled: Enabled = None  # type: ignore[assignment]  # "not sent", see above
    site: Place = None
    building: Place = None
    org: Annotated[OrgCode, Field(description="Move the camera to this community (inside your scope).")] = None


class DetectionOut(BaseModel):
    label: str = Field(title="Class")
    confidence: float = Field(title="Detector confidence")
    box: list[float] = Field(
        min_length=4, max_length=4, title="Box", description="x1, y1, x2, y2 as fractions of the frame."
    )
    track_id: int | None = Field(title="Track id", description="Null until the tracker has identified the object.")


class FrameDetections(BaseModel):
    """What the detector saw on the latest analysed frame (the zone editor draws these over the frame)."""

    camera: str = Field(title="Camera id")
    timestamp: datetime = Field(title="Frame time")
    width: int = Field(title="Frame width (px)")
    height: int = Field(title="Frame height (px)")
    detections: list[DetectionOut] = Field(title="Detections")


class CameraStatusOut(BaseModel):
    state: str = Field(
        title="State", description="online, offline, frozen, covered, dark, blurred, moved, or stopped (not running)."
    )
    last_frame_at: datetime | None = Field(title="Last frame at")
    frames: int = Field(title="Frames analysed")
    dropped: int = Field(title="Frames dropped")

    @classmethod
    def of(cls, s: CameraStatus) -> CameraStatusOut:
        return cls(state=s.state, last_frame_at=as_utc(s.last_frame_at), frames=s.frames, dropped=s.dropped)


class CameraOut(BaseModel):
    """A camera as the API shows it: credentials hidden, live status attached."""

    id: str = Field(title="Camera id")
    name: str = Field(title="Name")
    source_url: str = Field(title="Source (credentials hidden)")
    sample_fps: float = Field(title="Analysed frames per second")
    imgsz: int = Field(title="Inference size (px)")
    decode: str = Field(title="Decode mode")
    enabled: bool = Field(title="Enabled")
    site: str | None = Field(title="Site")
    building: str | None = Field(title="Building")
    org: OrgRef | None = Field(title="Organisation", description="The community the camera belongs to.")
    created_at: datetime = Field(title="Created at")
    updated_at: datetime = Field(title="Updated at")
    status: CameraStatusOut = Field(title="Live status")

    @classmethod
    def of(cls, row: CameraRow, runtime: Runtime, org: OrgRef | None) -> CameraOut:
        return cls(
            id=row.id,
            name=row.name,
            source_url=redact_url(row.source_url),
            sample_fps=row.sample_fps,
            imgsz=row.imgsz,
            decode=row.decode,
            enabled=row.enabled,
            site=row.site,
            building=row.building,
            org=org,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
            status=CameraStatusOut.of(runtime.camera_status(row.id)),
        )


CameraPath = Annotated[str, Path(max_length=100, title="Camera id")]


def camera_or_404(session: Session, camera_id: str, scope: Scope) -> CameraRow:
    """The camera, or 404 (the same for one outside `scope`: there it does not exist)."""
    row = session.get(CameraRow, camera_id)
    if row is None or not scope.allows(row.org_pk):
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.camera.none", camera=camera_id)
    return row


AUDITED = ("name", "source_url", "sample_fps", "imgsz", "decode", "enabled", "site", "building", "org_pk")
"""The fields a camera's audit entries compare (`audit.record` masks the source URL)."""


def _fields(row: CameraRow) -> dict[str, object]:
    return {name: getattr(row, name) for name in AUDITED}


def _out(session: Session, row: CameraRow, runtime: Runtime) -> CameraOut:
    return CameraOut.of(row, runtime, org_ref(session, row.org_pk))


@router.get("", response_model=list[CameraOut], responses=responses(401, 403), summary="List cameras")
def list_cameras(session: SessionDep, runtime: RuntimeDep, caller: Reader) -> list[CameraOut]:
    """The cameras in the caller's scope."""
    rows = session.exec(scoped(select(CameraRow), caller.scope, CameraRow).order_by(CameraRow.id)).all()
    orgs = org_refs(session, (r.org_pk for r in rows))
    return [CameraOut.of(row, runtime, orgs.get(row.org_pk) if row.org_pk else None) for row in rows]


@router.post(
    "",
    response_model=CameraOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 409, 413, 422),
    summary="Add a camera",
)
def create_camera(body: CameraCreate, session: SessionDep, runtime: RuntimeDep, caller: CameraEditor) -> CameraOut:
    """The camera belongs to `org` (default: the caller's own community); it must be inside the caller's scope."""
    org_pk = target_org(session, caller, body.org, kind="community", what="camera")
    if session.get(CameraRow, body.id) is not None:
        raise ApiError(status.HTTP_409_CONFLICT, "api.camera.exists", camera=body.id)
    row = CameraRow(**body.model_dump(exclude={"org"}), org_pk=org_pk)
    session.add(row)
    audit.record(session, caller, "camera.create", "camera", row.id, org_pk=org_pk, after=_fields(row))
    try:
        session.commit()
    except IntegrityError:  # created concurrently
        session.rollback()
        raise ApiError(status.HTTP_409_CONFLICT, "api.camera.exists", camera=body.id) from None
    event_scope.changed()
    runtime.reload_camera(row.id)
    return _out(session, row, runtime)


@router.get("/{camera_id}", response_model=CameraOut, responses=responses(401, 403, 404, 422), summary="Get a camera")
def get_camera(camera_id: CameraPath, session: SessionDep, runtime: RuntimeDep, caller: Reader) -> CameraOut:
    return _out(session, camera_or_404(session, camera_id, caller.scope), runtime)


@router.patch(
    "/{camera_id}", response_model=CameraOut, responses=responses(401, 403, 404, 413, 422), summary="Change a camera"
)
def update_camera(
    camera_id: CameraPath, body: CameraPatch, session: SessionDep, runtime: RuntimeDep, caller: CameraEditor
) -> CameraOut:
    """Sending `org` moves the camera (the target must be inside the caller's scope too)."""
    row = camera_or_404(session, camera_id, caller.scope)
    before = _fields(row)
    changes = body.model_dump(exclude_unset=True)  # only site and building accept null
    if "org" in changes:
        code = changes.pop("org")
        if code is None:
            raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, "api.org.null")
        changes["org_pk"] = target_org(session, caller, code, kind="community", what="camera")
    url = changes.get("source_url")
    if url is not None:
        if url == redact_url(row.source_url):
            del changes["source_url"]  # the masked URL sent back unchanged
        elif MASK in url:
            raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, "api.camera.masked_url", mask=MASK)
    for field, value in changes.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    session.add(row)
    _audit_change(session, caller, row, before)
    session.commit()
    event_scope.changed()
    runtime.reload_camera(camera_id)
    return _out(session, row, runtime)


def _audit_change(session: Session, caller: Caller, row: CameraRow, before: dict[str, object]) -> None:
    old, new = audit.changed_fields(before, _fields(row))
    if not new:
        return  # nothing changed: nothing to audit
    action = "camera.move" if "org_pk" in new else "camera.update"
    audit.record(session, caller, action, "camera", row.id, org_pk=row.org_pk, before=old, after=new)


@router.delete(
    "/{camera_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
    summary="Remove a camera and its zones",
)
def delete_camera(camera_id: CameraPath, session: SessionDep, runtime: RuntimeDep, caller: CameraEditor) -> None:
    """Its violations and evidence stay (they are records of what happened)."""
    row = camera_or_404(session, camera_id, caller.scope)
    audit.record(session, caller, "camera.delete", "camera", camera_id, org_pk=row.org_pk, before=_fields(row))
    session.exec(delete(ZoneRow).where(col(ZoneRow.camera_id) == camera_id))
    session.delete(row)
    session.commit()
    event_scope.changed()
    runtime.reload_camera(camera_id)


def _latest_or_503(runtime: Runtime, camera_id: str) -> tuple[Frame, Detections]:
    latest = runtime.latest_frame(camera_id)
    if latest is None:
        state = runtime.camera_status(camera_id).state
        raise ApiError(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "api.camera.no_frame",
            camera=camera_id,
            state=Code("state", state),
            headers={"Retry-After": "5"},
        )
    return latest


@router.get(
    "/{camera_id}/detections",
    response_model=FrameDetections,
    responses=responses(401, 403, 404, 422, 503),
    summary="Detections on the latest analysed frame",
)
def latest_detections(
    camera_id: CameraPath, session: SessionDep, runtime: RuntimeDep, caller: Reader
) -> FrameDetections:
    """Boxes as fractions of the frame, so they overlay `frame.jpg` at any display size."""
    camera_or_404(session, camera_id, caller.scope)
    frame, found = _latest_or_503(runtime, camera_id)
    w, h = frame.width, frame.height
    boxes = [
        DetectionOut(
            label=str(name),
            confidence=round(float(conf), 4),
            box=[round(min(max(float(v) / size, 0.0), 1.0), 5) for v, size in zip(xyxy, (w, h, w, h), strict=True)],
            track_id=int(track) if track >= 0 else None,
        )
        for xyxy, name, conf, track in zip(
            found.xyxy, found.class_name, found.confidence, found.tracker_id, strict=True
        )
    ]
    return FrameDetections(camera=camera_id, timestamp=as_utc(frame.timestamp), width=w, height=h, detections=boxes)


@router.get(
    "/{camera_id}/frame.jpg",
    response_class=Response,
    summary="Latest analysed frame",
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "JPEG picture."},
        **responses(401, 403, 404, 422, 503),
    },
)
def latest_frame(
    camera_id: CameraPath,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: Reader,
    zones: Annotated[bool, Query(description="Draw the camera's zones (outline and name).")] = False,
    detections: Annotated[bool, Query(description="Draw the boxes detected on this frame.")] = False,
    quality: Annotated[int, Query(ge=1, le=100, description="JPEG quality.")] = 85,
) -> Response:
    """The last frame the pipeline analysed; the zone editor draws on it."""
    camera_or_404(session, camera_id, caller.scope)
    frame, found = _latest_or_503(runtime, camera_id)
    image = frame.image
    if zones or detections:
        image = image.copy()
    if zones:
        rows = session.exec(
            select(ZoneRow).where(ZoneRow.camera_id == camera_id).order_by(col(ZoneRow.position), col(ZoneRow.pk))
        ).all()
        draw_zones(image, [(r.name, r.polygon) for r in rows])
    if detections:
        draw_detections(image, found)
    return Response(
        encode_jpeg(image, quality),
        media_type="image/jpeg",
        headers={"Cache-Control": "no-store", "X-Frame-Timestamp": frame.timestamp.isoformat()},
    )
