"""report.md / report.html: the summary, the timelines and the evidence of what went wrong."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np

from lanewatch.evaluate.plots import Lane, timeline_png
from lanewatch.evaluate.report import write_report
from lanewatch.evaluate.score import write_score
from lanewatch.evaluate.truth import parse_truth_csv
from lanewatch.zones.zone_file import parse_zone_file

ZONES = parse_zone_file(
    {
        "camera": "gate",
        "zones": [{"id": "lane", "name": "Lane", "polygon": [[0, 0], [1, 0], [1, 1]], "dwell_seconds": 10}],
    }
)


def _out(tmp_path: Path) -> Path:
    """An eval folder with a hit, a late alert and a false positive (with its evidence snapshot)."""
    out = tmp_path / "out"
    (out / "snapshots").mkdir(parents=True)
    cv2.imwrite(str(out / "snapshots" / "c.jpg"), np.full((36, 64, 3), 200, np.uint8))
    rows = [
        {"id": "a", "start_s": 0.0, "violation_s": 10.0, "box": [0.1, 0.5, 0.2, 0.9]},
        {"id": "b", "start_s": 0.0, "violation_s": 30.0, "box": [0.4, 0.5, 0.5, 0.9]},
        {"id": "c", "start_s": 0.0, "violation_s": 12.0, "box": [0.7, 0.5, 0.8, 0.9], "snapshot": "snapshots/c.jpg"},
    ]
    for r in rows:
        r.update(camera="gate", zone="lane", end_s=None)
    (out / "violations.json").write_text(json.dumps(rows))
    (out / "occupancy.csv").write_text("camera,time_s,zone,occupied,objects,labels\ngate,40.0,lane,1,3,car\n")
    return out


def test_report_lists_the_false_positive_and_the_late_alert_with_evidence(tmp_path: Path) -> None:
    out = _out(tmp_path)
    truth = parse_truth_csv("camera,zone,start_s,end_s,x,y\ngate,lane,0,,0.15,0.9\ngate,lane,0,,0.45,0.9\n", "t.csv")
    score = write_score(out, [ZONES], truth)
    md, page = write_report(out, score, lang="en")
    text = md.read_text()
    assert "| all | 0.6667 | 1 | 2 | 1 | 0 | 0 | 0 |" in text
    assert "false positive: `gate/lane` alert at 12 s ![](snapshots/c.jpg)" in text
    assert "late alert: 20 s after the dwell" in text
    for picture in re.findall(r"!\[[^\]]+\]\(([^)]+)\)", text):
        assert (out / picture).read_bytes()[:4] == b"\x89PNG"
    doc = page.read_text()
    assert not re.search(r"src=\"(?!data:)", doc), "report.html must not point at other files"
    assert doc.count("data:image/png;base64,") == 2 and doc.count("data:image/jpeg;base64,") == 1


def test_the_report_is_in_chinese_by_default_with_the_same_figures_and_files(tmp_path: Path) -> None:
    out = _out(tmp_path)
    truth = parse_truth_csv("camera,zone,start_s,end_s,x,y\ngate,lane,0,,0.15,0.9\ngate,lane,0,,0.45,0.9\n", "t.csv")
    score = write_score(out, [ZONES], truth)
    md, page = write_report(out, score)
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# lanewatch 评测报告")
    assert "| 范围 | 准确率 | 召回率 |" in text and "| 全部 | 0.6667 | 1 | 2 | 1 | 0 | 0 | 0 |" in text
    assert "误报: `gate/lane` 在 12 秒报警 ![](snapshots/c.jpg)" in text
    assert "报警过晚：停留时限到后 20 秒才报警" in text
    assert sorted(p.name for p in (out / "report").iterdir()) == ["00-timeline-gate-lane.png", "01-time-to-alert.png"]
    doc = page.read_text(encoding="utf-8")
    assert "<html lang='zh-CN'>" in doc and "<h1>lanewatch 评测报告</h1>" in doc
    assert doc.count("data:image/png;base64,") == 2 and doc.count("data:image/jpeg;base64,") == 1


def test_late_after_s_decides_which_hits_are_listed_as_late(tmp_path: Path) -> None:
    """The hit 20 s after the dwell is late under the default 5 s and under 19.5 s, not under 20 s or 60 s."""
    out = _out(tmp_path)
    truth = parse_truth_csv("camera,zone,start_s,end_s,x,y\ngate,lane,0,,0.15,0.9\ngate,lane,0,,0.45,0.9\n", "t.csv")
    score = write_score(out, [ZONES], truth)
    for late_after_s, listed in ((19.5, True), (20.0, False), (60.0, False), (0.0, True)):
        md, page = write_report(out, score, lang="en", late_after_s=late_after_s)
        text = md.read_text()
        assert f"## False positives and late alerts (more than {late_after_s:g} s)" in text
        assert ("late alert: 20 s after the dwell" in text) is listed
        assert ("late alert: 20 s after the dwell" in page.read_text()) is listed
        assert "false positive: `gate/lane` alert at 12 s" in text  # false positives are listed whatever the limit
    # the hit at 0 s after the dwell is never late, not even with a limit of 0
    assert "late alert: 0 s" not in text


def test_a_timeline_draws_every_lane(tmp_path: Path) -> None:
    one = timeline_png("z", [Lane("line 2", "hit", (0, 20), 10, (0, 20), 10)], 10)
    three = timeline_png("z", [Lane(f"line {i}", "miss", (0, 20), 10) for i in range(3)], 10)
    assert one[:4] == three[:4] == b"\x89PNG"
    assert (
        cv2.imdecode(np.frombuffer(three, np.uint8), 1).shape[0]
        > cv2.imdecode(np.frombuffer(one, np.uint8), 1).shape[0]
    )
