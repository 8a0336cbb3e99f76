"""Scoring on real footage counts what a person counts (the shared clips against zones/truth/).

lot-busy.mp4 against zones/truth/lot-busy.csv: one `lanewatch eval --truth
--require` run over the whole 20 s clip (the six labelled stays last until
its end; ~10 s of CPU), then `lanewatch score` on its output with the truth
file edited: a removed row leaves its violation a false positive, a row for a
car that is not there becomes a miss. A two-combination sweep on the same
clip; car-detection.mp4, where no car stays long enough to be expected.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lanewatch.cli import app
from lanewatch.evaluate.truth import load_truth_file

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
ZONES = REPO / "zones" / "lot-busy.json"
TRUTH = REPO / "zones" / "truth" / "lot-busy.csv"


@pytest.fixture(scope="module")
def scored(footage_dir: Path, weights_path: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("score-lot-busy")
    cmd = [sys.executable, "-m", "lanewatch.cli", "eval", str(footage_dir / "parking-aisle" / "lot-busy.mp4")]
    cmd += ["--zones", str(ZONES), "--out", str(out), "--weights", str(weights_path), "--truth", str(TRUTH)]
    cmd += ["--require", "precision>=0.95,recall>=0.95"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def _rescore(out: Path, truth_text: str, tmp_path: Path) -> dict:
    truth = tmp_path / "edited.csv"
    truth.write_text(truth_text)
    result = CliRunner().invoke(app, ["score", str(out), "--zones", str(ZONES), "--truth", str(truth)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "score.json").read_text())


def test_the_labelled_cars_are_the_violations_found(scored: Path) -> None:
    score = json.loads((scored / "score.json").read_text())
    assert (score["true_positives"], score["false_positives"], score["false_negatives"]) == (6, 0, 0)
    assert score["duplicates"] == 0
    assert score["not_expected"] == 2  # the SUV that backs out, the car crossing the bottom: shorter than 15 s
    # Stream seconds: every car was there from 0 s, the zone's dwell is 15 s, looks are 1 s apart.
    assert -1.01 <= score["time_to_alert_s"]["p50"] <= score["time_to_alert_s"]["max"] <= 1.01
    assert score["per_zone"]["lot-busy"]["front-row"]["recall"] == 1.0


@pytest.mark.parametrize("drop", range(6))
def test_removing_a_truth_row_makes_its_violation_a_false_positive(scored: Path, tmp_path: Path, drop: int) -> None:
    lines = TRUTH.read_text().splitlines(keepends=True)
    expected = [i for i, row in enumerate(load_truth_file(TRUTH)) if row.end_s is None and row.start_s == 0]
    removed = load_truth_file(TRUTH)[expected[drop]]
    kept = [line for n, line in enumerate(lines, start=1) if n != removed.line]
    score = _rescore(scored, "".join(kept), tmp_path)
    assert (score["true_positives"], score["false_positives"], score["duplicates"]) == (5, 1, 0)
    [fp] = [v for v in score["details"]["violations"] if v["status"] == "false_positive"]
    box = next(v["box"] for v in json.loads((scored / "violations.json").read_text()) if v["id"] == fp["id"])
    assert box[0] <= removed.x <= box[2], "the false positive is the car whose row was removed"
    assert score["precision"] == pytest.approx(5 / 6, abs=1e-3)


def test_a_row_for_a_car_that_is_not_there_makes_a_miss(scored: Path, tmp_path: Path) -> None:
    # The aisle behind the parked cars' bumpers, where nobody stops (cars only cross it).
    score = _rescore(scored, TRUTH.read_text() + "lot-busy,front-row,0,,0.45,0.99,nobody here\n", tmp_path)
    assert (score["true_positives"], score["false_negatives"], score["false_positives"]) == (6, 1, 0)
    assert score["recall"] == pytest.approx(6 / 7, abs=1e-3)


def test_a_sweep_scores_every_combination_and_names_the_best(
    footage_dir: Path, weights_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "lanewatch.cli", "eval", str(footage_dir / "parking-aisle" / "lot-busy.mp4")]
    cmd += ["--zones", str(ZONES), "--out", str(out), "--weights", str(weights_path), "--truth", str(TRUTH)]
    cmd += ["--sweep", "imgsz=320,640", "--lang", "en"]  # the test reads the English "best:" line
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert [r["imgsz"] for r in rows] == ["320", "640"]
    for r in rows:  # each combination is a whole eval with its own score and report
        score = json.loads((out / r["folder"] / "score.json").read_text())
        assert float(r["recall"]) == score["recall"] and (out / r["folder"] / "report.html").is_file()
    best = max(rows, key=lambda r: float(r["f1"]))
    assert float(best["f1"]) >= 0.9  # 640 px finds the six cars
    assert f"best: imgsz={best['imgsz']}" in " ".join(done.stdout.split())


def test_cars_driving_through_are_not_expected_and_raise_nothing(
    footage_dir: Path, weights_path: Path, tmp_path: Path
) -> None:
    """intel/car-detection.mp4: four cars pass through the lane in under 8 s each (zones/truth/README.md)."""
    out = tmp_path / "drive-lane"
    cmd = [sys.executable, "-m", "lanewatch.cli", "eval", str(footage_dir / "intel" / "car-detection.mp4")]
    cmd += ["--zones", str(REPO / "zones" / "car-detection.json"), "--out", str(out), "--weights", str(weights_path)]
    cmd += ["--truth", str(REPO / "zones" / "truth" / "car-detection.csv"), "--require", "precision>=1,recall>=1"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    score = json.loads((out / "score.json").read_text())
    assert (score["not_expected"], score["false_negatives"], score["violations"]) == (4, 0, 0)
