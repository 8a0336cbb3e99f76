"""The shared JSON payload format of HTTP and MQTT ingest: one object, an array, or {"messages": [...]}."""

from __future__ import annotations

import pytest

from lanewatch.alarms.messages import IngestSource, MessageKind
from lanewatch.alarms.payloads import MAX_ERRORS_REPORTED, MAX_MESSAGES_PER_PAYLOAD, parse_payload

HEARTBEAT = {"device_id": "smoke-1", "kind": "heartbeat"}


@pytest.mark.parametrize(
    "data, device_ids",
    [
        (b'{"device_id": "smoke-1", "kind": "heartbeat"}', ["smoke-1"]),
        ([HEARTBEAT, {**HEARTBEAT, "device_id": "smoke-2"}], ["smoke-1", "smoke-2"]),
        ({"messages": [HEARTBEAT]}, ["smoke-1"]),
        (b'[{"kind": "heartbeat"}]', ["from-topic"]),
        (b'{"kind": "heartbeat", "device_id": null}', ["from-topic"]),
    ],
)
def test_accepted_shapes(data, device_ids):
    messages, errors = parse_payload(data, source=IngestSource.MQTT, default_device_id="from-topic")
    assert errors == []
    assert [m.device_id for m in messages] == device_ids
    assert all(m.source is IngestSource.MQTT and m.kind is MessageKind.HEARTBEAT for m in messages)


@pytest.mark.parametrize(
    "data, error",
    [
        (b"{nope", "payload is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        (b"\xff\xfe", "payload is not UTF-8 text"),
        (b"42", 'expected a message object, a JSON array of them, or {"messages": [...]}'),
        (b"[]", "no messages in the payload (empty array)"),
        ({"messages": {"kind": "heartbeat"}}, "'messages' must be a JSON array of message objects"),
        ({"messages": [HEARTBEAT], "gateway": "g1"}, "unexpected key(s) next to 'messages': gateway"),
        ({"kind": "heartbeat"}, "device_id: Field required"),
        ({**HEARTBEAT, "value": "NaN"}, "value: Input should be a finite number"),
        ({**HEARTBEAT, "colour": "red"}, "colour: Extra inputs are not permitted"),
        ({**HEARTBEAT, "device_time": "2025-03-01T08:00:00"}, "device_time: Input should have timezone info"),
        (
            [HEARTBEAT] * (MAX_MESSAGES_PER_PAYLOAD + 1),
            f"too many messages in one payload: {MAX_MESSAGES_PER_PAYLOAD + 1}",
        ),
    ],
)
def test_refusals_say_why(data, error):
    messages, errors = parse_payload(data, source=IngestSource.HTTP, lang="en")
    assert messages == []
    assert len(errors) == 1 and errors[0].startswith(error), errors


def test_a_bad_item_does_not_cost_the_good_ones():
    messages, errors = parse_payload(
        [HEARTBEAT, {"kind": "boom"}, "text", {**HEARTBEAT, "device_id": "smoke-9"}],
        source=IngestSource.HTTP,
        lang="en",
    )
    assert [m.device_id for m in messages] == ["smoke-1", "smoke-9"]
    assert errors[0].startswith("item 1: device_id: Field required; kind: Input should be")
    assert errors[1] == "item 2: expected a message object, got str"


def test_the_sender_cannot_choose_the_source():
    messages, _ = parse_payload({**HEARTBEAT, "source": "gb26875"}, source=IngestSource.HTTP)
    assert messages[0].source is IngestSource.HTTP


def test_a_flood_of_bad_items_is_summarised():
    _, errors = parse_payload([{"kind": "x"}] * 500, source=IngestSource.HTTP, lang="en")
    assert len(errors) == MAX_ERRORS_REPORTED + 1 and errors[-1] == "more invalid items not listed"
