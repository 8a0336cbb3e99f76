"""PKLot UFPR05 stills scored against their truth file (zones/truth/pklot-ufpr05-sequence3.csv).

One `lanewatch eval --truth` run over the five snapshots of sequence3 (about
10 s of CPU at 1280 px). The snapshots are 5 to 15 minutes apart, far more
than the tracker's `max_missing_s` (120 s) and the zones' exit grace (5 s):
a car is only forgotten, and a stay only ended, when a look that could have
seen it did not, so a car parked across two snapshots keeps its identity and
its stay, and alerts at the second snapshot (the first look past its dwell).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lanewatch.evaluate.truth import load_truth_file

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
ZONES = REPO / "zones" / "pklot-ufpr05.json"
TRUTH = REPO / "zones" / "truth" / "pklot-ufpr05-sequence3.csv"


@pytest.fixture(scope="module")
def run_out(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("score-pklot")


@pytest.fixture(scope="module")
def score(footage_dir: Path, weights_path: Path, run_out: Path) -> dict:
    out = run_out
    frames = footage_dir / "pklot-ufpr05" / "sequence3" / "frames"
    cmd = [sys.executable, "-m", "lanewatch.cli", "eval", f"pklot-ufpr05={frames}", "--zones", str(ZONES)]
    cmd += ["--out", str(out), "--weights", str(weights_path), "--imgsz", "1280", "--truth", str(TRUTH)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "score.json").read_text())


def test_every_labelled_stay_is_scored_in_snapshot_time(score: dict) -> None:
    rows = load_truth_file(TRUTH)
    # stream time of an image folder = capture time in the name: 06:50:01 → 07:25:01
    assert score["observed_until_s"] == {"pklot-ufpr05": 2100.0}
    # each stay spans two or more snapshots (≥ 5 min), longer than the 60 s dwell: all are expected
    assert score["not_expected"] == 0
    assert score["true_positives"] + score["false_negatives"] == len(rows)
    lines = {(t["zone"], t["start_s"]) for t in score["details"]["truth"] if t["status"] in ("hit", "miss")}
    assert lines == {(r.zone, r.start_s) for r in rows}


def test_parked_cars_alert_across_snapshots(score: dict, run_out: Path) -> None:
    """Measured: 9 of the 10 labelled stays alert, nothing else does (space-38's car is not detected)."""
    assert score["recall"] >= 0.8 and score["precision"] >= 0.95 and score["duplicates"] == 0
    # Each alert comes at the first snapshot at least the dwell (60 s) after the first one that saw the car:
    # never sooner, never a snapshot later. Which snapshot first sees a car at the edge of detection differs
    # between CPUs (int8 kernels round differently), so the expected alert is read from occupancy.csv.
    seen: dict[str, list[float]] = {}
    snapshots: set[float] = set()
    with (run_out / "occupancy.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            snapshots.add(float(row["time_s"]))
            if row["occupied"] == "1":
                seen.setdefault(row["zone"], []).append(float(row["time_s"]))
    hits = [t for t in score["details"]["truth"] if t["status"] == "hit"]
    assert hits
    for hit in hits:
        first_seen = min(s for s in seen[hit["zone"]] if s >= hit["start_s"])
        expected = min(s for s in snapshots if s >= first_seen + 60.0)
        assert hit["start_s"] + 60.0 + hit["time_to_alert_s"] == expected, hit
