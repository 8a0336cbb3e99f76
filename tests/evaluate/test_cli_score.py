"""`lanewatch eval --truth/--require` and `lanewatch score` as a user (or CI) runs them, without the detector."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lanewatch.cli import app

REPO = Path(__file__).resolve().parents[2]
ZONES = REPO / "zones" / "lot-busy.json"
runner = CliRunner()


def _said(result) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def _eval_output(tmp_path: Path) -> Path:
    """An eval --out folder as eval writes it: two front-row violations, 20 s analysed."""
    out = tmp_path / "out"
    out.mkdir()
    rows = [
        {"id": "a", "camera": "lot-busy", "zone": "front-row", "start_s": 0.0, "violation_s": 15.0, "end_s": None,
         "box": [0.2, 0.7, 0.34, 0.92], "snapshot": "snapshots/a.jpg"},
        {"id": "b", "camera": "lot-busy", "zone": "front-row", "start_s": 0.0, "violation_s": 17.0, "end_s": None,
         "box": [0.6, 0.7, 0.7, 0.93], "snapshot": "snapshots/b.jpg"},
    ]  # fmt: skip
    (out / "violations.json").write_text(json.dumps(rows))
    lines = ["camera,time_s,zone,occupied,objects,labels"] + [
        f"lot-busy,{t}.0,front-row,1,2,car car" for t in range(20)
    ]
    (out / "occupancy.csv").write_text("\n".join(lines) + "\n")
    return out


def _truth(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "truth.csv"
    path.write_text("camera,zone,start_s,end_s,x,y\n" + "".join(r + "\n" for r in rows))
    return path


def test_score_writes_score_json_and_passes_met_requirements(tmp_path: Path) -> None:
    out = _eval_output(tmp_path)
    truth = _truth(tmp_path, "lot-busy,front-row,0,,0.27,0.92", "lot-busy,front-row,0,,0.65,0.93")
    result = runner.invoke(
        app, ["score", str(out), "-z", str(ZONES), "--truth", str(truth), "--require", "recall>=1", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    score = json.loads((out / "score.json").read_text())
    assert (score["true_positives"], score["time_to_alert_s"]["max"]) == (2, 2.0)
    assert "requirements met: recall>=1" in _said(result)
    assert "lanewatch evaluation" in (out / "report.md").read_text(encoding="utf-8")


def test_a_requirement_that_falls_short_exits_1_naming_the_figure(tmp_path: Path) -> None:
    out = _eval_output(tmp_path)
    truth = _truth(tmp_path, "lot-busy,front-row,0,,0.27,0.92")  # the car at x 0.65 is not labelled
    result = runner.invoke(
        app, ["score", str(out), "-z", str(ZONES), "-t", str(truth), "--require", "precision>=0.95,recall>=0.95"]
    )
    assert result.exit_code == 1
    assert "未达到要求： precision 为 0.5，要求 >= 0.95" in _said(result)  # zh-CN unless --lang en
    assert "lanewatch 评测报告" in (out / "report.md").read_text(encoding="utf-8")
    assert "recall 为" not in _said(result)


def test_eval_checks_truth_files_before_loading_the_detector(tmp_path: Path) -> None:
    truth = _truth(tmp_path, "lot-busy,front-row,soon,,,")
    result = runner.invoke(
        app, ["eval", str(ZONES), "-z", str(ZONES), "-o", str(tmp_path / "o"), "--truth", str(truth)]
    )
    assert result.exit_code == 2
    assert (
        "真值文件" in _said(result)
        and "第 2 行第 3 列（start_s）：应为数字（收到 'soon'）" in _said(result)
        and "loading detector" not in _said(result)
        and "正在加载检测模型" not in _said(result)
    )


def test_eval_truth_for_a_zone_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    truth = _truth(tmp_path, "lot-busy,back-row,0,,,")
    result = runner.invoke(app, ["eval", str(ZONES), "-z", str(ZONES), "-o", str(tmp_path / "o"), "-t", str(truth)])
    assert result.exit_code == 2 and "没有区域 'back-row'" in _said(result)
    english = runner.invoke(
        app, ["eval", str(ZONES), "-z", str(ZONES), "-o", str(tmp_path / "o"), "-t", str(truth), "--lang", "en"]
    )
    assert english.exit_code == 2 and "line 2, column zone: camera 'lot-busy' has no zone 'back-row'" in _said(english)


def test_require_without_truth_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["eval", str(ZONES), "-z", str(ZONES), "-o", str(tmp_path / "o"), "--require", "recall>=1"]
    )
    assert result.exit_code == 2 and "--require needs --truth" in _said(result)


def test_late_after_s_sets_which_alerts_the_report_lists_as_late(tmp_path: Path) -> None:
    """Violation b alerts 2 s after its dwell (17 s for a 15 s dwell from 0 s): late under 1 s, not under the default 5 s."""
    out = _eval_output(tmp_path)
    truth = _truth(tmp_path, "lot-busy,front-row,0,,0.27,0.92", "lot-busy,front-row,0,,0.65,0.93")
    args = ["score", str(out), "-z", str(ZONES), "-t", str(truth), "--lang", "en"]
    assert runner.invoke(app, args).exit_code == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "(more than 5 s)" in report and "late alert:" not in report
    assert runner.invoke(app, [*args, "--late-after-s", "1"]).exit_code == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "(more than 1 s)" in report and "late alert: 2 s after the dwell" in report
    assert "late alert: 0 s" not in report  # violation a alerted as the dwell was up


def test_a_negative_late_after_s_is_refused_before_the_detector(tmp_path: Path) -> None:
    truth = _truth(tmp_path, "lot-busy,front-row,0,,,")
    args = ["eval", str(ZONES), "-z", str(ZONES), "-o", str(tmp_path / "o"), "-t", str(truth), "--late-after-s", "-1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "--late-after-s 不能为负数（收到 -1）" in _said(result)
    assert "正在加载检测模型" not in _said(result)
