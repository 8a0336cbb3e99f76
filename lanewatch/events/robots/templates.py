"""Message texts of new violations, fire alarms and moved cameras, from editable ``str.format`` templates.

The default templates, titles and names (classes, alarm types, severities) are words of the
catalogues in the deployment's language (config `language`, zh-CN first); times are shown in the
deployment's time zone (config `time_zone`, Asia/Shanghai by default), durations as 分/秒.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from lanewatch.events.links import LinkSigner
from lanewatch.words import name, t, time_zone

TEMPLATE_FIELDS: dict[str, tuple[str, ...]] = {
    "violation.new": (
        "id",
        "camera",
        "camera_name",
        "zone",
        "zone_name",
        "label",
        "start",
        "duration",
        "snapshot_url",
    ),
    "alarm.new": (
        "id",
        "device_id",
        "device_name",
        "alarm_type",
        "severity",
        "enterprise",
        "building",
        "location",
        "received",
        "detail",
    ),
    "camera.moved": ("camera", "camera_name", "at", "shift", "editor_url"),
}
SAMPLE_FIELDS: dict[str, dict[str, str]] = {e: dict.fromkeys(fields, "x") for e, fields in TEMPLATE_FIELDS.items()}


class _Words(Mapping[str, str]):
    """Event type → its words (notify.<kind>.<event>), looked up when used so the configured language applies."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __getitem__(self, event: str) -> str:
        if event not in TEMPLATE_FIELDS:
            raise KeyError(event)
        return t(f"notify.{self.kind}.{event}")

    def __iter__(self) -> Iterator[str]:
        return iter(TEMPLATE_FIELDS)

    def __len__(self) -> int:
        return len(TEMPLATE_FIELDS)


DEFAULT_TEMPLATES: Mapping[str, str] = _Words("template")
TITLES: Mapping[str, str] = _Words("title")


def local_time(iso: str | None) -> str:
    """``2026-06-01 17:00:00`` in the deployment's time zone from an ISO time with offset; empty when unknown."""
    if not iso:
        return ""
    at = datetime.fromisoformat(iso)
    if at.tzinfo is None:
        raise ValueError(f"time without a timezone: {iso!r}")
    return at.astimezone(time_zone()).strftime("%Y-%m-%d %H:%M:%S")


def duration_text(seconds: float, lang: str | None = None) -> str:
    """``45秒``, ``3分05秒``, ``1小时02分`` (``45 s``, ``3 min 05 s`` in English)."""
    s = max(0, round(seconds))
    if s < 60:
        return t("notify.duration.seconds", lang, s=s)
    if s < 3600:
        return t("notify.duration.minutes", lang, m=s // 60, s=f"{s % 60:02d}")
    return t("notify.duration.hours", lang, h=s // 3600, m=f"{s % 3600 // 60:02d}")


def snapshot_url(public_url: str | None, violation_id: str, links: LinkSigner | None = None) -> str:
    """The annotated evidence picture, or '' without a public address.

    With `links` a signed link that opens without signing in until it expires (the people in a
    chat group have no account); without, the API's picture, which needs a sign-in.
    """
    if not public_url:
        return ""
    if links is not None:
        return public_url + links.snapshot_path(violation_id)
    return f"{public_url}/api/violations/{quote(violation_id, safe='')}/snapshot.jpg?annotated=1"


SHIFT = re.compile(r"shifted by (\d+)%")
"""The estimate in a ``moved`` health event's detail (`lanewatch.video.picture_health`)."""


def shift_text(detail: str | None, lang: str | None = None) -> str:
    """``估计偏移约为画面宽度的12%。`` from the health detail; empty when it has no estimate."""
    found = SHIFT.search(detail or "")
    return t("notify.shift", lang, pct=found.group(1)) if found else ""


def editor_url(public_url: str | None, camera: str) -> str:
    """The zone editor opened on this camera (it reads ``?camera=``), or '' without a public address."""
    return f"{public_url}/editor?camera={quote(camera, safe='')}" if public_url else ""


def moved_fields(payload: dict[str, Any], *, public_url: str | None, camera_name: str | None) -> dict[str, str]:
    """Placeholders of a ``camera.moved`` health event (``camera``, ``at``, ``detail`` at the top level)."""
    camera = payload["camera"]
    return {
        "camera": camera,
        "camera_name": camera_name or camera,
        "at": local_time(payload.get("at")),
        "shift": shift_text(payload.get("detail")),
        "editor_url": editor_url(public_url, camera),
    }


def fields(
    event_type: str,
    payload: dict[str, Any],
    *,
    public_url: str | None,
    camera_name: str | None,
    links: LinkSigner | None = None,
) -> dict[str, str]:
    """The template placeholders of one event payload (as the outbox stored it)."""
    if event_type == "camera.moved":
        return moved_fields(payload, public_url=public_url, camera_name=camera_name)
    after = payload["after"]
    if event_type == "violation.new":
        return {
            "id": after["id"],
            "camera": after["camera"],
            "camera_name": camera_name or after["camera"],
            "zone": after["zone"],
            "zone_name": after.get("zone_name") or after["zone"],
            "label": name("label", after.get("label")),
            "start": local_time(after.get("started_at")),
            "duration": duration_text(after.get("dwell_s") or 0.0),
            "snapshot_url": snapshot_url(public_url, after["id"], links) if after.get("snapshot") else "",
        }
    if event_type == "alarm.new":
        return {
            "id": after["id"],
            "device_id": after["device_id"],
            "device_name": after.get("device_name") or after["device_id"],
            "alarm_type": name("alarm_type", after["alarm_type"]),
            "severity": name("severity", after.get("severity")),
            "enterprise": after.get("enterprise") or "",
            "building": after.get("building") or "",
            "location": after.get("location") or "",
            "received": local_time(after.get("received_at")),
            "detail": after.get("detail") or "",
        }
    raise ValueError(f"no message template for {event_type!r}")


def render(template: str, values: dict[str, str]) -> str:
    """The filled template, runs of spaces left by empty fields collapsed."""
    text = template.format_map(values)
    return "\n".join(" ".join(line.split()) for line in text.splitlines())
