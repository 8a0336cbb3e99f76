"""What the centre tells live clients and webhooks about a record it applied, on every centre process.

Several centre processes share the sites' messages (one MQTT shared
subscription), so a record is applied by one of them, while every process
has its own Server-Sent-Events clients. The transaction that applies a
record therefore also

- queues its webhook deliveries (`lanewatch.store.outbox.add_delivery`, keyed
  ``<site>:<kind>:<record>:<seq>``): the dispatcher of every process claims
  due rows with ``FOR UPDATE SKIP LOCKED``, so each goes out once; and
- on PostgreSQL, sends ``pg_notify('lanewatch_live', event)``. PostgreSQL
  delivers a notification to every listening connection when, and only when,
  the transaction commits: a rolled-back batch tells nobody, a redelivered
  message (a duplicate, applied as nothing) sends nothing. Each process's
  `LiveListener` publishes what it hears onto its own bus, its own
  transactions' events included, so each SSE client of each process hears
  every event once.

On SQLite (one centre process) the events go to the bus `attach`ed to the
engine after the commit. An event bigger than a notification may carry
(8000 bytes) travels as a reference that the listener reads back.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from typing import Any

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch.alarms.devices import RulesCache, device_records
from lanewatch.alarms.records import alarm_json
from lanewatch.api.routers.violations import violation_out_json
from lanewatch.events.bus import EventBus, alarm_payload, type_matches
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.outbox import add_delivery
from lanewatch.store.tables import ViolationRow, WebhookRow

log = logging.getLogger(__name__)

CHANNEL = "lanewatch_live"
NOTIFY_MAX_BYTES = 7900
"""PostgreSQL refuses a notification payload of 8000 bytes or more."""
_SESSION_KEY = "lanewatch.centre_events"
_NOTIFY_ALL = text("SELECT pg_notify(:channel, note) FROM json_array_elements_text(CAST(:notes AS json)) AS note")
"""The notes travel as one JSON array: a text[] parameter was quoted element by element in Python (a tenth of a
centre process's CPU while it ingests)."""
_buses: weakref.WeakKeyDictionary[Engine, EventBus] = weakref.WeakKeyDictionary()


def attach(engine: Engine, bus: EventBus) -> None:
    """The bus told after each commit on `engine` when it is not PostgreSQL (a single centre process)."""
    _buses[engine] = bus


def detach(engine: Engine) -> None:
    _buses.pop(engine, None)


def listened(engine: Engine) -> bool:
    """Whether events reach the processes through LISTEN/NOTIFY (PostgreSQL) rather than the attached bus."""
    return engine.dialect.name == "postgresql"


class CentreEvents:
    """The events of one session's transaction; `of(session)` gives the session's own."""

    def __init__(self, session: Session) -> None:
        self.session = session
        bind = session.get_bind()
        self.engine: Engine | None = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
        self.notify = self.engine is not None and listened(self.engine)
        self.pending: list[tuple[str, dict[str, Any]]] = []
        self.notes: list[str] = []
        self._hooks: list[tuple[int, list[str]]] | None = None
        event.listen(session, "before_commit", self._notify)
        event.listen(session, "after_commit", self._committed)
        event.listen(session, "after_soft_rollback", self._rolled_back)

    @classmethod
    def of(cls, session: Session) -> CentreEvents:
        found = session.info.get(_SESSION_KEY)
        if not isinstance(found, CentreEvents):
            found = session.info[_SESSION_KEY] = cls(session)
        return found

    def emit(self, event_type: str, payload: dict[str, Any], key: str, ref: tuple[str, str]) -> None:
        """Queue the event's webhook deliveries and its live event in the caller's transaction.

        `ref` (kind, id) names the record, for an event too big for a notification."""
        if self._hooks is None:
            rows = self.session.exec(select(WebhookRow.pk, WebhookRow.events).where(col(WebhookRow.enabled).is_(True)))
            self._hooks = [(pk, list(events)) for pk, events in rows if pk is not None]
        wanted = [pk for pk, events in self._hooks if type_matches(events, event_type)]
        if wanted:
            self.session.flush()  # an org's webhook looks the new camera or device up: it must be visible
        for pk in wanted:
            add_delivery(self.session, pk, event_type, payload, key)
        if not self.notify:
            self.pending.append((event_type, payload))
            return
        note = json.dumps({"type": event_type, "payload": payload}, separators=(",", ":"), ensure_ascii=False)
        if len(note.encode()) > NOTIFY_MAX_BYTES:
            note = json.dumps({"type": event_type, "ref": list(ref)}, separators=(",", ":"), ensure_ascii=False)
        self.notes.append(note)  # sent together just before the commit: one statement per transaction

    def _notify(self, session: Session) -> None:
        notes, self.notes = self.notes, []
        if notes:  # in this order; PostgreSQL delivers them at the commit, or never if it rolls back
            session.connection().execute(_NOTIFY_ALL, {"channel": CHANNEL, "notes": json.dumps(notes)})

    def _committed(self, session: Session) -> None:
        pending, self.pending = self.pending, []
        bus = _buses.get(self.engine) if self.engine is not None else None
        if bus is None:
            return
        for event_type, payload in pending:
            try:
                bus.publish(event_type, payload)
            except Exception:  # a failing bus costs only the live event
                log.exception("could not publish %s", event_type)

    def _rolled_back(self, session: Session, previous_transaction: object) -> None:
        self.pending, self.notes = [], []  # nothing of a rolled-back transaction is told


def read_back(engine: Engine, event_type: str, kind: str, record_id: str) -> dict[str, Any] | None:
    """The payload of an event that travelled as a reference, from the record as it is now (None: gone)."""
    with Session(engine) as session:
        if kind == "violation":
            row = session.get(ViolationRow, record_id)
            if row is None:
                return None
            return {"type": event_type, "before": None, "after": violation_out_json(row)}
        if kind == "alarm":
            alarm = session.get(AlarmRow, record_id)
            if alarm is None:
                return None
            return alarm_payload(
                action_of(event_type), "", None, alarm_json(alarm, session.get(DeviceRow, alarm.device_id))
            )
        if kind == "device":
            device = session.get(DeviceRow, record_id)
            if device is None:
                return None
            record = device_records(session, [device], RulesCache())[0].model_dump(mode="json")
            return {"type": event_type, "device": record, "at": None, "detail": ""}
    return None


def action_of(event_type: str) -> str:
    """The alarm step an event type stands for at the centre (the edge's own step name does not travel)."""
    return {"alarm.new": "raised", "alarm.end": "resolved", "alarm.escalated": "escalated"}.get(event_type, "updated")


class LiveListener:
    """LISTENs on PostgreSQL and publishes every centre event onto this process's bus; `start()` / `stop()`.

    A lost connection is retried with a growing pause (0.5 s up to 10 s); what was notified meanwhile is not
    heard here (the records are in the database; an SSE client that reconnects reads the lists again)."""

    def __init__(self, engine: Engine, bus: EventBus) -> None:
        self.engine = engine
        self.bus = bus
        self.ready = threading.Event()
        """Set while LISTEN is in force (a test waits for it before it expects events)."""
        self.heard = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="centre-live", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _conninfo(self) -> str:
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo(), autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    delay = 0.5
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._deliver(note.payload)
            except psycopg.Error as exc:
                self.ready.clear()
                log.warning("centre live events: lost PostgreSQL (%s); listening again in %.1f s", exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
        self.ready.clear()

    def _deliver(self, text: str) -> None:
        try:
            note = json.loads(text)
            event_type = str(note["type"])
            payload = note.get("payload")
            if payload is None:
                kind, record_id = note["ref"]
                payload = read_back(self.engine, event_type, str(kind), str(record_id))
                if payload is None:
                    return
            self.heard += 1
            self.bus.publish(event_type, payload)
        except Exception:  # one bad notification must not end the listener
            log.exception("centre live events: could not publish %r", text[:200])
