"""What both MQTT receivers (the alarm ingest, `lanewatch.alarms.mqtt_ingest`, and the centre's uplink ingest,
`lanewatch.uplink.centre`) share: the queued publish and the store-until-it-works retry.

Both let paho's network thread only queue (`Received`) and acknowledge a
publish after it is stored, from a worker thread. ``generation`` is the
connection the publish came on: after a reconnect its ``mid`` means nothing,
so only a publish of the current connection is acknowledged (an older one
is redelivered by the broker). Storing retries with backoff while the
database is down (`retry_until_stopped`) and gives up only when stopping,
leaving the publish unacknowledged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

T = TypeVar("T")


@dataclass(slots=True, frozen=True)
class Received:
    """One publish as it left paho's thread; ``generation`` says which connection may acknowledge it."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    generation: int
    at: datetime


def retry_until_stopped(
    store: Callable[[], T],
    stopping: threading.Event,
    *,
    log: logging.Logger,
    what: str,
    on_failure: Callable[[], None],
    max_delay_s: float,
) -> T | None:
    """`store()` until it returns, doubling the wait from 0.5 s to `max_delay_s`; None once `stopping` is set."""
    delay = 0.5
    while not stopping.is_set():
        try:
            return store()
        except Exception:  # the database is down (or restarting): keep the publish, try again
            on_failure()
            log.exception("%s failed; retrying in %.1f s", what, delay)
        if stopping.wait(delay):
            return None
        delay = min(delay * 2, max_delay_s)
    return None
