"""Reads the alarms API serves: alarm search with keyset pages, device pages.

Alarm pages are ordered open-first by severity, then newest first:
``(priority, received_at DESC, id DESC)``, with an opaque cursor naming the
last row seen (see `lanewatch.store.queries` for why keyset pages). An
alarm that changes priority between two pages (acknowledged alarms keep
theirs; a resolved one moves to the end) can be seen twice or not at all
in one walk; a console refreshes the first page anyway.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from lanewatch.people.scope import Scope, scoped
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.queries import InvalidCursor
from lanewatch.store.tables import as_utc

MAX_LIMIT = 500


def encode_alarm_cursor(row: AlarmRow) -> str:
    raw = json.dumps([row.priority, as_utc(row.received_at).isoformat(), row.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_alarm_cursor(cursor: str) -> tuple[int, datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        rank, at_text, alarm_id = json.loads(raw)
        at = datetime.fromisoformat(at_text)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidCursor("invalid cursor: pass the `next` value of a previous page unchanged") from None
    if not isinstance(rank, int) or not isinstance(alarm_id, str) or at.tzinfo is None:
        raise InvalidCursor("invalid cursor: pass the `next` value of a previous page unchanged")
    return rank, as_utc(at), alarm_id


def list_alarms(
    session: Session,
    *,
    states: Sequence[str] = (),
    active: bool | None = None,
    device: str | None = None,
    alarm_type: str | None = None,
    severity: str | None = None,
    enterprise: str | None = None,
    building: str | None = None,
    test: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: str | None = None,
    limit: int = 50,
    scope: Scope | None = None,
) -> tuple[list[AlarmRow], str | None]:
    """One page of alarms and the next page's cursor (None on the last page); filters combine with AND.
    ``scope``: only alarms of devices in it (None: all)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    query = select(AlarmRow)
    if scope is not None:
        query = scoped(query, scope, AlarmRow)
    if states:
        query = query.where(col(AlarmRow.state).in_(list(states)))
    if active is not None:
        query = query.where(col(AlarmRow.open_key).is_not(None) if active else col(AlarmRow.open_key).is_(None))
    for column, value in (
        (AlarmRow.device_id, device),
        (AlarmRow.alarm_type, alarm_type),
        (AlarmRow.severity, severity),
        (AlarmRow.enterprise, enterprise),
        (AlarmRow.building, building),
        (AlarmRow.test, test),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AlarmRow.received_at >= as_utc(since))
    if until is not None:
        query = query.where(AlarmRow.received_at < as_utc(until))
    if after is not None:
        rank, at, alarm_id = decode_alarm_cursor(after)
        query = query.where(
            or_(
                col(AlarmRow.priority) > rank,
                and_(col(AlarmRow.priority) == rank, col(AlarmRow.received_at) < at),
                and_(col(AlarmRow.priority) == rank, col(AlarmRow.received_at) == at, col(AlarmRow.id) < alarm_id),
            )
        )
    query = query.order_by(col(AlarmRow.priority), col(AlarmRow.received_at).desc(), col(AlarmRow.id).desc()).limit(
        limit + 1
    )
    rows = list(session.exec(query))
    if len(rows) > limit:
        return rows[:limit], encode_alarm_cursor(rows[limit - 1])
    return rows, None


def list_devices(
    session: Session,
    *,
    device_type: str | None = None,
    enterprise: str | None = None,
    building: str | None = None,
    offline: bool | None = None,
    maintenance: bool | None = None,
    registered: bool | None = None,
    after: str | None = None,
    limit: int = 100,
    scope: Scope | None = None,
) -> tuple[list[DeviceRow], str | None]:
    """One page of devices by id; the cursor is the last id of the page. ``scope``: only devices in it."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    query = select(DeviceRow)
    if scope is not None:
        query = scoped(query, scope, DeviceRow)
    for column, value in (
        (DeviceRow.type, device_type),
        (DeviceRow.enterprise, enterprise),
        (DeviceRow.building, building),
        (DeviceRow.offline, offline),
        (DeviceRow.maintenance, maintenance),
        (DeviceRow.registered, registered),
    ):
        if value is not None:
            query = query.where(column == value)
    if after is not None:
        query = query.where(DeviceRow.id > after)
    rows = list(session.exec(query.order_by(DeviceRow.id).limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].id
    return rows, None
