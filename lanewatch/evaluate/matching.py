"""Pair found violations with truth rows, one zone of one camera at a time.

The scorer only reads what `lanewatch eval` wrote (violations.json): it does
not know how violations are made, so a change to the dwell rules is measured,
not mirrored. Pairing is one-to-one and optimal (Hungarian, via scipy): a
violation may stand for a truth row when their stays overlap in time (with a
second of slack, since people label by eye) and, if the row gives ``x,y``,
when that point lies on or near the violation's box; among the possible
pairings the one with the most pairs, then the nearest anchors, wins. That is
what tells apart two cars parked side by side in one zone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from lanewatch.evaluate.truth import TruthRow

TIME_SLACK_S = 1.0  # labels written while watching are good to about a second
MAX_POINT_DISTANCE = 0.03  # fraction of the frame (~20 px at 640): how far a labelled point may lie off the box
_INFEASIBLE = 1e6


@dataclass(frozen=True)
class Found:
    """One violation as violations.json records it (times in seconds since the source's start)."""

    id: str
    camera: str
    zone: str
    start_s: float
    violation_s: float
    end_s: float | None
    box: tuple[float, float, float, float]
    snapshot: str | None = None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Found:
        x1, y1, x2, y2 = (float(v) for v in row["box"])
        return cls(
            id=str(row["id"]),
            camera=str(row["camera"]),
            zone=str(row["zone"]),
            start_s=float(row["start_s"]),
            violation_s=float(row["violation_s"]),
            end_s=None if row.get("end_s") is None else float(row["end_s"]),
            box=(x1, y1, x2, y2),
            snapshot=row.get("snapshot"),
        )

    def anchor(self, name: str) -> tuple[float, float]:
        x1, y1, x2, y2 = self.box
        return ((x1 + x2) / 2, y2 if name == "bottom_center" else (y1 + y2) / 2)


@dataclass(frozen=True)
class ZoneRule:
    """What the scorer needs of a zone: its dwell and which point of a box is the vehicle's anchor."""

    dwell_s: float
    anchor: str = "bottom_center"


@dataclass
class Outcome:
    """Where every violation and every truth row of some zones ended up."""

    hits: list[tuple[Found, TruthRow, float]] = field(default_factory=list)  # (violation, row, time to alert)
    duplicates: list[tuple[Found, TruthRow]] = field(default_factory=list)
    false_positives: list[Found] = field(default_factory=list)
    misses: list[TruthRow] = field(default_factory=list)
    not_expected: list[TruthRow] = field(default_factory=list)
    false_alert_s: float = 0.0

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(
            self.hits + other.hits,
            self.duplicates + other.duplicates,
            self.false_positives + other.false_positives,
            self.misses + other.misses,
            self.not_expected + other.not_expected,
            self.false_alert_s + other.false_alert_s,
        )


def _point_to_box(point: tuple[float, float], box: tuple[float, float, float, float]) -> float:
    x, y = point
    x1, y1, x2, y2 = box
    return math.hypot(max(x1 - x, 0.0, x - x2), max(y1 - y, 0.0, y - y2))


def _cost(v: Found, t: TruthRow, rule: ZoneRule) -> float:
    """How badly `v` fits row `t` (smaller is better), or _INFEASIBLE when it cannot stand for it."""
    v_end = math.inf if v.end_s is None else v.end_s
    t_end = math.inf if t.end_s is None else t.end_s
    if max(v.start_s, t.start_s) > min(v_end, t_end) + TIME_SLACK_S:
        return _INFEASIBLE
    time_cost = 1e-3 * abs(v.start_s - t.start_s)  # only breaks ties between equally near rows
    point = t.point
    if point is None:
        return time_cost
    if _point_to_box(point, v.box) > MAX_POINT_DISTANCE:
        return _INFEASIBLE
    ax, ay = v.anchor(rule.anchor)
    return math.hypot(point[0] - ax, point[1] - ay) + time_cost


def _expected(t: TruthRow, rule: ZoneRule, observed_until: float | None) -> bool:
    """A stay shorter than the dwell (cut at the end of what was analysed) is not expected to alert."""
    end = math.inf if t.end_s is None else t.end_s
    if observed_until is not None:
        end = min(end, observed_until)
    return end - t.start_s >= rule.dwell_s


def _pair(found: list[Found], rows: list[TruthRow], rule: ZoneRule) -> list[tuple[int, int]]:
    if not found or not rows:
        return []
    costs = np.array([[_cost(v, t, rule) for t in rows] for v in found])
    vi, ti = linear_sum_assignment(costs)
    return [(int(i), int(j)) for i, j in zip(vi, ti, strict=True) if costs[i, j] < _INFEASIBLE]


def match_zone(
    found: list[Found], truth: list[TruthRow], rule: ZoneRule, observed_until: float | None = None
) -> Outcome:
    """Score one zone of one camera: its violations against its truth rows.

    ``observed_until`` is the last stream second analysed: an open row (no
    end_s) lasts until then, and a stay cut short by it is not expected.
    A violation left over after the pairing is a duplicate when it could have
    stood for an already matched row, otherwise a false positive (also when
    it fits a stay too short to alert).
    """
    expected = [t for t in truth if _expected(t, rule, observed_until)]
    outcome = Outcome(not_expected=[t for t in truth if not _expected(t, rule, observed_until)])
    pairs = _pair(found, expected, rule)
    paired_found = {i for i, _ in pairs}
    paired_rows = {j for _, j in pairs}
    for i, j in pairs:
        t = expected[j]
        outcome.hits.append((found[i], t, found[i].violation_s - (t.start_s + rule.dwell_s)))
    outcome.misses = [t for j, t in enumerate(expected) if j not in paired_rows]
    matched = [expected[j] for j in sorted(paired_rows)]
    for i, v in enumerate(found):
        if i in paired_found:
            continue
        costs = [_cost(v, t, rule) for t in matched]
        if costs and min(costs) < _INFEASIBLE:
            outcome.duplicates.append((v, matched[int(np.argmin(costs))]))
            continue
        outcome.false_positives.append(v)
        until = v.end_s if v.end_s is not None else observed_until
        if until is not None:
            outcome.false_alert_s += max(until - v.violation_s, 0.0)
    return outcome
