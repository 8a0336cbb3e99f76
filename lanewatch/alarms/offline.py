"""Heartbeat watch: devices silent for longer than their heartbeat allows, and pruning of bounded tables.

Every message from a device moves its ``offline_after`` to the time it
was received plus its heartbeat interval × the grace factor (battery NB-IoT
detectors report every few hours, mains devices every minute or two: the
interval comes from its type's rules or its own override). The watch only
reads the indexed ``offline_after``; it does not change the device itself
but submits an ``offline`` alarm message through the same single writer as
every ingest path, which checks again, inside its transaction, that the
device is still silent. A device that speaks again is marked online and
its offline alarm resolved by that message (`apply.BatchApplier`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from lanewatch.alarms.devices import RulesCache
from lanewatch.alarms.messages import AlarmType, IngestSource, MessageKind, SensorMessage
from lanewatch.store.alarm_tables import DeviceMessageRow, DeviceRow, SeenMessageRow
from lanewatch.store.tables import as_utc
from lanewatch.words import local_text
from lanewatch.words.said import say


def silent_devices(session: Session, now: datetime, rules: RulesCache, limit: int = 1000) -> list[SensorMessage]:
    """An ``offline`` alarm message (source ``rule``) for each online device past its ``offline_after``."""
    rows = session.exec(
        select(DeviceRow)
        .where(
            col(DeviceRow.offline).is_(False),
            col(DeviceRow.offline_after).is_not(None),
            col(DeviceRow.offline_after) <= now,
        )
        .order_by(col(DeviceRow.offline_after))
        .limit(limit)
    )
    messages = []
    for device in rows:
        last = as_utc(device.last_seen_at)
        heard = say("alarms.offline.last_at", at=local_text(last)) if last else say("alarms.offline.never")
        messages.append(
            SensorMessage(
                device_id=device.id,
                kind=MessageKind.ALARM,
                alarm_type=AlarmType.OFFLINE,
                source=IngestSource.RULE,
                device_time=now,
                detail=say("alarms.offline.silent", heard=heard, every=f"{rules.of(device).heartbeat_s:g}"),
            )
        )
    return messages


def prune(session: Session, device_ids: set[str], keep_per_device: int, seen_before: datetime) -> None:
    """Keep the newest `keep_per_device` stored messages of each device named; forget old message ids."""
    for device_id in sorted(device_ids):
        cutoff = session.exec(
            select(DeviceMessageRow.pk)
            .where(DeviceMessageRow.device_id == device_id)
            .order_by(col(DeviceMessageRow.pk).desc())
            .offset(keep_per_device - 1)
            .limit(1)
        ).first()
        if cutoff is not None:
            session.exec(
                delete(DeviceMessageRow).where(
                    col(DeviceMessageRow.device_id) == device_id, col(DeviceMessageRow.pk) < cutoff
                )
            )
    session.exec(delete(SeenMessageRow).where(col(SeenMessageRow.seen_at) < seen_before))


def seen_cutoff(now: datetime, window_s: float) -> datetime:
    return now - timedelta(seconds=window_s)
