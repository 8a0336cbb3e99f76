"""What config sync reads and writes at each end: a camera's settings, a lane zone, a device's settings.

A setting is named by its id at the site (camera ``gate``, zone
``gate/lane-1``, device ``smoke-1``); the centre holds the same rows under
``<site>.<id>`` (`lanewatch.uplink.centre_apply.centre_id`), and a device's
linked lanes name cameras the same way at each end.

Synced: a camera's ``name``, ``sample_fps``, ``imgsz``, ``decode``,
``building`` and ``picture`` (never its stream URL, which holds a password and
means something only at the site, nor ``enabled``: the centre does not decode
streams); a whole zone, or its removal; a device's ``name``, ``enterprise``,
``building``, ``location``, ``linked_lanes``, ``rules``, ``maintenance`` and
``maintenance_reason`` (its status is the site's, sent as device records).
A camera or device removed at one end stays at the other. The centre creates a
camera or device it does not have yet (like the records' ingest does); an edge
never creates a camera (only it knows the stream).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, func, select

from lanewatch.store.alarm_tables import DeviceRow
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import CameraRow, ZoneRow, utcnow
from lanewatch.store.zone_rows import fill_row, new_row, zone_of
from lanewatch.uplink.bad_message import BadMessage
from lanewatch.uplink.prefetch import remember
from lanewatch.zones.zone import Zone

KINDS = ("camera", "zone", "device")
CAMERA_FIELDS = ("name", "sample_fps", "imgsz", "decode", "building", "picture")
DEVICE_FIELDS = (
    "name", "enterprise", "building", "location", "linked_lanes", "rules", "maintenance", "maintenance_reason",
)  # fmt: skip
_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "sample_fps": (int, float), "imgsz": (int,), "decode": (str,), "building": (str, type(None)),
    "picture": (dict, type(None)), "enterprise": (str, type(None)), "location": (str, type(None)),
    "linked_lanes": (list,), "rules": (dict,), "maintenance": (bool,), "maintenance_reason": (str, type(None)),
}  # fmt: skip
_DEVICE_TYPES = {**_TYPES, "name": (str, type(None))}  # a device that registered itself has no name yet


def _centre(site: str, local: str) -> str:
    return f"{site}.{local}"


def local_id(side: str, site: str, kind: str, key: str) -> str:
    """The setting's id at this end: the key at an edge, ``<site>.<camera>[/<zone>]`` at the centre."""
    return key if side == "edge" else _centre(site, key)


def key_of(side: str, kind: str, target_id: str, sites: set[str] | None = None) -> tuple[str | None, str] | None:
    """(site, key) of an audited target at this end; None: not a site's setting. At the centre the site is the
    id's prefix, one of `sites`; at an edge the caller knows its own site (returned as None)."""
    if kind not in KINDS:
        return None
    if side == "edge":
        return None, target_id
    site, dot, key = target_id.partition(".")
    if not dot or not key or sites is None or site not in sites:
        return None
    return site, key


def _camera_id(side: str, site: str, key: str) -> str:
    return local_id(side, site, "camera", key.partition("/")[0])


def read(session: Session, side: str, site: str, kind: str, key: str) -> dict[str, Any] | None:
    """The setting as stored here now (None: the zone is gone, or the camera/device is not here)."""
    if kind == "zone":
        zone = key.partition("/")[2]
        row = session.exec(
            select(ZoneRow).where(ZoneRow.camera_id == _camera_id(side, site, key), ZoneRow.zone_id == zone)
        ).first()
        return zone_of(row).model_dump(mode="json") if row is not None else None
    if kind == "camera":
        camera_row = session.get(CameraRow, local_id(side, site, kind, key))
        return {name: getattr(camera_row, name) for name in CAMERA_FIELDS} if camera_row is not None else None
    device = session.get(DeviceRow, local_id(side, site, kind, key))
    if device is None:
        return None
    body = {name: getattr(device, name) for name in DEVICE_FIELDS}
    body["linked_lanes"] = _lanes(side, site, device.linked_lanes, outward=True)
    return {**body, "type": device.type}


def _lanes(side: str, site: str, lanes: list[dict[str, Any]], *, outward: bool) -> list[dict[str, Any]]:
    """Linked lanes in the site's names (`outward`) or in this end's."""
    if side == "edge":
        return [dict(lane) for lane in lanes]
    prefix = f"{site}."
    if outward:
        return [{**lane, "camera": str(lane.get("camera", "")).removeprefix(prefix)} for lane in lanes]
    return [{**lane, "camera": _centre(site, str(lane.get("camera", "")))} for lane in lanes]


def _site_org(session: Session, site: str) -> int | None:
    return session.exec(select(OrganisationRow.pk).where(OrganisationRow.code == site)).first()


def org_of(session: Session, side: str, site: str, kind: str, key: str) -> int | None:
    """The organisation the setting's audit entries belong to: its camera's or device's, else the site's."""
    row: CameraRow | DeviceRow | None
    if kind == "device":
        row = session.get(DeviceRow, local_id(side, site, kind, key))
    else:
        row = session.get(CameraRow, _camera_id(side, site, key))
    if row is not None and row.org_pk is not None:
        return row.org_pk
    return _site_org(session, site) if side == "centre" else None


def _checked(body: dict[str, Any], fields: tuple[str, ...], types: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    values = {name: body[name] for name in fields if name in body}
    wrong = [name for name, value in values.items() if not isinstance(value, types[name])]
    if wrong:
        raise BadMessage(f"config fields of the wrong type: {', '.join(wrong)}")
    return values


def write(session: Session, side: str, site: str, kind: str, key: str, body: dict[str, Any] | None) -> bool:
    """Make this end's row say `body`; False: there is nothing here to apply it to. `BadMessage` if unusable."""
    if kind == "zone":
        return _write_zone(session, side, site, key, body)
    if body is None:
        return True  # a camera or device removed at the other end stays here
    if kind == "camera":
        values = _checked(body, CAMERA_FIELDS, _TYPES)
        row = session.get(CameraRow, local_id(side, site, kind, key))
        if row is None:
            if side == "edge":
                return False
            row = _new_camera(session, site, key)
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        session.add(row)
        return True
    values = _checked(body, DEVICE_FIELDS, _DEVICE_TYPES)
    if "linked_lanes" in values:
        values["linked_lanes"] = _lanes(side, site, values["linked_lanes"], outward=False)
    device = session.get(DeviceRow, local_id(side, site, kind, key))
    if device is None:
        if side == "edge" or not isinstance(body.get("type"), str):
            return False
        device = DeviceRow(id=local_id(side, site, kind, key), type=body["type"], org_pk=_site_org(session, site))
    for name, value in values.items():
        setattr(device, name, value)
    device.updated_at = utcnow()
    session.add(device)
    return True


def _new_camera(session: Session, site: str, key: str) -> CameraRow:
    """A site's camera the centre has not heard of yet: disabled, as the records' ingest makes it."""
    row = CameraRow(
        id=_centre(site, key), name=key, source_url="", enabled=False, site=site, org_pk=_site_org(session, site)
    )
    session.add(row)
    remember(session, ("camera", row.id), row)  # the records' ingest of this transaction finds it
    session.flush()  # its zones refer to it
    return row


def _write_zone(session: Session, side: str, site: str, key: str, body: dict[str, Any] | None) -> bool:
    camera_key, _, zone_id = key.partition("/")
    camera_id = _camera_id(side, site, key)
    row = session.exec(select(ZoneRow).where(ZoneRow.camera_id == camera_id, ZoneRow.zone_id == zone_id)).first()
    if body is None:
        if row is not None:
            session.delete(row)
        return True
    try:
        zone = Zone.model_validate(body)
    except ValidationError as exc:
        raise BadMessage(f"not a zone: {exc.errors()[0]['msg']}") from None
    if zone.id != zone_id:
        raise BadMessage(f"zone {zone.id!r} sent as {key!r}")
    if row is not None:
        session.add(fill_row(row, zone))
        return True
    if session.get(CameraRow, camera_id) is None:
        if side == "edge":
            return False
        _new_camera(session, site, camera_key)
    last = session.exec(select(func.max(ZoneRow.position)).where(ZoneRow.camera_id == camera_id)).one()
    session.add(new_row(camera_id, zone, (last if last is not None else -1) + 1))
    return True
