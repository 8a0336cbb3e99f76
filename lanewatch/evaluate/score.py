"""score.json: how the violations `lanewatch eval` found compare with the truth files.

Read from the eval's own outputs (violations.json for what was found,
occupancy.csv for how far each camera was analysed) so a finished run can be
scored again after a truth file is corrected, without running the detector.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from lanewatch.evaluate.matching import MAX_POINT_DISTANCE, TIME_SLACK_S, Found, Outcome, ZoneRule, match_zone
from lanewatch.evaluate.truth import TruthFileError, TruthRow
from lanewatch.evaluate.truth_errors import problem as truth_problem
from lanewatch.evaluate.truth_errors import where
from lanewatch.words import t as t_
from lanewatch.zones.zone_file import ZoneFile

Key = tuple[str, str]  # (camera, zone)


def zone_rules(zone_files: list[ZoneFile]) -> dict[Key, ZoneRule]:
    return {(zf.camera, z.id): ZoneRule(z.dwell_seconds, z.anchor) for zf in zone_files for z in zf.zones}


def check_truth(rows: list[TruthRow], rules: dict[Key, ZoneRule]) -> None:
    """Every row must name a camera and zone being evaluated: a typo would otherwise read as a miss."""
    by_source: dict[str, list[str]] = defaultdict(list)
    cameras = {c for c, _ in rules}
    for t in rows:
        if t.camera not in cameras:
            what = t_("eval.truth.no_camera", camera=repr(t.camera), cameras=", ".join(sorted(cameras)))
            problem = truth_problem(where(t.line, "camera", []), what)
        elif (t.camera, t.zone) not in rules:
            zones = ", ".join(sorted(z for c, z in rules if c == t.camera))
            what = t_("eval.truth.no_zone", camera=repr(t.camera), zone=repr(t.zone), zones=zones)
            problem = truth_problem(where(t.line, "zone", []), what)
        else:
            continue
        by_source[t.source].append(problem)
    if len(by_source) == 1:
        [(source, problems)] = by_source.items()
        raise TruthFileError(source, problems)
    if by_source:  # several files: each problem names its own
        raise TruthFileError(", ".join(by_source), [f"{src} {p}" for src, ps in by_source.items() for p in ps])


def read_found(out: Path) -> list[Found]:
    return [Found.from_json(row) for row in json.loads((out / "violations.json").read_text())]


def read_observed_until(out: Path) -> dict[str, float]:
    """The last analysed stream second of each camera, from occupancy.csv (empty when absent)."""
    path = out / "occupancy.csv"
    if not path.is_file():
        return {}
    last: dict[str, float] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            last[row["camera"]] = max(last.get(row["camera"], 0.0), float(row["time_s"]))
    return last


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    arr = np.asarray(values, dtype=float)
    return {
        "p50": round(float(np.percentile(arr, 50)), 3),
        "p95": round(float(np.percentile(arr, 95)), 3),
        "max": round(float(arr.max()), 3),
    }


def figures(o: Outcome) -> dict[str, Any]:
    """The summary numbers of an outcome. Precision counts every alert raised, duplicates included."""
    tp, fp, dup, fn = len(o.hits), len(o.false_positives), len(o.duplicates), len(o.misses)
    found = tp + fp + dup
    return {
        "precision": round(tp / found, 4) if found else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "violations": found,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "duplicates": dup,
        "not_expected": len(o.not_expected),
        "time_to_alert_s": _percentiles([tta for _, _, tta in o.hits]),
        "false_alert_minutes": round(o.false_alert_s / 60, 3),
    }


def _details(o: Outcome) -> dict[str, list[dict[str, Any]]]:
    def row(t: TruthRow) -> dict[str, Any]:
        return {
            "file": t.source,
            "line": t.line,
            "camera": t.camera,
            "zone": t.zone,
            "start_s": t.start_s,
            "end_s": t.end_s,
        }

    truth = [{**row(t), "status": "hit", "violation": v.id, "time_to_alert_s": round(tta, 3)} for v, t, tta in o.hits]
    truth += [{**row(t), "status": "miss"} for t in o.misses]
    truth += [{**row(t), "status": "not_expected"} for t in o.not_expected]
    found = [{"id": v.id, "status": "hit", "truth_file": t.source, "truth_line": t.line} for v, t, _ in o.hits]
    found += [
        {"id": v.id, "status": "duplicate", "truth_file": t.source, "truth_line": t.line} for v, t in o.duplicates
    ]
    found += [{"id": v.id, "status": "false_positive", "snapshot": v.snapshot} for v in o.false_positives]
    return {"truth": truth, "violations": found}


def score(
    found: list[Found],
    truth: list[TruthRow],
    rules: dict[Key, ZoneRule],
    observed_until: dict[str, float] | None = None,
) -> dict[str, Any]:
    """score.json's content: overall figures, the same per camera and per zone, and where each row went."""
    check_truth(truth, rules)
    observed_until = observed_until or {}
    unknown = sorted({f"{v.camera}/{v.zone}" for v in found if (v.camera, v.zone) not in rules})
    if unknown:
        raise ValueError(f"violations in zones that no zone file defines: {', '.join(unknown)}")
    per_zone: dict[Key, Outcome] = {}
    for key, rule in sorted(rules.items()):
        mine = [v for v in found if (v.camera, v.zone) == key]
        rows = [t for t in truth if (t.camera, t.zone) == key]
        per_zone[key] = match_zone(mine, rows, rule, observed_until.get(key[0]))
    total = sum(per_zone.values(), Outcome())
    cameras: dict[str, Outcome] = defaultdict(Outcome)
    for (camera, _), o in per_zone.items():
        cameras[camera] = cameras[camera] + o
    zones: dict[str, dict[str, Any]] = defaultdict(dict)
    for (camera, zone), o in per_zone.items():
        zones[camera][zone] = {**figures(o), "dwell_s": rules[(camera, zone)].dwell_s}
    return {
        **figures(total),
        "per_camera": {c: figures(o) for c, o in cameras.items()},
        "per_zone": dict(zones),
        "observed_until_s": observed_until,
        "settings": {"time_slack_s": TIME_SLACK_S, "max_point_distance": MAX_POINT_DISTANCE},
        "details": _details(total),
    }


def write_score(out: Path, zone_files: list[ZoneFile], truth: list[TruthRow]) -> dict[str, Any]:
    """Score an eval output folder and write OUT/score.json (atomically); returns what was written."""
    result = score(read_found(out), truth, zone_rules(zone_files), read_observed_until(out))
    tmp = out / ".score.json.tmp"
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, out / "score.json")
    return result
