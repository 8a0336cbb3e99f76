"""In-process publish/subscribe of live events (violations, camera health, fire alarms, devices).

The pipeline publishes from its worker threads; Server-Sent-Events clients
consume in asyncio. Publishing never blocks and never grows memory: each
subscriber has a bounded queue, and one that falls that far behind is
marked *lagging* and gets nothing more (it drains what it already has,
then its iteration ends; an SSE client reconnects with ``Last-Event-ID``).
A small ring of recent events lets a reconnecting client catch up.

Event ids count up from 1 per process. A ``Last-Event-ID`` newer than
anything published (the client saw an earlier run of the service) replays
the whole ring.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lanewatch.events.report import violation_json
from lanewatch.events.violation import ViolationEvent

if TYPE_CHECKING:
    from lanewatch.video.health import HealthEvent

EVENT_TYPES = (
    "violation.new",
    "violation.update",
    "violation.end",
    "camera.online",
    "camera.offline",
    "camera.frozen",
    "camera.covered",
    "camera.dark",
    "camera.blurred",
    "camera.moved",
    "alarm.new",
    "alarm.update",
    "alarm.end",
    "alarm.escalated",
    "device.offline",
    "device.online",
    "device.maintenance",
    "webhook.test",
)
ALARM_EVENT_TYPE = {"raised": "alarm.new", "resolved": "alarm.end", "escalated": "alarm.escalated"}
"""The event type of an alarm step; every other step (repeated, cleared, shown, ...) is an ``alarm.update``."""


def type_matches(patterns: Iterable[str], event_type: str) -> bool:
    """Whether an event type is selected by any pattern: ``*``, an exact type, or a prefix ``violation.*``."""
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def valid_pattern(pattern: str) -> bool:
    """A pattern that selects at least one known event type."""
    return any(type_matches([pattern], t) for t in EVENT_TYPES)


def violation_payload(event: ViolationEvent) -> dict[str, Any]:
    """``{"type": "violation.new|update|end", "before": violation|None, "after": violation}``."""
    return {
        "type": f"violation.{event.kind}",
        "before": violation_json(event.before) if event.before is not None else None,
        "after": violation_json(event.after),
    }


def health_payload(event: HealthEvent) -> dict[str, Any]:
    """``{"type": "camera.online|offline|frozen|covered|dark|blurred|moved", "camera", "at" (ISO), "detail"}``."""
    state = getattr(event.state, "value", event.state)
    return {"type": f"camera.{state}", "camera": event.camera, "at": event.at.isoformat(), "detail": event.detail}


def alarm_payload(
    action: str, by: str, before: dict[str, Any] | None, after: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """``{"type": "alarm.new|update|end|escalated", "action", "by", "before": alarm|None, "after": alarm, ...}``."""
    return {
        "type": ALARM_EVENT_TYPE.get(action, "alarm.update"),
        "action": action,
        "by": by,
        "before": before,
        "after": after,
        **extra,
    }


def device_payload(state: str, device: dict[str, Any], at: datetime, detail: str) -> dict[str, Any]:
    """``{"type": "device.offline|online|maintenance", "device": device, "at" (ISO), "detail"}``."""
    return {"type": f"device.{state}", "device": device, "at": at.isoformat(), "detail": detail}


def payload_camera(payload: dict[str, Any]) -> str | None:
    """The camera an event is about, if any."""
    if "camera" in payload:
        return payload["camera"]
    after = payload.get("after")
    return after.get("camera") if isinstance(after, dict) else None


def payload_device(payload: dict[str, Any]) -> str | None:
    """The sensor device an event is about, if any (alarms name it in ``after``, device events in ``device``)."""
    device = payload.get("device")
    if isinstance(device, dict) and isinstance(device.get("id"), str):
        return device["id"]
    after = payload.get("after")
    found = after.get("device_id") if isinstance(after, dict) else None
    return found if isinstance(found, str) else None


@dataclass(frozen=True, slots=True)
class LiveEvent:
    id: int
    type: str
    at: datetime
    """When it was published (UTC)."""
    payload: dict[str, Any]


class Subscription:
    """One consumer's bounded queue; async-iterable, ends when closed (or lagging and drained)."""

    def __init__(
        self,
        maxsize: int,
        backlog: list[LiveEvent],
        missed: bool,
        on_close: Callable[[Subscription], None] | None = None,
    ) -> None:
        self.maxsize = maxsize
        self.missed = missed
        """The requested Last-Event-ID had already left the ring: events were lost."""
        self.lagging = False
        self._items: deque[LiveEvent] = deque(backlog)
        self._closed = False
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Event | None = None
        self._on_close = on_close

    @property
    def closed(self) -> bool:
        return self._closed

    def _push(self, event: LiveEvent) -> bool:
        """Called by the bus under its lock; False once this subscription takes nothing more."""
        with self._lock:
            if self._closed or self.lagging:
                return False
            if len(self._items) >= self.maxsize:
                self.lagging = True
            else:
                self._items.append(event)
        self._wake()
        return not self.lagging

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._items.clear()
        self._wake()
        if self._on_close is not None:
            self._on_close(self)

    def _wake(self) -> None:
        loop, ready = self._loop, self._ready
        if loop is not None and ready is not None:
            with contextlib.suppress(RuntimeError):  # the consumer's loop is gone
                loop.call_soon_threadsafe(ready.set)

    async def next(self, timeout: float | None = None) -> LiveEvent | None:
        """The next event; None after `timeout` seconds without one.

        Raises:
            StopAsyncIteration: closed, or lagging with nothing left to drain.
        """
        if self._ready is None:
            self._loop, self._ready = asyncio.get_running_loop(), asyncio.Event()
        while True:
            with self._lock:
                if self._items:
                    return self._items.popleft()
                if self._closed or self.lagging:
                    raise StopAsyncIteration
                self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return None

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> LiveEvent:
        event = None
        while event is None:
            event = await self.next()
        return event


class EventBus:
    """Fan-out of live events to subscribers; `publish` is safe from any thread and never blocks."""

    def __init__(self, *, ring_size: int = 256, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._ring: deque[LiveEvent] = deque(maxlen=ring_size)
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()
        self._last_id = 0
        self._closed = False

    def publish(self, kind: str, payload: dict[str, Any]) -> LiveEvent:
        """Number, stamp and deliver one event of type `kind` to every subscriber."""
        with self._lock:
            self._last_id += 1
            event = LiveEvent(self._last_id, kind, datetime.now(UTC), payload)
            self._ring.append(event)
            for sub in list(self._subscribers):
                if not sub._push(event):
                    self._subscribers.discard(sub)
        return event

    def publish_violation(self, event: ViolationEvent) -> LiveEvent:
        """A pipeline event sink."""
        payload = violation_payload(event)
        return self.publish(payload["type"], payload)

    def publish_health(self, event: HealthEvent) -> LiveEvent:
        """A pipeline health sink."""
        payload = health_payload(event)
        return self.publish(payload["type"], payload)

    def subscribe(self, last_event_id: int | None = None) -> Subscription:
        """A new subscription; with `last_event_id`, the ring's events after it come first."""
        with self._lock:
            backlog: list[LiveEvent] = []
            missed = False
            if last_event_id is not None and self._ring:
                if last_event_id > self._last_id:  # an id from an earlier run of the service
                    backlog = list(self._ring)
                else:
                    backlog = [e for e in self._ring if e.id > last_event_id]
                    missed = last_event_id < self._ring[0].id - 1
            if self._closed:
                sub = Subscription(self.queue_size, [], missed)
                sub.close()
                return sub
            sub = Subscription(self.queue_size, backlog, missed, on_close=self._discard)
            self._subscribers.add(sub)
            return sub

    def _discard(self, sub: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def close(self) -> None:
        """End every subscription (service shutdown); later subscriptions start closed."""
        with self._lock:
            self._closed = True
            subs, self._subscribers = list(self._subscribers), set()
        for sub in subs:
            sub.close()
