"""`lanewatch eval` on the aisle footage slowed to walking pace: crawling cars are not stopped cars.

lot-aisle.mp4 (30 s) slowed 4x with ffmpeg (`setpts=4*PTS`): 2 minutes of
cars crawling through the aisle, none parking in it; a zone over the near
half of the aisle with a 6 s dwell, as in the issue that asked for the
`stopped` rule. Under `present` (time inside counts) nearly every car that
takes longer than 6 s to cross alerts; under `stopped` only time standing
still counts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

NEAR_AISLE = [[0.1562, 1.0], [0.6016, 1.0], [0.55, 0.5556], [0.3, 0.5556]]


@pytest.fixture(scope="module")
def slowed(footage_dir: Path, tmp_path_factory) -> Path:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg CLI not installed (Debian package ffmpeg)")
    out = tmp_path_factory.mktemp("aisle-slowed") / "aisle-slow.mp4"
    cmd = [ffmpeg, "-loglevel", "error", "-y", "-i", str(footage_dir / "parking-aisle" / "lot-aisle.mp4")]
    cmd += ["-vf", "setpts=4*PTS", "-an", "-r", "30", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", str(out)]
    subprocess.run(cmd, check=True, timeout=120)
    return out


def _eval(video: Path, rule: str, weights: Path, tmp: Path) -> list[dict]:
    zones = tmp / f"aisle-slow-{rule}.json"
    zone = {"id": "aisle", "name": "Aisle, near half", "polygon": NEAR_AISLE, "rule": rule}
    zones.write_text(json.dumps({"camera": "aisle-slow", "zones": [{**zone, "dwell_seconds": 6.0}]}))
    out = tmp / f"out-{rule}"
    cmd = [sys.executable, "-m", "lanewatch.cli", "eval", f"aisle-slow={video}", "--zones", str(zones)]
    cmd += ["--out", str(out), "--weights", str(weights)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "violations.json").read_text())


@pytest.fixture(scope="module")
def violations(slowed: Path, weights_path: Path, tmp_path_factory) -> dict[str, list[dict]]:
    tmp = tmp_path_factory.mktemp("aisle-slowed-eval")
    return {rule: _eval(slowed, rule, weights_path, tmp) for rule in ("present", "stopped")}


def test_present_alerts_for_crawling_cars_as_the_issue_reported(violations) -> None:
    """The baseline: counting time inside, most cars that cross in over 6 s alert (the issue saw 8)."""
    assert len(violations["present"]) >= 6


def test_stopped_raises_far_fewer_and_says_when_each_stop_began(violations) -> None:
    stopped, present = violations["stopped"], violations["present"]
    assert len(stopped) <= 0.6 * len(present), [(v["start_s"], v["violation_s"], v["box"]) for v in stopped]
    for v in stopped:  # the record's start is the stop's start: the dwell is counted from it
        assert v["violation_s"] - v["start_s"] == pytest.approx(6.0, abs=1.01)


def test_stopped_raises_no_violation_for_crawling_cars(violations) -> None:
    assert violations["stopped"] == []
