"""POST /api/alarms/ingest: sensor messages over HTTP (device, operator or admin keys).

The body is one message, a JSON array of them, or ``{"messages": [...]}``,
in the same format as MQTT payloads (`lanewatch.alarms.payloads`). Each
message is validated on its own: the good ones are stored even when others
are malformed (200, with the refusals listed), and only a body in which
nothing could be used is a 422. Refusals are worded in the request's language
(Chinese first; ``Accept-Language: en`` or the person's setting for English). The answer comes once the batch is
committed, so a 200 means stored. A key with an organisation delivers only
for devices registered inside its scope (it cannot raise another
enterprise's alarms, nor auto-register devices); the others are refused
like malformed items.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lanewatch.alarms.apply import check_message
from lanewatch.alarms.messages import IngestSource, SensorMessage
from lanewatch.alarms.payloads import item_problem, not_an_object, parse_payload
from lanewatch.api.deps import RuntimeDep, SessionDep, loads_strict
from lanewatch.api.errors import ApiError, language, responses
from lanewatch.api.permits import AlarmIngester
from lanewatch.store.tables import utcnow
from lanewatch.words import t

router = APIRouter(prefix="/alarms", tags=["alarm ingest"])


class IngestAnswer(BaseModel):
    accepted: int = Field(description="New messages stored and applied.")
    duplicates: int = Field(
        description="Messages whose message_id was seen before for that device (not applied again)."
    )
    errors: list[str] = Field(
        description="Refused items, as 'item <index>: <reason>' (消息[<index>]：<原因> in Chinese)."
    )


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """The schema with its ``$defs`` references replaced by their definitions (OpenAPI cannot see them)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def _message_schema() -> dict[str, Any]:
    schema = SensorMessage.model_json_schema()
    schema = _inline(schema, schema.get("$defs", {}))
    schema["properties"].pop("source", None)  # set by the ingest path, never by the sender
    schema["title"] = "Sensor message"
    return schema


_MESSAGE_SCHEMA = _message_schema()
_BODY_SCHEMA = {
    "oneOf": [
        _MESSAGE_SCHEMA,
        {"type": "array", "items": _MESSAGE_SCHEMA, "minItems": 1},
        {
            "type": "object",
            "properties": {"messages": {"type": "array", "items": _MESSAGE_SCHEMA, "minItems": 1}},
            "required": ["messages"],
            "additionalProperties": False,
        },
    ]
}


def _items(data: Any, lang: str) -> tuple[list[Any], list[str]]:
    """The message items of a body, or the reason it has none (the wrapper's own problems)."""
    if isinstance(data, dict) and "messages" in data:
        if set(data) != {"messages"} or not isinstance(data["messages"], list):
            return [], parse_payload(data, source=IngestSource.HTTP, lang=lang)[1]
        data = data["messages"]
    if isinstance(data, list):
        return (data, []) if data else ([], [t("alarms.ingest.empty_body", lang)])
    return [data], []


def parse_items(items: list[Any], lang: str | None = None) -> tuple[list[SensorMessage], list[str]]:
    """Each item parsed on its own, so a refusal names the item's index; refusals worded in `lang`."""
    usable: list[SensorMessage] = []
    errors: list[str] = []
    for index, item in enumerate(items):
        parsed, problems = (
            parse_payload(item, source=IngestSource.HTTP, lang=lang)
            if isinstance(item, dict)
            else ([], [not_an_object(item, lang)])
        )
        problem = t("alarms.payload.and", lang).join(problems) if problems else check_message(parsed[0], lang)
        if problem is None:
            usable.append(parsed[0])
        else:
            errors.append(item_problem(index, problem, lang) if len(items) > 1 else problem)
    return usable, errors


@router.post(
    "/ingest",
    response_model=IngestAnswer,
    summary="Deliver sensor messages",
    responses=responses(401, 403, 413, 422, 503),
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _BODY_SCHEMA}}}},
)
async def ingest(request: Request, runtime: RuntimeDep, session: SessionDep, caller: AlarmIngester) -> IngestAnswer:
    """Store readings, device alarms, clears, heartbeats, battery, tamper and operation messages."""
    received_at = utcnow()
    lang = language(request)
    devices = caller.scope.device_ids(session)  # None: any device (an unscoped key)
    session.close()  # the key check is done: hold no pooled connection while waiting for the group commit
    body = await request.body()
    try:
        data = loads_strict(body)
    except UnicodeDecodeError:
        raise ApiError(422, "api.ingest.not_utf8", problems=[t("alarms.ingest.not_utf8", lang)]) from None
    except json.JSONDecodeError as exc:
        problem = t("alarms.ingest.json_invalid", lang, error=exc.msg)
        raise ApiError(
            422, "api.ingest.json_invalid", problems=[problem], problem_kind="json_invalid", error=exc.msg
        ) from None
    items, errors = _items(data, lang)
    limit = runtime.alarms.settings.max_batch
    if len(items) > limit:
        raise ApiError(status.HTTP_413_CONTENT_TOO_LARGE, "api.ingest.too_many", count=len(items), limit=limit)
    usable, item_errors = parse_items(items, lang)
    errors += item_errors
    if devices is not None:
        outside = sorted({m.device_id for m in usable} - devices)
        errors += [t("alarms.ingest.outside", lang, device=d) for d in outside]
        usable = [m for m in usable if m.device_id in devices]
    if not usable:
        if len(errors) == 1:
            raise ApiError(422, "api.ingest.one_unusable", problems=errors, problem=errors[0])
        raise ApiError(422, "api.ingest.none_usable", problems=errors or ["no messages"], count=len(errors))
    result = await run_in_threadpool(runtime.alarms.submit, usable, received_at)
    return IngestAnswer(accepted=result.accepted, duplicates=result.duplicates, errors=errors + result.errors)
