"""The centre's ingest: a shared MQTT 5 subscription to every site's topics, applied idempotently.

Several centre processes (each its own ``client_id``) subscribe to
``$share/<group>/lanewatch/v1/site/+/+`` and the broker gives each message
to one of them. paho's network thread only queues; a worker applies each
batch of what has arrived (up to `BATCH_MAX`) in one transaction
(`centre_apply.apply_message` for each, in order; a batch with a failure or a
dead letter again one message per transaction) and only then acknowledges
each (manual ack), so a centre killed mid-ingest leaves the
message unacknowledged and the broker gives it again: to this client when it
is back (persistent session), and the centre's sequence check makes the
second application a no-op. What was committed is told to each site, gathered over up to
`CONFIRM_EVERY_S` in one message (``lanewatch/v1/centre/<site>/confirm``, the sequence numbers): only then
does the entry leave the edge's outbox. Two processes racing on one new record (or one
site's counters) collide on a primary key or a row lock; the loser retries.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy.engine import Engine
from sqlmodel import Session

from lanewatch.config import CentreConfig
from lanewatch.mqtt_receive import Received as _Received
from lanewatch.mqtt_receive import retry_until_stopped
from lanewatch.store.tables import utcnow
from lanewatch.uplink.broker import TOPIC_ROOT, confirm_topic, connect_properties, make_client
from lanewatch.uplink.centre_apply import Outcome, apply_message, centre_id, retry_collisions
from lanewatch.uplink.prefetch import prefetch

log = logging.getLogger(__name__)

RETRY_MAX_S = 10.0


@dataclass(slots=True)
class CentreCounters:
    """Since start: messages received, applied, ignored as duplicates or older, dead letters, failed tries,
    edge heartbeats."""

    received: int = 0
    applied: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    failures: int = 0
    heartbeats: int = 0


def apply_with_retry(
    engine: Engine, topic: str, payload: bytes, at: datetime, attempts: int = 5, evidence_dir: Path | None = None
) -> Outcome:
    """One transaction per try; a key or lock collision with another centre process is tried again."""

    def once() -> Outcome:
        with Session(engine) as session:
            outcome = apply_message(session, topic, payload, at, evidence_dir)
            session.commit()
            return outcome

    return retry_collisions(once, "uplink ingest", attempts)


BATCH_MAX = 200
"""At most this many messages share one transaction (one commit, one fsync, instead of one each)."""
BATCH_ATTEMPTS = 3
"""Tries of a batch that collided with another centre process before it is applied one message at a time."""
BATCH_WAIT_S = 0.005
"""How long the worker waits for more messages after the first before it applies what it has."""
CONFIRM_EVERY_S = 2.0
"""The worker gathers the stored messages' sequence numbers per site and tells each edge at most this often
(and whenever it finds nothing to apply). A batch of 200 holds messages of ~100 sites after an outage, so a
confirmation per batch and site carried one or two numbers: the centre published, the broker routed and each
edge deleted once per confirmation (gathered, the edges' CPU in a drain of 100 edges on one host halved). An
edge resends only what stays unconfirmed for `confirm_timeout_s` (30 s), far longer than this."""


def apply_batch(
    engine: Engine, items: list[tuple[str, bytes, datetime]], evidence_dir: Path | None = None
) -> list[Outcome] | None:
    """All messages in one transaction, in arrival order (two updates of one record end in the newest).

    None (nothing kept) when any of them fails or is a dead letter: `apply_message` rolls a refused
    record back, which would take the batch's earlier messages with it, so the caller applies that
    batch one by one and a poison message goes to dead letters alone. A collision with another centre
    process (both inserting a site's new camera, a lock) rolls the whole batch back: it is tried again as
    a batch first, since one message per transaction costs several times more per message."""

    def once() -> list[Outcome] | None:
        with Session(engine) as session:
            prefetch(session, (payload for _, payload, _ in items), centre_id)  # a few statements, not some per message
            outcomes: list[Outcome] = []
            for topic, payload, at in items:
                outcome = apply_message(session, topic, payload, at, evidence_dir)
                if outcome == "dead":
                    session.rollback()
                    return None
                outcomes.append(outcome)
            session.commit()
            return outcomes

    try:
        return retry_collisions(once, "uplink ingest: a batch", BATCH_ATTEMPTS)
    except Exception as exc:  # any other failure: the one-by-one path retries and reports it
        reason = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"
        log.info("uplink ingest: a batch of %d failed (%s); applying one by one", len(items), reason)
        return None


class CentreIngest:
    """`start()` returns at once and keeps (re)connecting until `stop()`."""

    def __init__(
        self, engine: Engine, config: CentreConfig, *, queue_size: int = 10_000, evidence_dir: Path | None = None
    ) -> None:
        self.engine = engine
        self.evidence_dir = evidence_dir
        """Where forwarded pictures go (the service's evidence folder); None refuses them (dead letters)."""
        self.config = config
        self.subscription = f"$share/{config.share_group}/{TOPIC_ROOT}/+/+"
        self._counters = CentreCounters()
        self._queue: queue.Queue[_Received] = queue.Queue(maxsize=queue_size)
        self._stopping = threading.Event()
        self._generation = 0
        self._unconfirmed: dict[str, list[int]] = {}  # site → stored seqs not yet told to its edge
        self._told_at = time.monotonic()
        self.connected = False
        self.subscribed = threading.Event()
        """Set once the broker granted the subscription (and after each reconnect's renewal)."""
        self._worker = threading.Thread(target=self._run_worker, name="uplink-centre", daemon=True)
        self._client = make_client(config, config.client_id, manual_ack=True)
        self._client.reconnect_delay_set(1, max(1, math.ceil(config.reconnect_max_s)))
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe

    def start(self) -> None:
        self._worker.start()
        self._client.connect_async(
            self.config.host,
            self.config.port,
            keepalive=self.config.keepalive_s,
            clean_start=False,
            properties=connect_properties(self.config),
        )
        self._client.loop_start()
        log.info("uplink centre: connecting to %s:%d for %s", self.config.host, self.config.port, self.subscription)

    def stop(self, timeout: float = 10.0) -> None:
        """Disconnect; what was received and not yet applied is given again by the broker next time."""
        self._stopping.set()
        self._client.disconnect()
        self._client.loop_stop()
        self._worker.join(timeout)

    def counters(self) -> dict[str, int]:
        return asdict(self._counters)

    def publish_retained(self, topic: str, payload: bytes, timeout: float = 10.0) -> bool:
        """Publish retained, QoS 1, on this process's connection; True once the broker acknowledged it
        (`lanewatch.uplink.config_sync_link.ConfigPublisher`)."""
        if not self.connected:
            return False
        try:
            info = self._client.publish(topic, payload, qos=1, retain=True)
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError):  # not queued: the link is gone
            return False
        return info.is_published()

    # -- paho's thread ----------------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: object, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            log.error("uplink centre: broker %s:%d refused: %s", self.config.host, self.config.port, reason_code)
            return
        self._generation += 1
        self.connected = True
        client.subscribe(self.subscription, qos=1)  # renewed on every connect: a restarted broker forgot it

    def _on_subscribe(
        self, client: mqtt.Client, userdata: object, mid: int, reason_codes: list[Any], properties: Any
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            log.error("uplink centre: the broker refused the subscription %s: %s", self.subscription, reason_codes)
        else:
            self.subscribed.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: object, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        self.connected = False
        self.subscribed.clear()
        if not self._stopping.is_set():
            log.warning("uplink centre: lost the broker (%s); reconnecting", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self._counters.received += 1
        self._queue.put(
            _Received(message.topic, bytes(message.payload), message.mid, message.qos, self._generation, utcnow())
        )  # a full queue blocks here: the broker holds the rest

    def _confirm(self, items: list[_Received]) -> None:
        """Note that these messages are stored (or kept as dead letters): they may leave their edges' outboxes
        once `_tell_edges` has sent the numbers. Called only after their commit."""
        for item in items:
            try:
                seq = json.loads(item.payload)["seq"]
                site = item.topic.split("/")[3]
            except (ValueError, KeyError, TypeError, IndexError):
                continue  # nothing an edge could match; it stays a dead letter
            if isinstance(seq, int) and not isinstance(seq, bool):
                self._unconfirmed.setdefault(site, []).append(seq)

    def _tell_edges(self, *, now: bool = False) -> None:
        """Send each site the numbers gathered since the last time (``{"seqs": [...]}``, one message per site),
        once `CONFIRM_EVERY_S` has passed, or at once with `now`. A confirmation lost (not connected, or this
        process killed first) only means the edge sends those entries again after its timeout: the second
        copy is a duplicate here, stored as nothing and confirmed again."""
        if not self._unconfirmed or (not now and time.monotonic() - self._told_at < CONFIRM_EVERY_S):
            return
        gathered, self._unconfirmed = self._unconfirmed, {}
        self._told_at = time.monotonic()
        for site, numbers in gathered.items():
            self._client.publish(confirm_topic(site), json.dumps({"seqs": numbers}), qos=1)

    # -- the worker -------------------------------------------------------------------------
    def _count_failure(self) -> None:
        self._counters.failures += 1

    def _take_batch(self) -> list[_Received]:
        """What has arrived: the first message (waiting up to 0.2 s), then more for a few ms, up to BATCH_MAX."""
        try:
            batch = [self._queue.get(timeout=0.2)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + BATCH_WAIT_S
        while len(batch) < BATCH_MAX:
            left = deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _apply_one(self, item: _Received) -> Outcome | None:
        return retry_until_stopped(
            partial(apply_with_retry, self.engine, item.topic, item.payload, item.at, evidence_dir=self.evidence_dir),
            self._stopping,
            log=log,
            what=f"uplink centre: storing a message of {item.topic}",
            on_failure=self._count_failure,
            max_delay_s=RETRY_MAX_S,
        )

    def _run_worker(self) -> None:
        while not self._stopping.is_set():
            batch = self._take_batch()
            if not batch:
                self._tell_edges(now=True)  # nothing arrived for a while: no reason to wait
                continue
            outcomes = (
                apply_batch(self.engine, [(i.topic, i.payload, i.at) for i in batch], self.evidence_dir)
                if len(batch) > 1
                else None
            )
            if outcomes is None:  # one by one, each acknowledged after its own commit
                for item in batch:
                    outcome = self._apply_one(item)
                    if outcome is None:
                        break  # stopping: not acknowledged, so the broker gives it again
                    self._confirm([item])
                    self._done(item, outcome)
            else:  # committed together: only now noted for confirmation and acknowledged
                self._confirm(batch)
                for item, outcome in zip(batch, outcomes, strict=True):
                    self._done(item, outcome)
            self._tell_edges()
        self._tell_edges(now=True)

    def _done(self, item: _Received, outcome: Outcome) -> None:
        if outcome == "applied":
            self._counters.applied += 1
        elif outcome == "duplicate":
            self._counters.duplicates += 1
        elif outcome == "heartbeat":
            self._counters.heartbeats += 1
        else:
            self._counters.dead_letters += 1
        if item.qos > 0 and item.generation == self._generation:  # an old connection's mid means nothing now
            self._client.ack(item.mid, item.qos)
