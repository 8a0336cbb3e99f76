"""What the centre holds, read the way a test compares it with the edge."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from lanewatch.alarms.records import alarm_json
from lanewatch.api.routers.violations import ViolationOut
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.tables import ViolationRow
from lanewatch.store.uplink_tables import UplinkSiteRow


def violations(engine: Engine) -> dict[str, dict[str, Any]]:
    with Session(engine) as session:
        return {r.id: ViolationOut.of(r).model_dump(mode="json") for r in session.exec(select(ViolationRow))}


def alarms(engine: Engine) -> dict[str, dict[str, Any]]:
    with Session(engine) as session:
        return {r.id: alarm_json(r, session.get(DeviceRow, r.device_id)) for r in session.exec(select(AlarmRow))}


def site(engine: Engine, code: str) -> UplinkSiteRow | None:
    with Session(engine) as session:
        return session.get(UplinkSiteRow, code)
