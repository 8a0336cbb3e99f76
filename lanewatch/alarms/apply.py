"""One group of ingested messages applied in ONE transaction: dedup, devices, rules, alarms.

Everything a batch needs is read up front with one query per table
(devices, seen message ids, open alarms of those devices); messages and
seen ids are inserted with one executemany each. Per message:

- a ``message_id`` already seen for that device is a duplicate: counted, not applied;
- an unknown device is auto-registered (``registered=False``): nothing is dropped;
- any message from a device (not one lanewatch raised itself) marks it seen and online;
- readings and battery levels go through the device's rules, whose alarms and clears are applied like the
  device's own; tamper raises a tamper alarm; heartbeats only mark the device alive;
- an alarm of a device + type that is already open is a repeat (its counter goes up); a clear is recorded
  and resolves the alarm unless its type latches (fire always does).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from lanewatch.alarms import lifecycle
from lanewatch.alarms.device_types import SEVERITY_OF, DeviceRules, Severity
from lanewatch.alarms.devices import RulesCache, auto_register, device_records, offline_after
from lanewatch.alarms.messages import AlarmType, IngestResult, IngestSource, MessageKind, SensorMessage
from lanewatch.alarms.notify import Notifier
from lanewatch.alarms.payloads import item_problem
from lanewatch.alarms.records import AlarmState, alarm_json, priority
from lanewatch.alarms.rules import RuleEngine
from lanewatch.config import AlarmSettings
from lanewatch.events.bus import device_payload
from lanewatch.store.alarm_tables import AlarmRow, DeviceMessageRow, DeviceRow, SeenMessageRow
from lanewatch.store.outbox import fit_key
from lanewatch.store.people_tables import OrganisationRow, root_org_pk
from lanewatch.store.tables import as_utc
from lanewatch.words.said import Code, say

_QUERY_CHUNK = 500  # ids per IN (...) list


def check_message(message: SensorMessage, lang: str | None = None) -> str | None:
    """What a message lacks to mean anything, in plain words in `lang` (None if it is complete)."""
    kind = message.kind
    if kind in (MessageKind.ALARM, MessageKind.CLEAR) and message.alarm_type is None:
        return say("alarms.check.needs_alarm_type", lang, kind=Code("message_kind", kind.value))
    if kind is MessageKind.READING and (message.quantity is None or message.value is None):
        return say("alarms.check.reading", lang)
    if kind is MessageKind.BATTERY and (message.value is None or not 0 <= message.value <= 100):
        return say("alarms.check.battery", lang)
    return None


def seen_key(message: SensorMessage) -> str | None:
    if message.message_id is None:
        return None
    return hashlib.sha256(f"{message.device_id}\x00{message.message_id}".encode()).hexdigest()


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + _QUERY_CHUNK] for i in range(0, len(items), _QUERY_CHUNK)]


@dataclass
class Job:
    """One `submit` call: its messages, when they arrived, and (once applied) its result."""

    messages: list[SensorMessage]
    received_at: datetime
    result: IngestResult = field(default_factory=IngestResult)
    error: BaseException | None = None


class BatchApplier:
    """Applies a group of jobs in the caller's session; the caller commits, then publishes `notifier`."""

    def __init__(
        self,
        session: Session,
        notifier: Notifier,
        settings: AlarmSettings,
        rules: RulesCache,
        engine: RuleEngine,
        *,
        escalate_chain: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self.session = session
        self.notifier = notifier
        self.settings = settings
        self.rules = rules
        self.engine = engine  # the RuleEngine
        self.escalate_chain = escalate_chain
        self.clock = clock
        self.now = clock()
        self.latching = {AlarmType.FIRE, *(AlarmType(t) for t in settings.latching_types)}
        self.devices: dict[str, DeviceRow] = {}
        self.open: dict[str, AlarmRow] = {}
        self.new_alarms: dict[str, AlarmRow] = {}
        self.repeated: dict[str, tuple[AlarmRow, dict[str, Any]]] = {}
        self.device_events: list[tuple[DeviceRow, str, str]] = []
        self.messages: list[dict[str, Any]] = []
        self.touched: set[str] = set()
        self._org_names: dict[int, str | None] = {}
        self.audits: list = []  # inserted after the alarms they name (no ORM relationship orders them)

    # -- the batch ------------------------------------------------------------------------------
    def apply(self, jobs: list[Job]) -> None:
        ids = sorted({m.device_id for job in jobs for m in job.messages})
        for chunk in _chunks(ids):
            self.devices.update(
                (d.id, d) for d in self.session.exec(select(DeviceRow).where(col(DeviceRow.id).in_(chunk)))
            )
            open_alarms = self.session.exec(
                select(AlarmRow).where(col(AlarmRow.device_id).in_(chunk), col(AlarmRow.open_key).is_not(None))
            )
            self.open.update((a.open_key, a) for a in open_alarms if a.open_key is not None)
        keys = sorted({k for job in jobs for m in job.messages if (k := seen_key(m)) is not None})
        seen: set[str] = set()
        for chunk in _chunks(keys):
            seen.update(self.session.exec(select(col(SeenMessageRow.key)).where(col(SeenMessageRow.key).in_(chunk))))
        new_seen: list[dict[str, Any]] = []
        for job in jobs:
            for index, message in enumerate(job.messages):
                problem = check_message(message)
                if problem is not None:
                    job.result.errors.append(item_problem(index, problem, None) if len(job.messages) > 1 else problem)
                    continue
                key = seen_key(message)
                if key is not None:
                    if key in seen:
                        job.result.duplicates += 1
                        continue
                    seen.add(key)
                    new_seen.append({"key": key, "seen_at": job.received_at})
                job.result.accepted += 1
                self._message(message, job.received_at)
        if new_seen:
            self.session.execute(insert(SeenMessageRow), new_seen)
        if self.messages:
            self.session.execute(insert(DeviceMessageRow), self.messages)
        self._finish()

    def _finish(self) -> None:
        """Stamp `stored_at` (the commit follows at once) and queue the events."""
        self.now = self.clock()
        for alarm in self.new_alarms.values():
            alarm.stored_at = self.now
        self.session.flush()
        self.session.add_all(self.audits)
        for alarm in self.new_alarms.values():
            lifecycle.emit(
                self.notifier, alarm, self.devices.get(alarm.device_id), "raised", f"device:{alarm.source}", None
            )
        for alarm, before in self.repeated.values():
            if alarm.id not in self.new_alarms:
                lifecycle.emit(
                    self.notifier,
                    alarm,
                    self.devices.get(alarm.device_id),
                    "repeated",
                    f"device:{alarm.source}",
                    before,
                )
        if self.device_events:
            records = {
                r.id: r.model_dump(mode="json")
                for r in device_records(
                    self.session, list({d.id: d for d, _, _ in self.device_events}.values()), self.rules
                )
            }
            for device, state, detail in self.device_events:
                payload = device_payload(state, records[device.id], self.now, detail)
                self.notifier.emit(
                    payload["type"], payload, fit_key(f"{device.id}:{state}:{round(self.now.timestamp() * 1000)}")
                )

    def _root_org_pk(self) -> int | None:
        """Where devices nobody registered go (read once per batch)."""
        if not hasattr(self, "_root"):
            self._root = root_org_pk(self.session)
        return self._root

    def _enterprise_name(self, org_pk: int | None) -> str | None:
        """The name of the enterprise a device belongs to, for alarms of devices whose free-text field is empty.

        Only an enterprise names one: a device still under the root (nobody registered it) names none,
        rather than passing the district off as the enterprise. Read once per organisation per batch.
        """
        if org_pk is None:
            return None
        if org_pk not in self._org_names:
            org = self.session.get(OrganisationRow, org_pk)
            self._org_names[org_pk] = org.name if org is not None and org.kind == "enterprise" else None
        return self._org_names[org_pk]

    # -- one message ----------------------------------------------------------------------------
    def _message(self, message: SensorMessage, received_at: datetime) -> None:
        device = self.devices.get(message.device_id)
        if device is None:
            device = auto_register(message, received_at, self._root_org_pk())
            self.session.add(device)
            self.devices[device.id] = device
        rules = self.rules.of(device)
        if message.source is not IngestSource.RULE:
            self._seen(device, rules, message, received_at)
        kind = message.kind
        if kind is MessageKind.HEARTBEAT:
            return
        self.touched.add(device.id)
        self.messages.append(
            {
                "device_id": device.id,
                "kind": kind.value,
                "alarm_type": _text(message.alarm_type),
                "quantity": _text(message.quantity),
                "value": message.value,
                "detail": message.detail,
                "source": message.source.value,
                "test": message.test,
                "device_time": message.device_time,
                "received_at": received_at,
            }
        )
        if kind in (MessageKind.READING, MessageKind.BATTERY):
            if kind is MessageKind.BATTERY:
                device.battery_pct = message.value
            for derived in self.engine.evaluate(device.id, rules, message, received_at):
                self._alarm_or_clear(device, derived, received_at)
        elif kind is MessageKind.TAMPER:
            self._raise(device, AlarmType.TAMPER, message, received_at)
        elif kind in (MessageKind.ALARM, MessageKind.CLEAR):
            self._alarm_or_clear(device, message, received_at)

    def _seen(self, device: DeviceRow, rules: DeviceRules, message: SensorMessage, received_at: datetime) -> None:
        if device.last_seen_at is None or received_at >= _aware(device.last_seen_at):
            device.last_seen_at = received_at
            device.offline_after = offline_after(rules, received_at, self.settings.offline_grace_factor)
        if device.offline:
            device.offline, device.offline_since = False, None
            self.device_events.append(
                (device, "online", say("alarms.device.heard_again", kind=Code("message_kind", message.kind.value)))
            )
            offline = self.open.pop(f"{device.id}|{AlarmType.OFFLINE.value}", None)
            if offline is not None:
                offline.cleared_at = received_at
                self.audits.append(
                    lifecycle.resolve_now(
                        offline, f"device:{message.source.value}", received_at, say("alarms.device.sending_again")
                    )
                )
                self._emit_now(offline, "resolved", f"device:{message.source.value}")

    def _alarm_or_clear(self, device: DeviceRow, message: SensorMessage, received_at: datetime) -> None:
        if message.alarm_type is None:  # SensorMessage's validator requires it for alarm and clear messages
            raise ValueError(f"{message.kind.value} message of {message.device_id} without an alarm_type")
        alarm_type = AlarmType(message.alarm_type)
        if message.kind is MessageKind.CLEAR:
            self._clear(device, alarm_type, message, received_at)
        elif alarm_type is AlarmType.OFFLINE and message.source is IngestSource.RULE:
            self._went_offline(device, message, received_at)
        else:
            self._raise(device, alarm_type, message, received_at)

    def _went_offline(self, device: DeviceRow, message: SensorMessage, received_at: datetime) -> None:
        due = device.offline_after is not None and _aware(device.offline_after) <= received_at
        if device.offline or not due:
            return  # it spoke again since the watch looked
        device.offline, device.offline_since = True, received_at
        self.device_events.append((device, "offline", message.detail or say("alarms.device.no_heartbeat")))
        self._raise(device, AlarmType.OFFLINE, message, received_at)

    def _raise(self, device: DeviceRow, alarm_type: AlarmType, message: SensorMessage, received_at: datetime) -> None:
        key = f"{device.id}|{alarm_type.value}"
        by = f"device:{message.source.value}"
        alarm = self.open.get(key)
        if alarm is not None:
            if alarm.id not in self.repeated and alarm.id not in self.new_alarms:
                self.repeated[alarm.id] = (alarm, alarm_json(alarm, device))
            alarm.count += 1
            alarm.last_repeat_at = alarm.updated_at = received_at
            if alarm.cleared_at is not None:  # alarming again after the device had cleared it
                alarm.cleared_at = None
                self._audit(
                    alarm,
                    "repeated",
                    by,
                    received_at,
                    before=alarm.state,
                    comment=say("alarms.device.raised_again"),
                )
            return
        severity = SEVERITY_OF.get(alarm_type, Severity.MEDIUM).value
        alarm = AlarmRow(
            id=uuid.uuid4().hex,
            open_key=key,
            device_id=device.id,
            device_type=device.type,
            alarm_type=alarm_type.value,
            severity=severity,
            priority=priority(severity, AlarmState.ACTIVE),
            state=AlarmState.ACTIVE.value,
            test=message.test,
            source=message.source.value,
            message_id=message.message_id,
            detail=message.detail,
            value=message.value,
            enterprise=device.enterprise or self._enterprise_name(device.org_pk),
            building=device.building,
            location=device.location,
            device_time=message.device_time,
            received_at=received_at,
            stored_at=received_at,
            updated_at=received_at,
            next_escalation_at=self._first_escalation(severity, message.test, received_at),
        )
        self.session.add(alarm)
        self.open[key] = alarm
        self.new_alarms[alarm.id] = alarm
        self._audit(alarm, "raised", by, received_at, before=None, comment=message.detail)

    def _first_escalation(self, severity: str, test: bool, received_at: datetime) -> datetime | None:
        after_s = getattr(self.settings.first_escalation_s, severity, None)
        if after_s is None or not self.escalate_chain or (test and not self.settings.escalate_test_alarms):
            return None
        return received_at + timedelta(seconds=after_s)

    def _clear(self, device: DeviceRow, alarm_type: AlarmType, message: SensorMessage, received_at: datetime) -> None:
        key = f"{device.id}|{alarm_type.value}"
        alarm = self.open.get(key)
        if alarm is None:
            return  # nothing open: the clear is kept in the device's messages only
        by = f"device:{message.source.value}"
        before = alarm_json(alarm, device)
        alarm.cleared_at = alarm.updated_at = received_at
        self._audit(alarm, "cleared", by, received_at, before=alarm.state, comment=message.detail)
        if alarm_type in self.latching:
            if alarm.id not in self.new_alarms:
                self._emit_now(alarm, "cleared", by, before)
            return
        del self.open[key]
        self.audits.append(lifecycle.resolve_now(alarm, by, received_at, "cleared by the device"))
        if alarm.id in self.new_alarms:  # raised and cleared in one batch: still announce it
            alarm.stored_at = self.now
            del self.new_alarms[alarm.id]
            lifecycle.emit(self.notifier, alarm, device, "raised", by, None)
        self.repeated.pop(alarm.id, None)
        self._emit_now(alarm, "resolved", by, before)

    def _audit(
        self, alarm: AlarmRow, action: str, by: str, at: datetime, *, before: str | None, comment: str | None = None
    ) -> None:
        self.audits.append(lifecycle.audit_row(alarm, action, by, at, before=before, comment=comment))

    def _emit_now(self, alarm: AlarmRow, action: str, by: str, before: dict[str, Any] | None = None) -> None:
        lifecycle.emit(self.notifier, alarm, self.devices.get(alarm.device_id), action, by, before)


def _aware(value: datetime) -> datetime:
    return as_utc(value)


def _text(value: StrEnum | None) -> str | None:
    """Plain text for the database (a driver may store an enum by its name)."""
    return value.value if value is not None else None
