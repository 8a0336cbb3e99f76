"""Alarm-core fixtures: an `AlarmService` on each backend with a clock the test moves, message builders.

The API fixtures (`runtime`, `app`, `client`, `keys`) come from tests/api/conftest.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from lanewatch.alarms.messages import SensorMessage
from lanewatch.alarms.service import AlarmService
from lanewatch.config import AlarmSettings
from lanewatch.store.alarm_tables import AlarmAuditRow, AlarmRow, DeviceRow
from tests.api.conftest import RecordingBus, app, client, keys, runtime  # noqa: F401  (shared fixtures)
from tests.support.mosquitto import Mosquitto, MosquittoUnavailable
from tests.support.needs import unavailable

T0 = datetime(2026, 6, 1, 8, 0, 0, tzinfo=UTC)


class Clock:
    """`now()` that only moves when told."""

    def __init__(self, start: datetime = T0) -> None:
        self.now_value = start

    def __call__(self) -> datetime:
        return self.now_value

    def advance(self, seconds: float) -> datetime:
        self.now_value += timedelta(seconds=seconds)
        return self.now_value


def msg(device_id: str = "smoke-1", kind: str = "alarm", **fields: Any) -> SensorMessage:
    if kind in ("alarm", "clear") and "alarm_type" not in fields:
        fields["alarm_type"] = "fire"
    return SensorMessage(device_id=device_id, kind=kind, **fields)


def alarms_of(engine, device_id: str | None = None) -> list[AlarmRow]:
    with Session(engine) as session:
        query = select(AlarmRow).order_by(AlarmRow.received_at, AlarmRow.id)
        if device_id is not None:
            query = query.where(AlarmRow.device_id == device_id)
        return list(session.exec(query))


def device_of(engine, device_id: str) -> DeviceRow | None:
    with Session(engine) as session:
        return session.get(DeviceRow, device_id)


def audit_of(engine, alarm_id: str) -> list[tuple[str, str, str | None, str]]:
    """(action, by, state_before, state_after) oldest first."""
    with Session(engine) as session:
        rows = session.exec(
            select(AlarmAuditRow).where(AlarmAuditRow.alarm_id == alarm_id).order_by(AlarmAuditRow.at, AlarmAuditRow.pk)
        )
        return [(r.action, r.by, r.state_before, r.state_after) for r in rows]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings() -> AlarmSettings:
    return AlarmSettings()


@pytest.fixture
def bus() -> RecordingBus:
    return RecordingBus()


@pytest.fixture
def service(engine, bus, settings, clock) -> AlarmService:
    """On SQLite and PostgreSQL (the `engine` fixture)."""
    return AlarmService(engine, bus, settings, clock=clock)


def add_device(engine, device_id: str, device_type: str = "smoke_detector", **fields: Any) -> None:
    with Session(engine) as session:
        session.add(DeviceRow(id=device_id, type=device_type, **fields))
        session.commit()


@pytest.fixture
def broker():
    """A real Mosquitto on 127.0.0.1 (a free port), stopped after the test."""
    try:
        server = Mosquitto()
    except MosquittoUnavailable as exc:
        unavailable(str(exc))
    server.start()
    yield server
    server.close()
