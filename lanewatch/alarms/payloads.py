"""Turn a JSON body or MQTT payload into `SensorMessage` values, with one error per bad item.

HTTP and MQTT senders use the same format: one message object, a JSON array
of them, or ``{"messages": [...]}``. A sender batching hundreds of readings
must not lose the good ones because one is malformed, so every item is
validated on its own and the refusals come back as plain-words strings
(``"item 3: value: Input should be a valid number"``) next to the messages
that passed.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from lanewatch.alarms.messages import IngestSource, SensorMessage

MAX_MESSAGES_PER_PAYLOAD = 10_000
"""More items than this in one body/payload is refused as a whole (a sender bug, not a batch)."""

MAX_ERRORS_REPORTED = 50
"""Per-item errors beyond this are summarised in one line, so a broken batch cannot flood a response or a log."""


def parse_payload(
    data: bytes | object, *, source: IngestSource, default_device_id: str | None = None
) -> tuple[list[SensorMessage], list[str]]:
    """Parse one payload into (valid messages in order, errors).

    ``data`` is raw bytes (JSON text) or an already decoded JSON value.
    ``source`` is stamped on every message: the ingest path says where a
    message came from, the sender never does (a ``source`` field sent by the
    sender is overwritten). ``default_device_id`` fills items that name no
    device (MQTT takes it from the topic).
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            data = json.loads(bytes(data).decode("utf-8-sig"))  # JSON on the wire is UTF-8 (RFC 8259)
        except UnicodeDecodeError:
            return [], ["payload is not UTF-8 text"]
        except json.JSONDecodeError as exc:
            return [], [f"payload is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
    items, problem = _items_of(data)
    if problem:
        return [], [problem]
    messages: list[SensorMessage] = []
    errors: list[str] = []
    for index, item in enumerate(items):
        message, error = _parse_item(item, source=source, default_device_id=default_device_id)
        if message is not None:
            messages.append(message)
        elif len(errors) < MAX_ERRORS_REPORTED:
            reason = error or "invalid message"
            errors.append(f"item {index}: {reason}" if len(items) > 1 else reason)
        elif len(errors) == MAX_ERRORS_REPORTED:
            errors.append("more invalid items not listed")
    return messages, errors


def _items_of(data: Any) -> tuple[list[Any], str | None]:
    """The list of message items of a decoded payload, or a reason it has none."""
    if isinstance(data, dict) and "messages" in data:
        extra = sorted(set(data) - {"messages"})
        if extra:
            return [], f"unexpected key(s) next to 'messages': {', '.join(extra)}"
        data = data["messages"]
        if not isinstance(data, list):
            return [], "'messages' must be a JSON array of message objects"
    if isinstance(data, dict):
        return [data], None
    if not isinstance(data, list):
        return [], 'expected a message object, a JSON array of them, or {"messages": [...]}'
    if not data:
        return [], "no messages in the payload (empty array)"
    if len(data) > MAX_MESSAGES_PER_PAYLOAD:
        return [], f"too many messages in one payload: {len(data)} (at most {MAX_MESSAGES_PER_PAYLOAD})"
    return data, None


def _parse_item(
    item: Any, *, source: IngestSource, default_device_id: str | None
) -> tuple[SensorMessage | None, str | None]:
    if not isinstance(item, dict):
        return None, f"expected a message object, got {type(item).__name__}"
    fields = dict(item)
    fields["source"] = source
    if default_device_id is not None and fields.get("device_id") is None:
        fields["device_id"] = default_device_id
    try:
        return SensorMessage.model_validate(fields), None
    except ValidationError as exc:
        return None, "; ".join(_describe(error) for error in exc.errors())


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]
