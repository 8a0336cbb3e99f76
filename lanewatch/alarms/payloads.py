"""Turn a JSON body or MQTT payload into `SensorMessage` values, with one error per bad item.

HTTP and MQTT senders use the same format: one message object, a JSON array
of them, or ``{"messages": [...]}``. A sender batching hundreds of readings
must not lose the good ones because one is malformed, so every item is
validated on its own and the refusals come back as plain-words strings
next to the messages that passed, in the reader's language (``lang``; default the
deployment's, Chinese first): ``"消息[3]：value：应为数字"``, in English
``"item 3: value: Input should be a valid number"``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from lanewatch.alarms.messages import IngestSource, SensorMessage
from lanewatch.words import catalogue, default_language, normalize, t

MAX_MESSAGES_PER_PAYLOAD = 10_000
"""More items than this in one body/payload is refused as a whole (a sender bug, not a batch)."""

MAX_ERRORS_REPORTED = 50
"""Per-item errors beyond this are summarised in one line, so a broken batch cannot flood a response or a log."""


def parse_payload(
    data: bytes | object, *, source: IngestSource, default_device_id: str | None = None, lang: str | None = None
) -> tuple[list[SensorMessage], list[str]]:
    """Parse one payload into (valid messages in order, errors).

    ``data`` is raw bytes (JSON text) or an already decoded JSON value.
    ``source`` is stamped on every message: the ingest path says where a
    message came from, the sender never does (a ``source`` field sent by the
    sender is overwritten). ``default_device_id`` fills items that name no
    device (MQTT takes it from the topic). The errors are worded in `lang`.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            data = json.loads(bytes(data).decode("utf-8-sig"))  # JSON on the wire is UTF-8 (RFC 8259)
        except UnicodeDecodeError:
            return [], [t("alarms.payload.not_utf8", lang)]
        except json.JSONDecodeError as exc:
            return [], [t("alarms.payload.json_invalid", lang, error=exc.msg, line=exc.lineno, column=exc.colno)]
    items, problem = _items_of(data, lang)
    if problem:
        return [], [problem]
    messages: list[SensorMessage] = []
    errors: list[str] = []
    for index, item in enumerate(items):
        message, error = _parse_item(item, source=source, default_device_id=default_device_id, lang=lang)
        if message is not None:
            messages.append(message)
        elif len(errors) < MAX_ERRORS_REPORTED:
            reason = error or t("alarms.payload.invalid", lang)
            errors.append(item_problem(index, reason, lang) if len(items) > 1 else reason)
        elif len(errors) == MAX_ERRORS_REPORTED:
            errors.append(t("alarms.payload.more", lang))
    return messages, errors


def item_problem(index: int, problem: str, lang: str | None) -> str:
    """A refusal that names the item of a batch it is about ("item 3: ...")."""
    return t("alarms.payload.item", lang, index=index, problem=problem)


def not_an_object(item: Any, lang: str | None) -> str:
    return t("alarms.payload.not_object", lang, type=type(item).__name__)


def _items_of(data: Any, lang: str | None) -> tuple[list[Any], str | None]:
    """The list of message items of a decoded payload, or a reason it has none."""
    if isinstance(data, dict) and "messages" in data:
        extra = sorted(set(data) - {"messages"})
        if extra:
            return [], t("alarms.payload.extra_keys", lang, keys=", ".join(extra))
        data = data["messages"]
        if not isinstance(data, list):
            return [], t("alarms.payload.messages_not_list", lang)
    if isinstance(data, dict):
        return [data], None
    if not isinstance(data, list):
        return [], t("alarms.payload.shape", lang)
    if not data:
        return [], t("alarms.payload.empty", lang)
    if len(data) > MAX_MESSAGES_PER_PAYLOAD:
        return [], t("alarms.payload.too_many", lang, count=len(data), max=MAX_MESSAGES_PER_PAYLOAD)
    return data, None


def _parse_item(
    item: Any, *, source: IngestSource, default_device_id: str | None, lang: str | None
) -> tuple[SensorMessage | None, str | None]:
    if not isinstance(item, dict):
        return None, not_an_object(item, lang)
    fields = dict(item)
    fields["source"] = source
    if default_device_id is not None and fields.get("device_id") is None:
        fields["device_id"] = default_device_id
    try:
        return SensorMessage.model_validate(fields), None
    except ValidationError as exc:
        return None, t("alarms.payload.and", lang).join(_describe(error, lang) for error in exc.errors())


def _describe(error: ErrorDetails, lang: str | None) -> str:
    """One field's problem: pydantic's sentence, worded by its kind where the catalogues know it."""
    key = f"alarms.field.{error['type']}"
    words = catalogue(normalize(lang) or default_language())
    problem = t(key, lang, **(error.get("ctx") or {})) if key in words else error["msg"]
    where = ".".join(str(part) for part in error["loc"])
    return t("alarms.payload.field", lang, field=where, problem=problem) if where else problem
