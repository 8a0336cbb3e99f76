"""`lanewatch eval` on real footage: one violation per car parked past the grace time.

lot-busy.mp4 (20 s): six cars stay in the front row for the whole clip; a
black SUV at the front-left backs out after ~4 s and drives off along the
bottom of the frame (in the zone until ~12 s); another car crosses the
bottom from ~14 s. zones/lot-busy.json gives the front row 15 s of grace.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from lanewatch.track.tracker import box_iou

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def _iou(a, b) -> float:
    return float(box_iou(a, b)[0, 0])


@pytest.fixture(scope="module")
def eval_run(footage_dir: Path, weights_path: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("eval-lot-busy")
    cmd = [
        sys.executable,
        "-m",
        "lanewatch.cli",
        "eval",
        str(footage_dir / "parking-aisle" / "lot-busy.mp4"),
        "--zones",
        str(REPO / "zones" / "lot-busy.json"),
        "--out",
        str(out),
        "--weights",
        str(weights_path),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "lanewatch eval" in done.stdout  # the summary table
    return out


def test_one_violation_per_parked_car_and_none_for_cars_that_leave(eval_run: Path) -> None:
    violations = json.loads((eval_run / "violations.json").read_text())
    assert len(violations) == 6, [(v["box"], v["start_s"], v["end_s"]) for v in violations]
    for v in violations:
        assert v["zone"] == "front-row" and v["label"] in {"car", "truck", "bus", "motorcycle"}
        assert v["violation_s"] - v["start_s"] == pytest.approx(15, abs=1.01)  # the grace time, at 1 fps
        assert v["end_s"] is None  # still parked when the clip ends
        assert v["dwell_s"] >= 15
        x1, _y1, x2, y2 = v["box"]
        assert 0.8 <= y2 <= 1.0 and 0 <= x1 < x2 <= 1  # bottom centre in the front-row zone
        assert not (x2 < 0.25 and y2 > 0.95), "the SUV that left is not a violation"
    boxes = [v["box"] for v in violations]
    assert all(_iou(a, b) < 0.3 for i, a in enumerate(boxes) for b in boxes[i + 1 :]), "one violation per car"


def test_evidence_snapshots_are_readable_jpegs(eval_run: Path) -> None:
    for v in json.loads((eval_run / "violations.json").read_text()):
        annotated = cv2.imread(str(eval_run / v["snapshot"]))
        clean = cv2.imread(str(eval_run / v["snapshot_clean"]))
        assert annotated is not None and clean is not None and annotated.shape == clean.shape == (360, 640, 3)
        assert np.abs(annotated.astype(int) - clean.astype(int)).mean() > 1  # the annotation is drawn


def test_health_json_lists_no_picture_problem_for_a_healthy_camera(eval_run: Path) -> None:
    # lot-busy is a steady, sharp, lit view: no period of covered/dark/blurred/moved/frozen/offline
    assert json.loads((eval_run / "health.json").read_text(encoding="utf-8")) == []


def test_occupancy_csv_has_a_row_per_analysed_frame(eval_run: Path) -> None:
    lines = (eval_run / "occupancy.csv").read_text().splitlines()
    assert lines[0].startswith("camera,time_s,zone,occupied,objects")
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == 20  # 20 s at the default 1 analysed frame per second
    assert [float(r[1]) for r in rows] == sorted(float(r[1]) for r in rows)
    assert all(r[3] == "1" and int(r[4]) >= 6 for r in rows)


def test_store_holds_the_same_violations(eval_run: Path) -> None:
    listed = {v["id"] for v in json.loads((eval_run / "violations.json").read_text())}
    with sqlite3.connect(eval_run / "lanewatch.db") as db:
        stored = {row[0] for row in db.execute("select id from violations")}
    assert stored == listed


def test_gating_and_cropping_lose_no_violation(
    eval_run: Path, footage_dir: Path, weights_path: Path, tmp_path: Path
) -> None:
    """The same clip with every look run full-frame through the detector gives the same violations."""
    out = tmp_path / "plain"
    cmd = [
        sys.executable,
        "-m",
        "lanewatch.cli",
        "eval",
        str(footage_dir / "parking-aisle" / "lot-busy.mp4"),
        "--zones",
        str(REPO / "zones" / "lot-busy.json"),
        "--out",
        str(out),
        "--weights",
        str(weights_path),
        "--no-gate",
        "--no-crop",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    plain = json.loads((out / "violations.json").read_text())
    ours = json.loads((eval_run / "violations.json").read_text())
    assert len(ours) == len(plain)
    for v in plain:
        twin = max(ours, key=lambda o: _iou(o["box"], v["box"]))
        assert _iou(twin["box"], v["box"]) > 0.7 and twin["violation_s"] == v["violation_s"]
