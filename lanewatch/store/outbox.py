"""Webhook notifications through a transactional outbox.

An event and the deliveries it causes are written in ONE transaction
(`OutboxSink`), so a crash never loses a notification nor sends one for
something that was not saved. `WebhookDispatcher` then delivers the rows
at least once: it claims due rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several dispatchers can share the table; SQLite runs one),
leases them for the length of the batch, POSTs them signed, and records
success or schedules a retry with capped exponential backoff and jitter.
All state lives in the table, so a dispatcher started after a restart
delivers whatever is pending. Deliveries of one webhook are not ordered
across retries; receivers de-duplicate on ``Idempotency-Key``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch import __version__
from lanewatch.config import WebhookConfig
from lanewatch.events.bus import health_payload, type_matches, violation_payload
from lanewatch.events.signature import sign
from lanewatch.events.violation import ViolationEvent
from lanewatch.people.event_scope import event_allowed
from lanewatch.people.scope import Scope
from lanewatch.store.health_store import HealthStore
from lanewatch.store.tables import OutboxRow, WebhookRow, utcnow
from lanewatch.store.violation_store import ViolationStore
from lanewatch.video.health import HealthEvent

if TYPE_CHECKING:
    from lanewatch.store.robot_targets import Robots

log = logging.getLogger(__name__)

KEY_LENGTH = 64  # OutboxRow.idempotency_key


def fit_key(key: str) -> str:
    """The key itself, or its SHA-256 when longer than the column."""
    return key if len(key) <= KEY_LENGTH else hashlib.sha256(key.encode()).hexdigest()


def violation_key(event: ViolationEvent) -> str:
    """``<id>:new``, ``<id>:end``, or ``<id>:update:<last seen, ms of stream time>`` (one per update)."""
    v = event.after
    if event.kind == "update":
        return fit_key(f"{v.id}:update:{round(v.last_seen_s * 1000)}")
    return fit_key(f"{v.id}:{event.kind}")


def health_key(event: HealthEvent) -> str:
    return fit_key(f"{event.camera}:{event.state.value}:{round(event.at.timestamp() * 1000)}")


def add_delivery(
    session: Session, webhook_pk: int, event_type: str, payload: dict[str, Any], idempotency_key: str
) -> OutboxRow | None:
    """One delivery to one webhook in the caller's transaction; None if that key is already queued for it,
    or if the webhook belongs to an organisation and the event's camera or device is outside its subtree
    (every way of queueing a delivery comes through here, so this is the one place that rule lives)."""
    hook = session.get(WebhookRow, webhook_pk)
    if (
        hook is not None
        and hook.org_pk is not None
        and not event_allowed(session, Scope.of_org(session, hook.org_pk), payload)
    ):
        return None
    key = fit_key(idempotency_key)
    exists = session.exec(
        select(OutboxRow.pk).where(OutboxRow.webhook_pk == webhook_pk, OutboxRow.idempotency_key == key)
    ).first()
    if exists is not None:
        return None
    row = OutboxRow(webhook_pk=webhook_pk, idempotency_key=key, event_type=event_type, payload=payload)
    session.add(row)
    return row


def enqueue(session: Session, event_type: str, payload: dict[str, Any], idempotency_key: str) -> list[OutboxRow]:
    """One outbox row per enabled webhook subscribed to `event_type`, in the caller's transaction.

    A key already queued for a webhook is skipped, so replaying an event enqueues nothing new.
    """
    enabled = col(WebhookRow.enabled).is_(True)
    hooks = session.exec(select(WebhookRow).where(enabled).order_by(col(WebhookRow.pk))).all()
    rows = [
        add_delivery(session, h.pk, event_type, payload, idempotency_key)
        for h in hooks
        if h.pk is not None and type_matches(h.events, event_type)  # a stored row has its pk
    ]
    return [r for r in rows if r is not None]


class OutboxSink:
    """Pipeline sinks that save an event and its webhook deliveries in one transaction.

    ``OutboxSink(engine)`` is the violation-event sink; ``.health`` the health sink.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, event: ViolationEvent) -> None:
        payload = violation_payload(event)
        with Session(self.engine) as session:
            ViolationStore.apply(session, event)
            enqueue(session, payload["type"], payload, violation_key(event))
            session.commit()

    def health(self, event: HealthEvent) -> None:
        payload = health_payload(event)
        with Session(self.engine) as session:
            HealthStore.apply(session, event)
            enqueue(session, payload["type"], payload, health_key(event))
            session.commit()


class _Skip(str):
    """A row its target does not want: recorded as delivered, with this reason, and not sent."""


@dataclass(frozen=True, slots=True)
class _Claimed:
    pk: int
    webhook_pk: int
    url: str
    secret: str
    event_type: str
    idempotency_key: str
    payload: dict[str, Any]


class WebhookDispatcher:
    """Background delivery of due outbox rows; `start()` / `stop()`, or `run_once()` by hand.

    Args:
        engine: the store holding webhooks and the outbox.
        config: timeouts, backoff and the attempt limit.
        poll_s: pause between looks at the table when nothing was due.
        batch_size: rows claimed (and leased) at a time.
    """

    def __init__(
        self,
        engine: Engine,
        config: WebhookConfig,
        *,
        poll_s: float = 1.0,
        batch_size: int = 20,
        on_delivered: Callable[[Session, OutboxRow], Callable[[], None] | None] | None = None,
        robots: Robots | None = None,
    ) -> None:
        self.engine = engine
        self.robots = robots
        """Group-robot and SMS targets: their rows are sent in the vendor's format instead."""
        self.on_delivered = on_delivered
        """Called in the transaction that records a success; what it returns runs after the commit."""
        self.config = config
        self.poll_s = poll_s
        self.batch_size = batch_size
        self._client = httpx.Client(
            timeout=config.timeout_s, follow_redirects=False, headers={"User-Agent": f"lanewatch/{__version__}"}
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("dispatcher already started")
        self._thread = threading.Thread(target=self._run, name="webhook-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the request in flight (at most the request timeout per row) and end the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout if timeout is not None else self.config.timeout_s * 2 + 5)
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                done = self.run_once()
            except Exception:  # a database outage must not end the thread
                log.exception("webhook dispatch failed")
                done = 0
            if done < self.batch_size:
                self._stop.wait(self.poll_s)

    def run_once(self) -> int:
        """Claim and deliver one batch of due rows; returns how many were attempted."""
        claimed = self._claim()
        for row in claimed:
            if self._stop.is_set():
                break  # the rest stay leased and come back when the lease ends
            self._record(row, self._deliver(row))
        return len(claimed)

    def backoff_s(self, attempts: int) -> float:
        """Delay after the `attempts`-th failure: doubling from retry_initial_s, capped, 50–100 % jitter."""
        capped = min(self.config.retry_max_s, self.config.retry_initial_s * 2 ** min(attempts - 1, 60))
        return capped * random.uniform(0.5, 1.0)

    def _claim(self) -> list[_Claimed]:
        now = utcnow()
        query = (
            select(OutboxRow, WebhookRow.url, WebhookRow.secret)
            .join(WebhookRow, col(WebhookRow.pk) == col(OutboxRow.webhook_pk))
            .where(
                col(OutboxRow.delivered_at).is_(None),
                col(OutboxRow.next_attempt_at) <= now,
                col(OutboxRow.attempts) < self.config.max_attempts,
                col(WebhookRow.enabled).is_(True),
            )
            .order_by(col(OutboxRow.next_attempt_at), col(OutboxRow.pk))
            .limit(self.batch_size)
            .with_for_update(skip_locked=True, of=OutboxRow)
        )
        with Session(self.engine) as session:
            claimed = [
                _Claimed(row.pk, row.webhook_pk, url, secret, row.event_type, row.idempotency_key, row.payload)
                for row, url, secret in session.exec(query)
                if row.pk is not None  # a stored row has its pk
            ]
            if claimed:  # leased: if this dispatcher dies, the rows come due again when the lease ends
                lease_until = now + timedelta(seconds=(self.config.timeout_s + 1) * len(claimed) + 10)
                session.exec(
                    update(OutboxRow)
                    .where(col(OutboxRow.pk).in_([c.pk for c in claimed]))
                    .values(next_attempt_at=lease_until)
                )
            session.commit()
        return claimed

    def _deliver(self, row: _Claimed) -> str | None:
        """POST one row; None on a 2xx, else what went wrong (a `_Skip`: not sent, and never will be)."""
        if self.robots is not None:
            try:
                robot = self.robots.prepare(row.webhook_pk, row.event_type, row.payload)
            except Exception as exc:  # a bad payload or template: recorded on the row, retried
                log.exception("robot message for delivery %s", row.pk)
                return f"could not build the message: {type(exc).__name__}: {exc}"
            if isinstance(robot, str):
                return _Skip(f"skipped: {robot}")
            if robot is not None:
                try:
                    response = self._client.post(robot.url, content=robot.body, headers=robot.headers)
                except httpx.HTTPError as exc:
                    return f"{type(exc).__name__}: {exc}".rstrip(": ")
                return self.robots.check(row.webhook_pk, response.status_code, response.text)
        body = json.dumps(row.payload, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Lanewatch-Event": row.event_type,
            "X-Lanewatch-Delivery": str(row.pk),
            "Idempotency-Key": row.idempotency_key,
            "X-Lanewatch-Timestamp": timestamp,
            "X-Lanewatch-Signature": sign(row.secret, timestamp, body),
        }
        try:
            response = self._client.post(row.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}".rstrip(": ")
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}: {response.text[:200]}"

    def _record(self, claimed: _Claimed, error: str | None) -> None:
        with Session(self.engine) as session:
            row = session.get(OutboxRow, claimed.pk)
            if row is None or row.delivered_at is not None:  # webhook deleted, or delivered by a peer
                return
            now = utcnow()
            row.attempts += 1
            after_commit = None
            if isinstance(error, _Skip):
                row.delivered_at, row.last_error = now, str(error)
            elif error is None:
                row.delivered_at = now
                if self.on_delivered is not None:
                    after_commit = self.on_delivered(session, row)
            else:
                if row.attempts >= self.config.max_attempts:
                    error = f"gave up after {row.attempts} attempts: {error}"
                    log.warning("webhook delivery %s: %s", row.pk, error)
                row.last_error = error[:2000]
                row.next_attempt_at = now + timedelta(seconds=self.backoff_s(row.attempts))
            session.add(row)
            session.commit()
        if after_commit is not None:
            after_commit()
