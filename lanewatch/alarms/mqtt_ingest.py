"""Sensor messages from an MQTT broker: subscribe to ``<topic_root>/#`` and hand batches to the sink.

Topic ``<root>/<device_id>[/<anything>]``; the payload is the HTTP JSON
format (one object, an array, or ``{"messages": [...]}``, see
`lanewatch.alarms.payloads`) and an item without ``device_id`` takes the
topic's.

Nothing is lost between the broker and the store:

- a fixed client id with a persistent session (``clean_session=False``), so
  the broker queues QoS 1/2 messages while lanewatch reconnects or restarts;
- manual acknowledgement: a message is acknowledged only after the sink has
  stored it, so a crash between receipt and storage means a redelivery, not
  a loss. A redelivery (or an MQTT ``dup``) carries the same ``message_id``:
  the sender's, or one derived from sha1(topic + payload), so the alarm
  service counts it once;
- paho's network thread only queues; a worker thread submits what has
  accumulated (up to ``batch_max`` messages per call), so a slow store
  gives bigger batches instead of one commit per message. A full queue
  blocks the network thread (backpressure, the broker holds the rest)
  instead of dropping;
- the subscription is renewed on every (re)connect: a restarted broker
  without persistence has forgotten it. Reconnects back off from 1 s to
  ``reconnect_max_s``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import queue
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from lanewatch.alarms.messages import IngestResult, IngestSource, MessageSink, SensorMessage
from lanewatch.alarms.payloads import parse_payload
from lanewatch.config import MqttConfig
from lanewatch.mqtt_receive import Received as _Received
from lanewatch.mqtt_receive import retry_until_stopped

log = logging.getLogger(__name__)

SINK_RETRY_MAX_S = 30.0


@dataclass(slots=True)
class MqttCounters:
    """Since start: MQTT publishes received, messages stored / repeated / refused, reconnects, sink failures."""

    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    invalid: int = 0
    reconnects: int = 0
    sink_failures: int = 0


class MqttIngest:
    """Subscribe, parse, batch into ``sink``; `start()` returns at once and keeps reconnecting until `stop()`."""

    def __init__(
        self, config: MqttConfig, sink: MessageSink, *, queue_size: int = 10_000, batch_max: int = 500
    ) -> None:
        self.config = config
        self.sink = sink
        self.batch_max = batch_max
        self.topic_root = config.topic_root.rstrip("/")
        self._queue: queue.Queue[_Received] = queue.Queue(maxsize=queue_size)
        self._counters = MqttCounters()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._subscribed = threading.Event()
        self._generation = 0
        self._connects = 0
        self._worker = threading.Thread(target=self._run_worker, name="mqtt-ingest", daemon=True)
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if config.username is not None:
            password = config.password.get_secret_value() if config.password is not None else None
            self._client.username_pw_set(config.username, password)
        self._client.reconnect_delay_set(1, max(1, math.ceil(config.reconnect_max_s)))
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Connect in the background (a broker that is down now is retried) and start the worker."""
        self._worker.start()
        self._client.connect_async(self.config.host, self.config.port, keepalive=self.config.keepalive_s)
        self._client.loop_start()
        log.info("MQTT: connecting to %s:%d for %s/#", self.config.host, self.config.port, self.topic_root)

    def stop(self, timeout: float = 10.0) -> None:
        """Disconnect, then store what was already received (it is redelivered next time and counted once)."""
        self._stopping.set()
        self._client.disconnect()
        self._client.loop_stop()
        self._generation += 1  # what the worker still stores is acknowledged by the redelivery, not now
        if self._worker.is_alive():
            self._worker.join(timeout)

    @property
    def connected(self) -> bool:
        return self._client.is_connected()

    def wait_subscribed(self, timeout: float) -> bool:
        """True once the broker has confirmed the subscription on the current connection."""
        return self._subscribed.wait(timeout)

    def counters(self) -> MqttCounters:
        with self._lock:
            return replace(self._counters)

    def _count(self, **increments: int) -> None:
        with self._lock:
            for name, amount in increments.items():
                setattr(self._counters, name, getattr(self._counters, name) + amount)

    # -- paho callbacks (network thread) ----------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: object, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            log.warning(
                "MQTT: broker %s:%d refused the connection: %s", self.config.host, self.config.port, reason_code
            )
            return
        self._generation += 1
        self._connects += 1
        if self._connects > 1:
            self._count(reconnects=1)
        log.info(
            "MQTT: connected to %s:%d (session kept by the broker: %s)",
            self.config.host,
            self.config.port,
            flags.session_present,
        )
        client.subscribe(f"{self.topic_root}/#", qos=self.config.qos)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: object, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        self._subscribed.clear()
        if not self._stopping.is_set():
            log.warning(
                "MQTT: lost the broker %s:%d (%s); reconnecting", self.config.host, self.config.port, reason_code
            )

    def _on_subscribe(
        self, client: mqtt.Client, userdata: object, mid: int, reason_codes: list[Any], properties: Any
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            log.error("MQTT: the broker refused the subscription to %s/#: %s", self.topic_root, reason_codes)
            return
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self._count(received=1)
        try:
            topic = message.topic
        except UnicodeDecodeError:  # paho raises here for a topic that is not UTF-8; it can never be stored
            log.warning("MQTT: invalid payload on a topic that is not UTF-8 text; dropped")
            self._count(invalid=1)
            if message.qos > 0:
                client.ack(message.mid, message.qos)
            return
        item = _Received(
            topic=topic,
            payload=bytes(message.payload),
            mid=message.mid,
            qos=message.qos,
            generation=self._generation,
            at=datetime.now(UTC),
        )
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                log.warning("MQTT: ingest queue full (%d); holding the broker back", self._queue.maxsize)
        # stopping: not acknowledged, so the broker redelivers it to the next session

    # -- worker ------------------------------------------------------------------------------
    def _run_worker(self) -> None:
        while not (self._stopping.is_set() and self._queue.empty()):
            try:
                first = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < self.batch_max:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._process(batch)
            except Exception:  # a bug must not end ingest; the batch stays unacknowledged and is redelivered
                log.exception("MQTT: could not process a batch of %d publishes", len(batch))

    def _process(self, batch: list[_Received]) -> None:
        messages: list[SensorMessage] = []
        invalid = 0
        for item in batch:
            parsed, errors = self._parse(item)
            messages.extend(parsed)
            if errors:
                invalid += len(errors)
                log.warning("MQTT: invalid payload on %s: %s", item.topic, "; ".join(errors[:5]))
        if messages:
            result = self._submit(messages, batch[0].at)
            if result is None:
                return  # stopping while the sink was failing: unacknowledged, so redelivered next time
            invalid += len(result.errors)
            if result.errors:
                log.warning(
                    "MQTT: the alarm service refused %d message(s): %s",
                    len(result.errors),
                    "; ".join(result.errors[:5]),
                )
            self._count(accepted=result.accepted, duplicates=result.duplicates)
        self._count(invalid=invalid)
        for item in batch:
            if item.qos > 0 and item.generation == self._generation:
                self._client.ack(item.mid, item.qos)

    def _submit(self, messages: list[SensorMessage], received_at: datetime) -> IngestResult | None:
        """Submit, retrying with backoff while the sink fails (a database restart); None if stopped meanwhile."""
        return retry_until_stopped(
            lambda: self.sink.submit(messages, received_at),
            self._stopping,
            log=log,
            what=f"MQTT: storing {len(messages)} message(s)",
            on_failure=lambda: self._count(sink_failures=1),
            max_delay_s=SINK_RETRY_MAX_S,
        )

    def _parse(self, item: _Received) -> tuple[list[SensorMessage], list[str]]:
        device_id = self.device_of(item.topic)
        if device_id is None:
            return [], [f"topic {item.topic!r} names no device: publish to {self.topic_root}/<device_id>"]
        messages, errors = parse_payload(item.payload, source=IngestSource.MQTT, default_device_id=device_id)
        if any(m.message_id is None for m in messages):
            digest = hashlib.sha1(item.topic.encode() + b"\n" + item.payload).hexdigest()
            messages = [
                m if m.message_id is not None else m.model_copy(update={"message_id": f"mqtt:{digest}:{index}"})
                for index, m in enumerate(messages)
            ]
        return messages, errors

    def device_of(self, topic: str) -> str | None:
        """The device id level of ``<root>/<device_id>[/...]``, or None for the root itself."""
        rest = topic[len(self.topic_root) + 1 :] if topic.startswith(self.topic_root + "/") else ""
        return rest.split("/", 1)[0] or None
