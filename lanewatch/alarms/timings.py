"""Each alarm's timings, device to 119, and the report that checks them against the national rules.

The chain of times: the device's own time → received → stored → first shown
on a console → acknowledged → confirmed → forwarded to the 119 centre. The
rules checked: at most 10 s from the device to the centre (device time to
stored) and at most 3 s from confirmation to a successful forward. Device
clocks drift: a negative device-to-received interval is reported as it is,
so a wrong clock shows up instead of hiding.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from lanewatch.store.alarm_tables import AlarmRow
from lanewatch.store.tables import as_utc

STEPS: tuple[tuple[str, str, str], ...] = (
    ("device_to_received", "device_time", "received_at"),
    ("received_to_stored", "received_at", "stored_at"),
    ("stored_to_shown", "stored_at", "shown_at"),
    ("shown_to_acknowledged", "shown_at", "acknowledged_at"),
    ("acknowledged_to_confirmed", "acknowledged_at", "confirmed_at"),
    ("confirmed_to_forwarded", "confirmed_at", "forwarded_at"),
    ("device_to_stored", "device_time", "stored_at"),
)
RULES: tuple[tuple[str, str, float], ...] = (
    ("device_to_centre", "device_to_stored", 10.0),
    ("confirm_to_forward", "confirmed_to_forwarded", 3.0),
)
MAX_LISTED = 100
MAX_ALARMS = 100_000


def timings(alarm: AlarmRow) -> dict[str, float | None]:
    """Seconds of each step of one alarm (None where either end is missing)."""
    found: dict[str, float | None] = {}
    for name, start, end in STEPS:
        a, b = as_utc(getattr(alarm, start)), as_utc(getattr(alarm, end))
        found[f"{name}_s"] = round((b - a).total_seconds(), 3) if a is not None and b is not None else None
    return found


class StepSummary(BaseModel):
    step: str
    count: int = Field(description="Alarms with both ends of the step.")
    p50_s: float | None
    p95_s: float | None
    max_s: float | None


class RuleCheck(BaseModel):
    rule: str
    limit_s: float
    checked: int
    violations: int
    alarm_ids: list[str] = Field(description=f"The alarms over the limit (at most {MAX_LISTED}).")


class TimingReport(BaseModel):
    since: datetime
    until: datetime
    alarm_type: str
    alarms: int
    steps: list[StepSummary]
    rules: list[RuleCheck]
    not_forwarded: int = Field(description="Confirmed real fires whose forward has not succeeded (yet).")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1) of the values; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def report(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    alarm_type: str = "fire",
    include_tests: bool = False,
    device_ids: Collection[str] | None = None,
) -> TimingReport:
    """Summarise the alarms of `alarm_type` received in [since, until) (of these devices only, unless None)."""
    query = select(AlarmRow).where(
        AlarmRow.alarm_type == alarm_type, AlarmRow.received_at >= as_utc(since), AlarmRow.received_at < as_utc(until)
    )
    if device_ids is not None:
        query = query.where(col(AlarmRow.device_id).in_(list(device_ids)))
    if not include_tests:
        query = query.where(
            col(AlarmRow.test).is_(False), (col(AlarmRow.outcome).is_(None)) | (col(AlarmRow.outcome) != "test")
        )
    rows = list(session.exec(query.order_by(col(AlarmRow.received_at)).limit(MAX_ALARMS)))
    per_alarm = [(row.id, timings(row)) for row in rows]
    steps = []
    for name, _start, _end in STEPS:
        values = [v for _id, t in per_alarm if (v := t[f"{name}_s"]) is not None]
        steps.append(
            StepSummary(
                step=name,
                count=len(values),
                p50_s=percentile(values, 0.5),
                p95_s=percentile(values, 0.95),
                max_s=max(values) if values else None,
            )
        )
    rules = []
    for rule, step, limit in RULES:
        checked = [(alarm_id, v) for alarm_id, t in per_alarm if (v := t[f"{step}_s"]) is not None]
        over = [alarm_id for alarm_id, seconds in checked if seconds > limit]
        rules.append(
            RuleCheck(rule=rule, limit_s=limit, checked=len(checked), violations=len(over), alarm_ids=over[:MAX_LISTED])
        )
    not_forwarded = sum(1 for row in rows if row.outcome == "real_fire" and row.forwarded_at is None)
    return TimingReport(
        since=as_utc(since),
        until=as_utc(until),
        alarm_type=alarm_type,
        alarms=len(rows),
        steps=steps,
        rules=rules,
        not_forwarded=not_forwarded,
    )
