"""Cross-link: the fire lanes (camera zones) near a device, and whether each is blocked right now.

A fire alarm is only half the picture for the duty desk: can the engines
get there? The lanes of a device are every zone of the cameras in the same
building (`CameraRow.building`) plus the device's own `linked_lanes`
(a camera, or one zone of it). A lane is blocked while it has an active
violation (not ended); its latest violation with a snapshot and the
camera's live frame show what it looks like.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from lanewatch.store.alarm_tables import DeviceRow
from lanewatch.store.tables import CameraRow, ViolationRow, ZoneRow, as_utc

MAX_LANES = 50


class LaneViolation(BaseModel):
    id: str
    violation_at: datetime
    active: bool
    snapshot_url: str | None = Field(description="Relative URL of the annotated evidence picture.")


class LaneState(BaseModel):
    camera: str
    camera_name: str
    zone: str
    zone_name: str
    blocked: bool = Field(description="An active violation is in the lane now.")
    active_violation_id: str | None
    latest_violation: LaneViolation | None
    frame_url: str = Field(description="The camera's latest analysed frame, with zones drawn.")


def _zones(session: Session, device: DeviceRow) -> list[tuple[CameraRow, ZoneRow]]:
    wanted: dict[str, set[str] | None] = {}  # camera -> zone ids (None: all of them)
    if device.building:
        for camera_id in session.exec(select(CameraRow.id).where(CameraRow.building == device.building)):
            wanted[camera_id] = None
    for link in device.linked_lanes or []:
        linked_camera, zone = link.get("camera"), link.get("zone")
        if not linked_camera:
            continue
        zones = wanted.setdefault(linked_camera, set())
        if zone is None or zones is None:
            wanted[linked_camera] = None
        else:
            zones.add(zone)
    if not wanted:
        return []
    rows = session.exec(
        select(CameraRow, ZoneRow)
        .join(ZoneRow, col(ZoneRow.camera_id) == col(CameraRow.id))
        .where(col(CameraRow.id).in_(list(wanted)))
        .order_by(CameraRow.id, col(ZoneRow.position))
    )
    return [(c, z) for c, z in rows if (only := wanted[c.id]) is None or z.zone_id in only][:MAX_LANES]


def _latest(session: Session, camera: str, zone: str, *, active: bool) -> ViolationRow | None:
    query = select(ViolationRow).where(ViolationRow.camera == camera, ViolationRow.zone == zone)
    if active:
        query = query.where(col(ViolationRow.end_s).is_(None))
    return session.exec(
        query.order_by(col(ViolationRow.violation_at).desc(), col(ViolationRow.id).desc()).limit(1)
    ).first()


def lane_states(session: Session, device: DeviceRow | None) -> list[LaneState]:
    """The lanes linked to `device`, each with its state now."""
    if device is None:
        return []
    states = []
    for camera, zone in _zones(session, device):
        active = _latest(session, camera.id, zone.zone_id, active=True)
        latest = active or _latest(session, camera.id, zone.zone_id, active=False)
        shown = None
        if latest is not None:
            url = f"/api/violations/{quote(latest.id, safe='')}/snapshot.jpg?annotated=1"
            shown = LaneViolation(
                id=latest.id,
                violation_at=as_utc(latest.violation_at),
                active=latest.end_s is None,
                snapshot_url=url if latest.snapshot else None,
            )
        states.append(
            LaneState(
                camera=camera.id,
                camera_name=camera.name,
                zone=zone.zone_id,
                zone_name=zone.name,
                blocked=active is not None,
                active_violation_id=active.id if active else None,
                latest_violation=shown,
                frame_url=f"/api/cameras/{quote(camera.id, safe='')}/frame.jpg?zones=1",
            )
        )
    return states
