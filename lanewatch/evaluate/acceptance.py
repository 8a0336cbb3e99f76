"""--truth and --require, end to end: read and check everything first, score and judge at the end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lanewatch.evaluate.report import LATE_ALERT_S
from lanewatch.evaluate.require import Requirement, parse_requirements, shortfalls
from lanewatch.evaluate.score import check_truth, write_score, zone_rules
from lanewatch.evaluate.truth import TruthRow, load_truth_file
from lanewatch.words import t
from lanewatch.zones.zone_file import ZoneFile


@dataclass(frozen=True)
class Scoring:
    """What scoring a run needs, loaded and checked before the (slow) run starts."""

    zone_files: list[ZoneFile]
    truth: list[TruthRow]
    requirements: list[Requirement]
    late_after_s: float = LATE_ALERT_S  # the report lists a hit's evidence when its alert came later than this


def prepare_scoring(
    truth_paths: list[Path],
    require: list[str],
    zone_files: list[ZoneFile],
    cameras: list[str],
    late_after_s: float = LATE_ALERT_S,
) -> Scoring | None:
    """None without --truth; raises ValueError (TruthFileError) on a bad truth file, --require or --late-after-s."""
    requirements = parse_requirements(require)
    if not late_after_s >= 0:  # also refuses nan
        raise ValueError(t("eval.late_after_negative", value=f"{late_after_s:g}"))
    if not truth_paths:
        if requirements:
            raise ValueError("--require needs --truth: there is nothing to score without truth files")
        return None
    evaluated = [zf for zf in zone_files if zf.camera in cameras]
    truth = [row for path in truth_paths for row in load_truth_file(path)]
    check_truth(truth, zone_rules(evaluated))
    return Scoring(evaluated, truth, requirements, late_after_s)


def score_and_judge(out: Path, scoring: Scoring) -> tuple[dict[str, Any], list[str]]:
    """Write OUT/score.json; return it and the requirements that fell short (empty: accepted)."""
    result = write_score(out, scoring.zone_files, scoring.truth)
    return result, shortfalls(scoring.requirements, result)
