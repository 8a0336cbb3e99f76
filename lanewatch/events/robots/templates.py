"""Chinese message texts of new violations and fire alarms, from editable ``str.format`` templates.

Times are shown in Asia/Shanghai (the district's wall clock), durations as 分/秒.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

DEFAULT_TEMPLATES: dict[str, str] = {
    "violation.new": "消防通道占用：{camera_name} {zone_name}，开始于 {start}，已持续 {duration}。证据：{snapshot_url}",
    "alarm.new": "火警：{enterprise} {building} {location} {device_name}（{alarm_type}），报警时间 {received}。{detail}",
}
TITLES = {"violation.new": "消防通道占用", "alarm.new": "火警"}

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
}
SAMPLE_FIELDS: dict[str, dict[str, str]] = {e: dict.fromkeys(fields, "x") for e, fields in TEMPLATE_FIELDS.items()}

LABELS = {
    "car": "小汽车",
    "truck": "货车",
    "bus": "客车",
    "motorcycle": "摩托车",
    "bicycle": "自行车",
    "person": "人员",
}
ALARM_TYPES = {
    "fire": "火灾报警",
    "gas_leak": "燃气泄漏",
    "residual_current": "剩余电流超限",
    "cable_temperature": "线缆温度超限",
    "heat_rise": "温升过快",
    "fault": "故障",
    "power_fault": "电源故障",
    "supervisory": "监管",
    "shield": "屏蔽",
    "pressure_low": "水压过低",
    "pressure_high": "水压过高",
    "level_low": "水位过低",
    "level_high": "水位过高",
    "low_battery": "电量低",
    "tamper": "防拆",
    "offline": "离线",
}
SEVERITIES = {"critical": "紧急", "high": "高", "medium": "中", "low": "低"}


def shanghai_time(iso: str | None) -> str:
    """``2026-06-01 17:00:00`` (Asia/Shanghai) from an ISO time with offset; empty when unknown."""
    if not iso:
        return ""
    t = datetime.fromisoformat(iso)
    if t.tzinfo is None:
        raise ValueError(f"time without a timezone: {iso!r}")
    return t.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def chinese_duration(seconds: float) -> str:
    """``45秒``, ``3分05秒``, ``1小时02分``."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}秒"
    if s < 3600:
        return f"{s // 60}分{s % 60:02d}秒"
    return f"{s // 3600}小时{s % 3600 // 60:02d}分"


def snapshot_url(public_url: str | None, violation_id: str) -> str:
    """The annotated evidence picture of the API (viewers sign in), or '' without a public address."""
    if not public_url:
        return ""
    return f"{public_url}/api/violations/{quote(violation_id, safe='')}/snapshot.jpg?annotated=1"


def fields(
    event_type: str, payload: dict[str, Any], *, public_url: str | None, camera_name: str | None
) -> dict[str, str]:
    """The template placeholders of one event payload (as the outbox stored it)."""
    after = payload["after"]
    if event_type == "violation.new":
        return {
            "id": after["id"],
            "camera": after["camera"],
            "camera_name": camera_name or after["camera"],
            "zone": after["zone"],
            "zone_name": after.get("zone_name") or after["zone"],
            "label": LABELS.get(after.get("label") or "", after.get("label") or ""),
            "start": shanghai_time(after.get("started_at")),
            "duration": chinese_duration(after.get("dwell_s") or 0.0),
            "snapshot_url": snapshot_url(public_url, after["id"]) if after.get("snapshot") else "",
        }
    if event_type == "alarm.new":
        return {
            "id": after["id"],
            "device_id": after["device_id"],
            "device_name": after.get("device_name") or after["device_id"],
            "alarm_type": ALARM_TYPES.get(after["alarm_type"], after["alarm_type"]),
            "severity": SEVERITIES.get(after.get("severity") or "", after.get("severity") or ""),
            "enterprise": after.get("enterprise") or "",
            "building": after.get("building") or "",
            "location": after.get("location") or "",
            "received": shanghai_time(after.get("received_at")),
            "detail": after.get("detail") or "",
        }
    raise ValueError(f"no message template for {event_type!r}")


def render(template: str, values: dict[str, str]) -> str:
    """The filled template, runs of spaces left by empty fields collapsed."""
    text = template.format_map(values)
    return "\n".join(" ".join(line.split()) for line in text.splitlines())
