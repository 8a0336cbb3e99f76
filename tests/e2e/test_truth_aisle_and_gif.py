"""The aisle clip and the intel gif scored against the truth written by watching them (zones/truth/README.md).

lot-aisle.mp4 (30 s, ~12 s of CPU) with zones/lot-aisle.json (the aisle, rule
`stopped`, 8 s dwell): every vehicle in the aisle keeps moving, so the truth
file has no row and any violation would be a false positive.
person-bicycle-car-detection.gif (3.4 s) with zones/person-bicycle-car-detection.json
(a `present` walkway, 2 s dwell): the one car is in it from the first frame
to the last, so one violation is expected, its alert when the 2 s are up.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def _eval(source: Path, name: str, weights: Path, out: Path, *extra: str) -> dict:
    cmd = [sys.executable, "-m", "lanewatch.cli", "eval", str(source), "--zones", str(REPO / "zones" / f"{name}.json")]
    cmd += ["--out", str(out), "--weights", str(weights), "--truth", str(REPO / "zones" / "truth" / f"{name}.csv")]
    cmd += ["--require", "precision>=1,recall>=1", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "score.json").read_text())


def test_cars_moving_through_the_aisle_raise_nothing(footage_dir: Path, weights_path: Path, tmp_path: Path) -> None:
    score = _eval(footage_dir / "parking-aisle" / "lot-aisle.mp4", "lot-aisle", weights_path, tmp_path / "aisle")
    assert (score["violations"], score["false_positives"], score["false_alert_minutes"]) == (0, 0, 0)
    assert score["observed_until_s"]["lot-aisle"] >= 29  # the whole clip was looked at


def test_the_car_in_the_walkway_alerts_when_its_dwell_is_up(
    footage_dir: Path, weights_path: Path, tmp_path: Path
) -> None:
    gif = footage_dir / "intel" / "person-bicycle-car-detection.gif"
    score = _eval(gif, "person-bicycle-car-detection", weights_path, tmp_path / "gif")
    assert (score["true_positives"], score["false_positives"], score["false_negatives"]) == (1, 0, 0)
    assert score["duplicates"] == 0 and score["not_expected"] == 0
    # In at 0 s, dwell 2 s, a look every second: the alert is due at the look at 2 s.
    assert -1.01 <= score["time_to_alert_s"]["max"] <= 1.01
