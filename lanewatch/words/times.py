"""Times as people read them: in the deployment's time zone (config `time_zone`, default Asia/Shanghai),
with the offset shown, never bare UTC. Used by evidence stamps, reports, CSV and notifications."""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Asia/Shanghai"

_zone: tzinfo = ZoneInfo(DEFAULT_TIME_ZONE)


class UnknownTimeZone(ValueError):
    """A time zone name the system's IANA database does not know."""


def time_zone_named(name: str) -> ZoneInfo:
    """The zone of an IANA name ("Asia/Shanghai", "UTC"), or UnknownTimeZone saying what to write instead."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise UnknownTimeZone(
            f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai, Asia/Urumqi or UTC"
        ) from None


def set_time_zone(name: str) -> None:
    """The deployment's time zone (config `time_zone`), for every time shown to a person."""
    global _zone
    _zone = time_zone_named(name)


def time_zone() -> tzinfo:
    return _zone


def local(at: datetime, zone: tzinfo | None = None) -> datetime:
    """`at` (timezone-aware) in the deployment's zone; a naive time is refused rather than guessed."""
    if at.tzinfo is None:
        raise ValueError(f"time without a time zone: {at.isoformat()}")
    return at.astimezone(zone or _zone)


def local_text(at: datetime | None, zone: tzinfo | None = None) -> str:
    """``2026-06-01 16:00:00 +08:00``: the wall clock of the deployment with its offset ('' when unknown)."""
    if at is None:
        return ""
    shown = local(at, zone)
    offset = shown.strftime("%z")
    return f"{shown.strftime('%Y-%m-%d %H:%M:%S')} {offset[:3]}:{offset[3:]}"


def local_iso(iso: str | None, zone: tzinfo | None = None) -> str:
    """`local_text` of an ISO 8601 time with an offset (as events and the API carry them)."""
    if not iso:
        return ""
    return local_text(datetime.fromisoformat(iso), zone)
