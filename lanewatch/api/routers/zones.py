"""/api/cameras/{camera_id}/zones routes: a camera's lane zones (admin writes, viewer reads).

Bodies are the `Zone` model of zone files, checked by the same validators,
so the API refuses exactly what `lanewatch zones check` refuses, in the same
words. Export/import move a whole zone file; an import replaces every zone
of the camera or none.

Note: the fixed paths `/zones/export` (GET) and `/zones/import` (PUT) take
precedence over a zone whose id is "export" or "import" for those methods.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Response, status
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from lanewatch.api.auth import Admin, Viewer
from lanewatch.api.deps import RuntimeDep, SessionDep, StrictJSONRoute
from lanewatch.api.errors import Unprocessable, responses
from lanewatch.api.routers.cameras import CameraPath, camera_or_404
from lanewatch.store.tables import ZoneRow
from lanewatch.store.zone_rows import fill_row, new_row, zone_of, zone_rows
from lanewatch.zones.zone import Zone
from lanewatch.zones.zone_file import ZoneFile, ZoneFileError, parse_zone_file

router = APIRouter(prefix="/cameras/{camera_id}/zones", tags=["zones"], route_class=StrictJSONRoute)

ZonePath = Annotated[str, Path(max_length=64, title="Zone id")]

_ZONE_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ZoneFile.model_json_schema(ref_template="#/components/schemas/{model}")}
        },
    },
}


def _row_or_404(session: Session, camera_id: str, zone_id: str) -> ZoneRow:
    camera_or_404(session, camera_id)
    row = session.exec(select(ZoneRow).where(ZoneRow.camera_id == camera_id, ZoneRow.zone_id == zone_id)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"camera {camera_id!r} has no zone {zone_id!r}")
    return row


def _duplicate(camera_id: str, zone_id: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, detail=f"camera {camera_id!r} already has a zone {zone_id!r}")


@router.get("", response_model=list[Zone], responses=responses(401, 403, 404, 422), summary="List a camera's zones")
def list_zones(camera_id: CameraPath, session: SessionDep, _: Viewer) -> list[Zone]:
    camera_or_404(session, camera_id)
    return [zone_of(row) for row in zone_rows(session, camera_id)]


@router.post(
    "",
    response_model=Zone,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 413, 422),
    summary="Add a zone",
)
def create_zone(camera_id: CameraPath, zone: Zone, session: SessionDep, runtime: RuntimeDep, _: Admin) -> Zone:
    camera_or_404(session, camera_id)
    taken = session.exec(select(ZoneRow.pk).where(ZoneRow.camera_id == camera_id, ZoneRow.zone_id == zone.id)).first()
    if taken is not None:
        raise _duplicate(camera_id, zone.id)
    last = session.exec(select(func.max(ZoneRow.position)).where(ZoneRow.camera_id == camera_id)).one()
    session.add(new_row(camera_id, zone, (last if last is not None else -1) + 1))
    try:
        session.commit()
    except IntegrityError:  # added concurrently
        session.rollback()
        raise _duplicate(camera_id, zone.id) from None
    runtime.reload_camera(camera_id)
    return zone


@router.get(
    "/export",
    response_model=ZoneFile,
    response_model_exclude_none=True,
    responses=responses(401, 403, 404, 422),
    summary="Export the zones as a zone file",
)
def export_zones(camera_id: CameraPath, session: SessionDep, response: Response, _: Viewer) -> ZoneFile:
    """The camera's zones as zone-file JSON, ready for `lanewatch zones check` or a later import."""
    camera_or_404(session, camera_id)
    rows = zone_rows(session, camera_id)
    if not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"camera {camera_id!r} has no zones to export")
    response.headers["Content-Disposition"] = f'attachment; filename="{camera_id}.zones.json"'
    return ZoneFile(camera=camera_id, zones=[zone_of(row) for row in rows])


@router.put(
    "/import",
    response_model=ZoneFile,
    response_model_exclude_none=True,
    openapi_extra=_ZONE_FILE_BODY,
    responses=responses(401, 403, 404, 413, 422),
    summary="Replace all zones from a zone file",
)
def import_zones(
    camera_id: CameraPath, body: Annotated[dict[str, Any], Body()], session: SessionDep, runtime: RuntimeDep, _: Admin
) -> ZoneFile:
    """All or nothing: a file with any problem changes nothing, and every problem is reported."""
    camera_or_404(session, camera_id)
    try:
        zone_file = parse_zone_file(body, source="in the request body")
    except ZoneFileError as exc:
        raise Unprocessable(str(exc), exc.problems, "zone_file") from None
    if zone_file.camera != camera_id:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"the zone file is for camera {zone_file.camera!r}, not {camera_id!r}",
        )
    session.exec(delete(ZoneRow).where(col(ZoneRow.camera_id) == camera_id))
    session.add_all(new_row(camera_id, zone, i) for i, zone in enumerate(zone_file.zones))
    session.commit()
    runtime.reload_camera(camera_id)
    return zone_file


@router.get("/{zone_id}", response_model=Zone, responses=responses(401, 403, 404, 422), summary="Get a zone")
def get_zone(camera_id: CameraPath, zone_id: ZonePath, session: SessionDep, _: Viewer) -> Zone:
    return zone_of(_row_or_404(session, camera_id, zone_id))


@router.put("/{zone_id}", response_model=Zone, responses=responses(401, 403, 404, 413, 422), summary="Replace a zone")
def replace_zone(
    camera_id: CameraPath, zone_id: ZonePath, zone: Zone, session: SessionDep, runtime: RuntimeDep, _: Admin
) -> Zone:
    row = _row_or_404(session, camera_id, zone_id)
    if zone.id != zone_id:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"the body's id {zone.id!r} differs from the URL's zone {zone_id!r}; zone ids cannot be changed",
        )
    session.add(fill_row(row, zone))
    session.commit()
    runtime.reload_camera(camera_id)
    return zone


@router.delete(
    "/{zone_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
    summary="Remove a zone",
)
def delete_zone(camera_id: CameraPath, zone_id: ZonePath, session: SessionDep, runtime: RuntimeDep, _: Admin) -> None:
    session.delete(_row_or_404(session, camera_id, zone_id))
    session.commit()
    runtime.reload_camera(camera_id)
