"""On-site warning: the lane's IP speaker is called while a violation lasts (see `SpeakerTarget`).

This module is pure: which call is due (`due_call`), whether it is quiet (`is_quiet`), and the
HTTP request a target's templates make (`build_request`). Calling, logging and restarts are
`lanewatch.store.speaker_warnings`'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from lanewatch.events.robots.templates import duration_text, local_time
from lanewatch.events.speaker.settings import SpeakerTarget, SpeakerTargets
from lanewatch.words import name

__all__ = ["SpeakerRequest", "SpeakerTarget", "SpeakerTargets", "build_request", "due_call", "is_quiet", "values"]


@dataclass(frozen=True, slots=True)
class SpeakerRequest:
    """One HTTP request to a speaker."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


def due_call(target: SpeakerTarget, violation_at: datetime, now: datetime) -> int | None:
    """The number of the call whose time has come at `now` (1: at `after_s`, 2: `repeat_s` later, ...).

    None before the first. Calls missed (quiet hours, a stopped service) are not made up: only the
    latest due number counts, so a restart never plays a burst of clips.
    """
    lasted = (now - violation_at).total_seconds()
    if lasted < target.after_s:
        return None
    return int((lasted - target.after_s) // target.repeat_s) + 1


def call_time(target: SpeakerTarget, violation_at: datetime, call: int) -> datetime:
    """When call number `call` is due."""
    return violation_at + timedelta(seconds=target.after_s + (call - 1) * target.repeat_s)


def is_quiet(target: SpeakerTarget, now: datetime, zone: tzinfo) -> bool:
    """Whether `now` (aware) falls in one of the target's quiet windows, read in the deployment's time zone."""
    local = now.astimezone(zone).time().replace(tzinfo=None)
    return any(_inside(local, start, end) for start, end in target.windows())


def _inside(at: time, start: time, end: time) -> bool:
    return start <= at < end if start < end else at >= start or at < end


def values(
    target: SpeakerTarget, violation: dict[str, Any], *, camera_name: str | None, call: int, lasted_s: float
) -> dict[str, str]:
    """The placeholders for one call; `violation` has the keys of a violation row (id, camera, zone, ...)."""
    started = violation.get("violation_at")
    return {
        "id": violation["id"],
        "camera": violation["camera"],
        "camera_name": camera_name or violation["camera"],
        "zone": violation["zone"],
        "zone_name": violation.get("zone_name") or violation["zone"],
        "label": name("label", violation.get("label")),
        "start": local_time(started.isoformat()) if isinstance(started, datetime) else "",
        "duration": duration_text(lasted_s),
        "duration_s": str(max(0, round(lasted_s))),
        "call": str(call),
        "clip": target.clip,
        "target": target.name,
    }


def _fill(value: Any, fields: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format_map(fields)
    if isinstance(value, dict):
        return {k: _fill(v, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, fields) for v in value]
    return value


def build_request(target: SpeakerTarget, fields: dict[str, str]) -> SpeakerRequest:
    """The target's request with `fields` filled in: URL-encoded in the URL, XML-escaped in an XML body."""
    url = target.url.format_map({k: quote(v, safe="") for k, v in fields.items()})
    headers = {k: v.format_map(fields) for k, v in target.headers.items()}
    body: bytes | None = None
    if target.json_body is not None:
        body = json.dumps(_fill(target.json_body, fields), ensure_ascii=False, separators=(",", ":")).encode()
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
    elif target.body is not None:
        escaped = {k: escape(v) for k, v in fields.items()} if target.body_escape == "xml" else fields
        body = target.body.format_map(escaped).encode()
    return SpeakerRequest(method=target.method, url=url, headers=headers, body=body)
