"""Events of one alarm transaction: webhook rows in the transaction, live events after the commit.

A subscriber must never hear of an alarm that was then rolled back, nor
miss one that was saved: the outbox rows are written in the same
transaction as the change (`lanewatch.store.outbox`), and the in-process
bus is told only once the commit succeeded (`publish`).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session, col, select

from lanewatch.events.bus import EventBus, type_matches
from lanewatch.store import record_tap
from lanewatch.store.outbox import add_delivery
from lanewatch.store.tables import WebhookRow

log = logging.getLogger(__name__)


class Notifier:
    """Collects the events of one session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pending: list[tuple[str, dict[str, Any]]] = []
        self._hooks: list[tuple[int, list[str]]] | None = None

    def emit(self, event_type: str, payload: dict[str, Any], key: str) -> None:
        """Queue a delivery to every enabled webhook subscribed to `event_type`, and a live event."""
        if self._hooks is None:
            rows = self.session.exec(select(WebhookRow.pk, WebhookRow.events).where(col(WebhookRow.enabled).is_(True)))
            self._hooks = [(pk, list(events)) for pk, events in rows if pk is not None]  # stored rows have a pk
        for pk, events in self._hooks:
            if type_matches(events, event_type):
                add_delivery(self.session, pk, event_type, payload, key)
        record_tap.emit(self.session, "event", (event_type, payload))  # e.g. the uplink's outbox
        self.pending.append((event_type, payload))

    def publish(self, bus: EventBus | None) -> None:
        """After the commit: tell live clients (a failing bus costs only the notification)."""
        pending, self.pending = self.pending, []
        if bus is None:
            return
        for event_type, payload in pending:
            try:
                bus.publish(event_type, payload)
            except Exception:
                log.exception("could not publish %s", event_type)
