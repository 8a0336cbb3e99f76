"""The device registry: rules per device, auto-registration, the device JSON with its open alarms.

A device's rules are its type's defaults with its stored overrides laid
over them (`device_types.effective_rules`). Working them out per message
would cost more than the message, so `RulesCache` keeps them keyed by the
type and the overrides themselves: an edit changes the key, so nothing
needs invalidating.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from lanewatch.alarms.device_types import DeviceRules, default_rules, effective_rules
from lanewatch.alarms.messages import DeviceType, SensorMessage
from lanewatch.alarms.records import DeviceRecord, device_record
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow

log = logging.getLogger(__name__)


def device_type_of(value: str) -> DeviceType:
    try:
        return DeviceType(value)
    except ValueError:
        return DeviceType.OTHER


class RulesCache:
    """`effective_rules` per (type, overrides), thread-safe and bounded."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._rules: OrderedDict[tuple[str, str], DeviceRules] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, device: DeviceRow) -> DeviceRules:
        key = (device.type, json.dumps(device.rules or {}, sort_keys=True))
        with self._lock:
            rules = self._rules.get(key)
            if rules is not None:
                self._rules.move_to_end(key)
                return rules
        try:
            rules = effective_rules(device_type_of(device.type), device.rules or None)
        except ValueError as exc:  # stored before a rule change made them invalid: never stop watching the device
            log.warning("device %s: stored rules are invalid (%s); using its type's defaults", device.id, exc)
            rules = default_rules(device_type_of(device.type))
        with self._lock:
            self._rules[key] = rules
            while len(self._rules) > self.size:
                self._rules.popitem(last=False)
        return rules


def check_rules(device_type: str, overrides: dict[str, Any] | None) -> DeviceRules:
    """The effective rules, or `ValueError` in plain words (the API answers 422 with it)."""
    return effective_rules(device_type_of(device_type), overrides or None)


def auto_register(message: SensorMessage, now: datetime, org_pk: int | None = None) -> DeviceRow:
    """A device nobody registered sent a message: keep it (never lose a fire alarm), flagged for review.

    It goes under `org_pk` (the root organisation, so the district's duty desk sees it) until an
    administrator registers it under its enterprise.
    """
    return DeviceRow(
        id=message.device_id,
        org_pk=org_pk,
        type=(message.device_type or DeviceType.OTHER).value,
        name=None,
        registered=False,
        created_at=now,
        updated_at=now,
    )


def offline_after(rules: DeviceRules, seen_at: datetime, grace_factor: float) -> datetime:
    """When a device last heard from at `seen_at` counts as offline."""
    return seen_at + timedelta(seconds=rules.heartbeat_s * grace_factor)


def open_alarm_types(session: Session, device_ids: list[str]) -> dict[str, list[str]]:
    """The types of each device's unresolved alarms."""
    found: dict[str, list[str]] = {d: [] for d in device_ids}
    if not device_ids:
        return found
    rows = session.exec(
        select(AlarmRow.device_id, AlarmRow.alarm_type).where(
            col(AlarmRow.device_id).in_(device_ids), col(AlarmRow.open_key).is_not(None)
        )
    )
    for device_id, alarm_type in rows:
        found.setdefault(device_id, []).append(alarm_type)
    return found


def device_records(session: Session, rows: list[DeviceRow], cache: RulesCache) -> list[DeviceRecord]:
    open_types = open_alarm_types(session, [r.id for r in rows])
    return [device_record(r, heartbeat_s=cache.of(r).heartbeat_s, open_alarms=open_types.get(r.id, [])) for r in rows]
