"""MQTT ingest through a real Mosquitto on 127.0.0.1 (Debian `mosquitto`), into a recording sink."""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from lanewatch.alarms.messages import AlarmType, IngestSource, MessageKind, Quantity
from lanewatch.alarms.mqtt_ingest import MqttIngest
from lanewatch.config import MqttConfig
from tests.support.mosquitto import Mosquitto
from tests.support.recording_sink import RecordingSink
from tests.support.serve import wait_for

pytestmark = pytest.mark.mqtt

ROOT = "site/alarms"
_client_ids = itertools.count(1)


class Publisher:
    """A plain paho client, as a sensor gateway would be."""

    def __init__(self, broker: Mosquitto) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"gateway-{next(_client_ids)}")
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def send(self, topic: str, payload, qos: int = 1) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.client.publish(topic, data, qos=qos).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker):
    pub = Publisher(broker)
    yield pub
    pub.close()


def start_ingest(broker: Mosquitto, sink, client_id: str | None = None, **options) -> MqttIngest:
    config = MqttConfig(
        enabled=True,
        host=broker.host,
        port=broker.port,
        topic_root=ROOT,
        client_id=client_id or f"lanewatch-test-{next(_client_ids)}",
        reconnect_max_s=1,
    )
    ingest = MqttIngest(config, sink, **options)
    ingest.start()
    assert ingest.wait_subscribed(5), f"never subscribed:\n{broker.log_tail()}"
    return ingest


@pytest.fixture
def sink():
    return RecordingSink()


@pytest.fixture
def ingest(broker, sink):
    running = start_ingest(broker, sink)
    yield running
    running.stop()


def arrived(sink: RecordingSink, count: int, timeout: float = 5.0):
    return wait_for(lambda: len(sink.stored()) >= count or None, timeout) and sink.stored()


def test_each_kind_arrives_with_the_device_from_the_topic(ingest, publisher, sink):
    at = "2025-03-01T08:00:00+08:00"
    sent = [
        ("elec-1", {"kind": "reading", "quantity": "residual_current_ma", "value": 412.5, "device_time": at}),
        ("elec-1/status", {"kind": "alarm", "alarm_type": "residual_current", "device_time": at}),
        ("elec-1", {"kind": "clear", "alarm_type": "residual_current"}),
        ("smoke-7", {"kind": "heartbeat", "device_type": "smoke_detector"}),
        ("smoke-7", {"kind": "battery", "value": 18}),
        ("smoke-7", {"kind": "tamper", "test": True}),
        ("panel-2", {"kind": "operation", "detail": "reset by site staff"}),
        ("smoke-7", {"device_id": "smoke-8", "kind": "alarm", "alarm_type": "fire"}),
    ]
    for topic, payload in sent:
        publisher.send(f"{ROOT}/{topic}", payload)
    got = arrived(sink, len(sent))
    assert got, f"only {len(sink.stored())} of {len(sent)} arrived"
    assert [(m.device_id, m.kind) for m in got] == [
        ("elec-1", MessageKind.READING),
        ("elec-1", MessageKind.ALARM),
        ("elec-1", MessageKind.CLEAR),
        ("smoke-7", MessageKind.HEARTBEAT),
        ("smoke-7", MessageKind.BATTERY),
        ("smoke-7", MessageKind.TAMPER),
        ("panel-2", MessageKind.OPERATION),
        ("smoke-8", MessageKind.ALARM),
    ]
    reading = got[0]
    assert reading.quantity is Quantity.RESIDUAL_CURRENT_MA and reading.value == 412.5
    assert reading.device_time == datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
    assert got[1].alarm_type is AlarmType.RESIDUAL_CURRENT
    assert got[5].test is True and got[6].detail == "reset by site staff"
    assert all(m.source is IngestSource.MQTT and m.message_id for m in got)
    assert len({m.message_id for m in got}) == len(got)
    counters = ingest.counters()
    assert (counters.received, counters.accepted, counters.invalid) == (len(sent), len(sent), 0)


def test_array_and_messages_object_payloads(ingest, publisher, sink):
    readings = [{"kind": "reading", "quantity": "pressure_mpa", "value": v} for v in (0.31, 0.29, 0.12)]
    publisher.send(f"{ROOT}/hydrant-4", readings)
    publisher.send(
        f"{ROOT}/gw-1",
        {
            "messages": [
                {"device_id": "gas-1", "kind": "heartbeat"},
                {"device_id": "gas-2", "kind": "alarm", "alarm_type": "gas_leak", "message_id": "gas-2-0001"},
            ]
        },
    )
    got = arrived(sink, 5)
    assert got, f"only {len(sink.stored())} of 5 arrived"
    assert [(m.device_id, m.value) for m in got[:3]] == [("hydrant-4", 0.31), ("hydrant-4", 0.29), ("hydrant-4", 0.12)]
    assert len({m.message_id for m in got[:3]}) == 3, "items of one payload need their own ids"
    assert [m.device_id for m in got[3:]] == ["gas-1", "gas-2"]
    assert got[4].message_id == "gas-2-0001", "the sender's id is kept"


def test_invalid_payloads_are_counted_and_the_client_keeps_going(ingest, publisher, sink):
    publisher.send(f"{ROOT}/elec-1", b"{not json")
    publisher.send(f"{ROOT}/elec-1", {"kind": "reading", "quantity": "residual_current_ma", "value": "lots"})
    publisher.send(f"{ROOT}/elec-1", {"kind": "exploded"})
    publisher.send(ROOT, {"kind": "heartbeat"})  # the root itself names no device
    publisher.send(f"{ROOT}/bad device", {"kind": "heartbeat"})  # not a valid device id
    publisher.send(f"{ROOT}/elec-1", [{"kind": "heartbeat"}, {"kind": "battery", "value": None, "junk": 1}])
    publisher.send(f"{ROOT}/elec-1", {"kind": "heartbeat", "detail": "after the bad ones"})
    got = arrived(sink, 2)
    assert got and [m.detail for m in got] == [None, "after the bad ones"]
    assert wait_for(lambda: ingest.counters().invalid == 6, 3), ingest.counters()
    assert ingest.connected and ingest.counters().received == 7


def test_broker_restart_reconnects_resubscribes_and_later_messages_arrive(broker, ingest, sink):
    with_publisher = Publisher(broker)
    with_publisher.send(f"{ROOT}/smoke-1", {"kind": "heartbeat", "message_id": "before"})
    assert arrived(sink, 1)
    with_publisher.close()

    broker.restart()  # no persistence: the broker forgets the session and the subscription
    assert wait_for(lambda: ingest.counters().reconnects >= 1, 6), broker.log_tail()
    assert ingest.wait_subscribed(5) and ingest.connected

    after = Publisher(broker)
    after.send(f"{ROOT}/smoke-1", {"kind": "alarm", "alarm_type": "fire", "message_id": "after"})
    after.close()
    got = arrived(sink, 2)
    assert got and [m.message_id for m in got] == ["before", "after"]


def test_a_repeated_payload_carries_the_same_message_id(ingest, publisher, sink):
    payload = {"kind": "alarm", "alarm_type": "fire", "device_time": "2025-03-01T08:00:00+08:00"}
    publisher.send(f"{ROOT}/smoke-3", payload)
    publisher.send(f"{ROOT}/smoke-3", payload)
    publisher.send(f"{ROOT}/smoke-3", {**payload, "device_time": "2025-03-01T08:00:05+08:00"})
    assert wait_for(lambda: len(sink.stored()) + len(sink.duplicates) >= 3, 5)
    first, later = sink.stored()
    assert [d.message_id for d in sink.duplicates] == [first.message_id]
    assert later.message_id != first.message_id
    assert wait_for(lambda: ingest.counters().duplicates == 1, 2)


def test_messages_sent_while_lanewatch_is_away_are_delivered_on_return(broker, publisher):
    first = RecordingSink()
    away = start_ingest(broker, first, client_id="lanewatch-persistent")
    away.stop()
    publisher.send(f"{ROOT}/smoke-5", {"kind": "alarm", "alarm_type": "fire", "message_id": "while-away"})

    second = RecordingSink()
    back = start_ingest(broker, second, client_id="lanewatch-persistent")
    try:
        got = arrived(second, 1)
        assert got and got[0].message_id == "while-away"
    finally:
        back.stop()


class FailingSink(RecordingSink):
    """Raises (a database that is down) until ``healthy`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.healthy = threading.Event()
        self.failures = 0

    def submit(self, messages, received_at):
        if not self.healthy.is_set():
            self.failures += 1
            raise RuntimeError("database is down")
        return super().submit(messages, received_at)


def test_a_failing_store_is_retried_and_unstored_messages_are_redelivered(broker, publisher):
    sink = FailingSink()
    ingest = start_ingest(broker, sink, client_id="lanewatch-failing")
    publisher.send(f"{ROOT}/smoke-6", {"kind": "alarm", "alarm_type": "fire", "message_id": "fire-1"})
    assert wait_for(lambda: sink.failures >= 1, 3)
    ingest.stop()  # never stored, so never acknowledged: the broker keeps it for this client id
    assert sink.stored() == []

    sink.healthy.set()
    again = start_ingest(broker, sink, client_id="lanewatch-failing")
    try:
        got = arrived(sink, 1)
        assert got and got[0].message_id == "fire-1"

        sink.healthy.clear()
        publisher.send(f"{ROOT}/smoke-6", {"kind": "clear", "alarm_type": "fire", "message_id": "clear-1"})
        assert wait_for(lambda: again.counters().sink_failures >= 1, 3)
        sink.healthy.set()  # the store comes back while running: the retry stores it
        assert arrived(sink, 2) and sink.stored()[1].message_id == "clear-1"
    finally:
        again.stop()


class SlowSink(RecordingSink):
    def submit(self, messages, received_at):
        time.sleep(0.02)
        return super().submit(messages, received_at)


def test_a_slow_store_gets_batches_and_nothing_is_lost(broker, publisher):
    sink = SlowSink()
    ingest = start_ingest(broker, sink, queue_size=5)
    try:
        for n in range(300):
            publisher.client.publish(
                f"{ROOT}/elec-{n % 7}", json.dumps({"kind": "heartbeat", "message_id": f"m{n}"}), qos=1
            )
        got = arrived(sink, 300, timeout=8)
        assert got, f"{len(sink.stored())} of 300 stored; counters {ingest.counters()}"
        assert sorted(int(m.message_id[1:]) for m in got) == list(range(300))
        assert len(sink.batches) < 150, "a slow store should receive batches, not one call per message"
    finally:
        ingest.stop()
