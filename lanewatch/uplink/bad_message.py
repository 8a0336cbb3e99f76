"""The one error every part of the centre's apply step raises for a message it cannot apply.

Its own module so that the record path (`centre_apply`) and the heartbeat path (`heartbeat`) share it
without importing each other.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any


class BadMessage(ValueError):
    """A message that cannot be applied; its text is the dead letter's reason."""


def json_object(raw: bytes) -> dict[str, Any]:
    """The message's JSON object; `BadMessage` (the dead letter's reason) when it is not one."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadMessage(f"not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadMessage("not a JSON object")
    return body


def iso_time(value: Any, name: str) -> datetime:
    """`value` as a zone-aware time; `BadMessage` when it is not an ISO text or has no zone (whose clock
    would it be?)."""
    if not isinstance(value, str):
        raise BadMessage(f"{name} is not an ISO time: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadMessage(f"{name} is not an ISO time: {value!r}") from None
    if parsed.tzinfo is None:
        raise BadMessage(f"{name} has no time zone: {value!r}")
    return parsed
