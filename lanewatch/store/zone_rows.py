"""Zones ↔ rows: the one place that knows how a `Zone` is laid out in the zones table.

The API's zone routes, the service (loading a camera's zones) and the demo
set-up all go through here, so a field added to `Zone` is stored everywhere.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from lanewatch.store.tables import ZoneRow, utcnow
from lanewatch.zones.zone import Zone


def zone_of(row: ZoneRow) -> Zone:
    """The zone a row holds, validated like any zone (the row's anchor and rule are plain strings)."""
    return Zone.model_validate(
        {
            "id": row.zone_id,
            "name": row.name,
            "polygon": [tuple(p) for p in row.polygon],
            "dwell_seconds": row.dwell_seconds,
            "exit_grace_seconds": row.exit_grace_seconds,
            "classes": list(row.classes),
            "anchor": row.anchor,
            "min_overlap": row.min_overlap,
            "rule": row.rule,
        }
    )


def fill_row(row: ZoneRow, zone: Zone) -> ZoneRow:
    """Copy a zone's fields onto a (new or existing) row."""
    row.zone_id, row.name = zone.id, zone.name
    row.polygon = [list(p) for p in zone.polygon]
    row.dwell_seconds, row.exit_grace_seconds = zone.dwell_seconds, zone.exit_grace_seconds
    row.classes, row.anchor, row.min_overlap = list(zone.classes), zone.anchor, zone.min_overlap
    row.rule = zone.rule
    row.updated_at = utcnow()
    return row


def new_row(camera_id: str, zone: Zone, position: int) -> ZoneRow:
    """A row for a zone not stored yet (fill_row then copies the rest of the zone's fields)."""
    row = ZoneRow(
        camera_id=camera_id,
        position=position,
        zone_id=zone.id,
        name=zone.name,
        polygon=[list(p) for p in zone.polygon],
        dwell_seconds=zone.dwell_seconds,
        exit_grace_seconds=zone.exit_grace_seconds,
        classes=list(zone.classes),
        anchor=zone.anchor,
    )
    return fill_row(row, zone)


def zone_rows(session: Session, camera_id: str) -> list[ZoneRow]:
    """A camera's zone rows in their display order."""
    return list(
        session.exec(
            select(ZoneRow).where(ZoneRow.camera_id == camera_id).order_by(col(ZoneRow.position), col(ZoneRow.pk))
        ).all()
    )
