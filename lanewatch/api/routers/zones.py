"""/api/cameras/{camera_id}/zones routes: a camera's lane zones (ZONES_EDIT writes, READ reads, inside
the caller's scope: a camera outside it answers 404). Every change is audited.

Bodies are the `Zone` model of zone files, checked by the same validators,
so the API refuses exactly what `lanewatch zones check` refuses, in the same
words. Export/import move a whole zone file; an import replaces every zone
of the camera or none.

Note: the fixed paths `/zones/export` (GET) and `/zones/import` (PUT) take
precedence over a zone whose id is "export" or "import" for those methods.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response, status
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from lanewatch.api.deps import RuntimeDep, SessionDep, StrictJSONRoute
from lanewatch.api.errors import ApiError, Unprocessable, language, responses
from lanewatch.api.permits import Reader, ZoneEditor
from lanewatch.api.routers.cameras import CameraPath, camera_or_404
from lanewatch.people import audit
from lanewatch.people.caller import Caller
from lanewatch.people.scope import Scope
from lanewatch.store.tables import CameraRow, ZoneRow
from lanewatch.store.zone_rows import fill_row, new_row, zone_of, zone_rows
from lanewatch.words.said import Word
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


def _row_or_404(session: Session, camera_id: str, zone_id: str, scope: Scope) -> ZoneRow:
    camera_or_404(session, camera_id, scope)
    row = session.exec(select(ZoneRow).where(ZoneRow.camera_id == camera_id, ZoneRow.zone_id == zone_id)).first()
    if row is None:
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.zone.none", camera=camera_id, zone=zone_id)
    return row


def _audit(
    session: Session,
    caller: Caller,
    camera: CameraRow,
    action: str,
    zone_id: str,
    before: Zone | None,
    after: Zone | None,
) -> None:
    """One audit row for a zone change (target ``<camera>/<zone>``), only the fields that changed."""
    old = before.model_dump(mode="json") if before is not None else {}
    new = after.model_dump(mode="json") if after is not None else {}
    if before is not None and after is not None:
        old, new = audit.changed_fields(old, new)
        if not new:
            return
    audit.record(
        session,
        caller,
        f"zone.{action}",
        "zone",
        f"{camera.id}/{zone_id}",
        org_pk=camera.org_pk,
        before=old or None,
        after=new or None,
    )


def _duplicate(camera_id: str, zone_id: str) -> ApiError:
    return ApiError(status.HTTP_409_CONFLICT, "api.zone.exists", camera=camera_id, zone=zone_id)


@router.get("", response_model=list[Zone], responses=responses(401, 403, 404, 422), summary="List a camera's zones")
def list_zones(camera_id: CameraPath, session: SessionDep, caller: Reader) -> list[Zone]:
    camera_or_404(session, camera_id, caller.scope)
    return [zone_of(row) for row in zone_rows(session, camera_id)]


@router.post(
    "",
    response_model=Zone,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 413, 422),
    summary="Add a zone",
)
def create_zone(
    camera_id: CameraPath, zone: Zone, session: SessionDep, runtime: RuntimeDep, caller: ZoneEditor
) -> Zone:
    camera = camera_or_404(session, camera_id, caller.scope)
    taken = session.exec(select(ZoneRow.pk).where(ZoneRow.camera_id == camera_id, ZoneRow.zone_id == zone.id)).first()
    if taken is not None:
        raise _duplicate(camera_id, zone.id)
    last = session.exec(select(func.max(ZoneRow.position)).where(ZoneRow.camera_id == camera_id)).one()
    session.add(new_row(camera_id, zone, (last if last is not None else -1) + 1))
    _audit(session, caller, camera, "create", zone.id, None, zone)
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
def export_zones(camera_id: CameraPath, session: SessionDep, response: Response, caller: Reader) -> ZoneFile:
    """The camera's zones as zone-file JSON, ready for `lanewatch zones check` or a later import."""
    camera_or_404(session, camera_id, caller.scope)
    rows = zone_rows(session, camera_id)
    if not rows:
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.zone.none_to_export", camera=camera_id)
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
    camera_id: CameraPath,
    body: Annotated[dict[str, Any], Body()],
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: ZoneEditor,
) -> ZoneFile:
    """All or nothing: a file with any problem changes nothing, and every problem is reported.

    The problems are worded in the request's language (Chinese first).
    """
    camera = camera_or_404(session, camera_id, caller.scope)
    try:
        zone_file = parse_zone_file(body, source=Word("zones.file.request_body"))
    except ZoneFileError as exc:
        lang = language(request)
        raise Unprocessable(exc.words(lang), exc.problems_in(lang), "zone_file") from None
    if zone_file.camera != camera_id:
        raise ApiError(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "api.zone.other_camera",
            file_camera=zone_file.camera,
            camera=camera_id,
        )
    old = {zone_of(row).id: zone_of(row) for row in zone_rows(session, camera_id)}
    new = {zone.id: zone for zone in zone_file.zones}
    for zone_id in dict.fromkeys([*old, *new]):
        action = "update" if zone_id in old and zone_id in new else "delete" if zone_id in old else "create"
        _audit(session, caller, camera, action, zone_id, old.get(zone_id), new.get(zone_id))
    session.exec(delete(ZoneRow).where(col(ZoneRow.camera_id) == camera_id))
    session.add_all(new_row(camera_id, zone, i) for i, zone in enumerate(zone_file.zones))
    session.commit()
    runtime.reload_camera(camera_id)
    return zone_file


@router.get("/{zone_id}", response_model=Zone, responses=responses(401, 403, 404, 422), summary="Get a zone")
def get_zone(camera_id: CameraPath, zone_id: ZonePath, session: SessionDep, caller: Reader) -> Zone:
    return zone_of(_row_or_404(session, camera_id, zone_id, caller.scope))


@router.put("/{zone_id}", response_model=Zone, responses=responses(401, 403, 404, 413, 422), summary="Replace a zone")
def replace_zone(
    camera_id: CameraPath, zone_id: ZonePath, zone: Zone, session: SessionDep, runtime: RuntimeDep, caller: ZoneEditor
) -> Zone:
    row = _row_or_404(session, camera_id, zone_id, caller.scope)
    if zone.id != zone_id:
        raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, "api.zone.id_changed", body_id=zone.id, zone=zone_id)
    before = zone_of(row)
    session.add(fill_row(row, zone))
    _audit(session, caller, camera_or_404(session, camera_id, caller.scope), "update", zone_id, before, zone)
    session.commit()
    runtime.reload_camera(camera_id)
    return zone


@router.delete(
    "/{zone_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
    summary="Remove a zone",
)
def delete_zone(
    camera_id: CameraPath, zone_id: ZonePath, session: SessionDep, runtime: RuntimeDep, caller: ZoneEditor
) -> None:
    row = _row_or_404(session, camera_id, zone_id, caller.scope)
    _audit(session, caller, camera_or_404(session, camera_id, caller.scope), "delete", zone_id, zone_of(row), None)
    session.delete(row)
    session.commit()
    runtime.reload_camera(camera_id)
