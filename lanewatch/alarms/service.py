"""`AlarmService`: the `MessageSink` every ingest path delivers to, and the duty desk's alarm operations.

Group commit: any number of threads (HTTP requests, the MQTT client, the
GB/T 26875 listener, the heartbeat watch) call `submit` at once. Whoever
takes the commit lock applies *every* batch queued so far in one
transaction; the others find their batch done when they get the lock (or
are the next to take the queue). So there is one writer at a time, no
thread of its own, and under load each commit carries many requests. Live
events are published only after the commit; webhook deliveries are written
in it. If a group fails, each batch is retried alone, so one sender's bad
batch cannot fail another's.

The background thread (`start` / `stop`) runs `scan`: escalations due, devices
gone silent, pruning of the bounded tables.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from lanewatch.alarms import escalation, lifecycle, offline
from lanewatch.alarms.apply import BatchApplier, Job
from lanewatch.alarms.devices import RulesCache, device_records
from lanewatch.alarms.messages import AlarmType, IngestResult, SensorMessage
from lanewatch.alarms.notify import Notifier
from lanewatch.alarms.records import Outcome, alarm_json
from lanewatch.alarms.rules import RuleEngine
from lanewatch.config import AlarmSettings
from lanewatch.events.bus import EventBus, device_payload
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.outbox import fit_key
from lanewatch.store.tables import OutboxRow, utcnow

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 60.0

StepHook = Callable[[Session, AlarmRow, DeviceRow | None], None]
"""Called inside an operator step's transaction, after the step, before the commit."""


class AlarmService:
    """Ingest sink, lifecycle operations, escalation and the heartbeat watch, on one store.

    Args:
        engine: the event store.
        bus: live events (published after each commit); None in tools that only store.
        settings: escalation chain, 119 target, limits.
        clock: "now" for scans and operator steps (tests pass a controllable one).
    """

    def __init__(
        self,
        engine: Engine,
        bus: EventBus | None,
        settings: AlarmSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
        rule_engine: RuleEngine | None = None,
    ) -> None:
        bad = [t for t in settings.latching_types if t not in {a.value for a in AlarmType}]
        if bad:
            raise ValueError(
                f"alarms.latching_types: unknown alarm type(s) {', '.join(bad)}; use "
                f"{', '.join(a.value for a in AlarmType)}"
            )
        self.engine = engine
        self.bus = bus
        self.settings = settings
        self.clock = clock
        self.rules = RulesCache()
        self.rule_engine = rule_engine or RuleEngine()
        self.targets = escalation.ensure_targets(engine, settings)
        self._queue: list[Job] = []
        self._done: dict[int, threading.Event] = {}
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._touched: set[str] = set()
        self._last_prune = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.commits = 0
        self.messages = 0

    # -- MessageSink ------------------------------------------------------------------------------
    def submit(self, messages: Sequence[SensorMessage], received_at: datetime) -> IngestResult:
        """Store a batch (with whatever else is queued) and return once it is committed."""
        if not messages:
            return IngestResult()
        job = Job(list(messages), received_at)
        with self._queue_lock:
            self._queue.append(job)
            self._done[id(job)] = done = threading.Event()
        with self._commit_lock:
            if not done.is_set():
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._run(group)
        with self._queue_lock:
            self._done.pop(id(job), None)
        if job.error is not None:
            raise job.error
        return job.result

    def _run(self, group: list[Job]) -> None:
        try:
            self._apply(group)
        except Exception as exc:
            self._forget_rule_state(group)
            if len(group) == 1:
                group[0].error = exc
            else:
                log.warning("a group of %d ingest batches failed (%s); retrying each alone", len(group), exc)
                for job in group:
                    job.result = IngestResult()
                    try:
                        self._apply([job])
                    except Exception as single:
                        self._forget_rule_state([job])
                        job.error = single
        finally:
            with self._queue_lock:
                for job in group:
                    event = self._done.get(id(job))
                    if event is not None:
                        event.set()

    def _forget_rule_state(self, jobs: list[Job]) -> None:
        """The rule engine advanced while applying a batch that was rolled back: start its devices afresh,
        so the retry (or the next reading) derives the alarms again instead of thinking they were raised."""
        for device_id in {message.device_id for job in jobs for message in job.messages}:
            self.rule_engine.forget(device_id)

    def _apply(self, jobs: list[Job]) -> None:
        with Session(self.engine) as session:
            notifier = Notifier(session)
            applier = BatchApplier(
                session,
                notifier,
                self.settings,
                self.rules,
                self.rule_engine,
                escalate_chain=bool(self.targets.chain),
                clock=self.clock,
            )
            applier.apply(jobs)
            session.commit()
        self.commits += 1
        self.messages += sum(len(j.messages) for j in jobs)
        self._touched |= applier.touched
        notifier.publish(self.bus)

    # -- operator steps ---------------------------------------------------------------------------
    def acknowledge(
        self, alarm_id: str, by: str, comment: str | None = None, *, on_step: StepHook | None = None
    ) -> AlarmRow:
        return self._step(alarm_id, "acknowledged", by, comment=comment, on_step=on_step)

    def confirm(
        self,
        alarm_id: str,
        by: str,
        outcome: Outcome,
        comment: str | None = None,
        *,
        on_step: StepHook | None = None,
    ) -> AlarmRow:
        return self._step(alarm_id, "confirmed", by, comment=comment, outcome=outcome, on_step=on_step)

    def resolve(
        self, alarm_id: str, by: str, comment: str | None = None, *, on_step: StepHook | None = None
    ) -> AlarmRow:
        return self._step(alarm_id, "resolved", by, comment=comment, on_step=on_step)

    def shown(self, alarm_id: str, by: str) -> AlarmRow:
        with Session(self.engine, expire_on_commit=False) as session:
            notifier = Notifier(session)
            alarm = lifecycle.mark_shown(session, notifier, alarm_id, by, self.clock())
            session.commit()
        notifier.publish(self.bus)
        return alarm

    def _step(
        self,
        alarm_id: str,
        action: str,
        by: str,
        *,
        comment: str | None,
        outcome: Outcome | None = None,
        on_step: StepHook | None = None,
    ) -> AlarmRow:
        now = self.clock()
        with Session(self.engine, expire_on_commit=False) as session:
            notifier = Notifier(session)
            alarm = lifecycle.step(session, notifier, alarm_id, action, by, now, comment=comment, outcome=outcome)
            device = session.get(DeviceRow, alarm.device_id)
            if on_step is not None:  # e.g. the API's audit entry, committed with the step or not at all
                on_step(session, alarm, device)
            if outcome is Outcome.REAL_FIRE:
                escalation.queue_forward(session, self.targets, alarm, device)
            if outcome is Outcome.FALSE_ALARM and device is not None:
                self._check_maintenance(session, notifier, device, now)
            session.commit()
        notifier.publish(self.bus)
        return alarm

    def _check_maintenance(self, session: Session, notifier: Notifier, device: DeviceRow, now: datetime) -> None:
        """Flag a device whose false alarms in the last 24 h exceed the limit."""
        if device.maintenance:
            return
        count = session.exec(
            select(func.count())
            .select_from(AlarmRow)
            .where(
                AlarmRow.device_id == device.id,
                AlarmRow.outcome == Outcome.FALSE_ALARM.value,
                col(AlarmRow.confirmed_at) >= now - timedelta(days=1),
            )
        ).one()
        limit = self.settings.maintenance_false_alarms_per_day
        if count <= limit:
            return
        device.maintenance = True
        device.maintenance_reason = f"{count} false alarms in 24 h (more than {limit})"
        device.updated_at = now
        session.add(device)
        session.flush()
        record = device_records(session, [device], self.rules)[0].model_dump(mode="json")
        payload = device_payload("maintenance", record, now, device.maintenance_reason)
        notifier.emit(payload["type"], payload, fit_key(f"{device.id}:maintenance:{round(now.timestamp() * 1000)}"))

    # -- webhook dispatcher hook: a 119 forward was delivered ------------------------------------------
    def on_delivered(self, session: Session, row: OutboxRow) -> Callable[[], None] | None:
        if row.event_type != "alarm.forward":
            return None
        alarm = session.get(AlarmRow, (row.payload.get("after") or {}).get("id", ""))
        if alarm is None or alarm.forwarded_at is not None:
            return None
        now = utcnow()
        device = session.get(DeviceRow, alarm.device_id)
        before = alarm_json(alarm, device)
        alarm.forwarded_at = alarm.updated_at = now
        session.add(alarm)
        target = self.targets.forward[1].name if self.targets.forward else "119"
        lifecycle.audit(
            session, alarm, "forwarded", "system", now, before=alarm.state, comment=f"delivered to {target}"
        )
        notifier = Notifier(session)
        lifecycle.emit(notifier, alarm, device, "forwarded", "system", before)
        return lambda: notifier.publish(self.bus)

    # -- background scans -------------------------------------------------------------------------
    def scan(self, now: datetime | None = None) -> None:
        """Escalate what is due, raise offline alarms for silent devices, prune now and then."""
        now = now or self.clock()
        with Session(self.engine) as session:
            due = escalation.due_alarms(session, now)
            silent = offline.silent_devices(session, now, self.rules)
        for alarm_id in due:
            with Session(self.engine) as session:
                notifier = Notifier(session)
                if escalation.escalate(session, notifier, self.settings, self.targets, alarm_id, now):
                    session.commit()
                    notifier.publish(self.bus)
        if silent:
            self.submit(silent, now)
        if time.monotonic() - self._last_prune >= PRUNE_EVERY_S:
            self.prune(now)

    def prune(self, now: datetime | None = None) -> None:
        now = now or self.clock()
        self._last_prune = time.monotonic()
        touched, self._touched = self._touched, set()
        with Session(self.engine) as session:
            offline.prune(
                session,
                touched,
                self.settings.readings_per_device,
                offline.seen_cutoff(now, self.settings.dedup_window_s),
            )
            session.commit()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("alarm scanner already started")
        self._thread = threading.Thread(target=self._loop, name="alarm-scanner", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.scan_interval_s):
            try:
                self.scan()
            except Exception:  # a database outage must not end the watch
                log.exception("alarm scan failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
