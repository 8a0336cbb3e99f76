"""PKLot UFPR05 stills scored against their truth file (zones/truth/pklot-ufpr05-sequence3.csv).

One `lanewatch eval --truth` run over the five snapshots of sequence3 (about
10 s of CPU at 1280 px). The snapshots are 5 to 15 minutes apart, and the
tracker forgets an object unseen for `tracker.max_missing_s` (120 s), which
`lanewatch eval` cannot change: every snapshot starts new identities, no dwell
reaches the zones' 60 s, so no violation is raised and every labelled stay is
a miss. The xfail below says so and turns into a failure once it works.
"""

from __future__ import annotations

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
def score(footage_dir: Path, weights_path: Path, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("score-pklot")
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


@pytest.mark.xfail(strict=True, reason="tracks are forgotten after 120 s; these snapshots are 5-15 min apart")
def test_parked_cars_alert_across_snapshots(score: dict) -> None:
    assert score["recall"] >= 0.8
