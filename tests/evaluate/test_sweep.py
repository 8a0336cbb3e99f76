"""--sweep: combinations read up front, the best named by its score."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lanewatch.cli import app
from lanewatch.evaluate.sweep import best_index, folder_name, parse_sweep, write_sweep

REPO = Path(__file__).resolve().parents[2]
ZONES = REPO / "zones" / "lot-busy.json"


def _score(p: float, r: float, p95: float | None = 1.0) -> dict:
    return {
        "precision": p,
        "recall": r,
        "true_positives": 3,
        "false_positives": 0,
        "false_negatives": 0,
        "duplicates": 0,
        "false_alert_minutes": 0.0,
        "time_to_alert_s": {"p50": p95, "p95": p95, "max": p95},
    }


def test_every_combination_in_the_order_given() -> None:
    combos = parse_sweep(["imgsz=640,960", "confidence=0.2,0.3", "gate=false"])
    assert combos == [
        {"imgsz": 640, "confidence": 0.2, "gate": False},
        {"imgsz": 640, "confidence": 0.3, "gate": False},
        {"imgsz": 960, "confidence": 0.2, "gate": False},
        {"imgsz": 960, "confidence": 0.3, "gate": False},
    ]
    assert folder_name(combos[1]) == "imgsz-640_confidence-0.3_gate-false"
    assert parse_sweep([]) == [{}]


@pytest.mark.parametrize(
    "spec, problem",
    [
        ("imgsz", "cannot read 'imgsz'"),
        ("weights=a,b", "'weights' cannot be swept"),
        ("imgsz=640,big", "'big' is not a whole number"),
        ("confidence=0.2,high", "'high' is not a number"),
        ("gate=maybe", "'maybe' is not true/false"),
    ],
)
def test_unreadable_sweeps_are_errors(spec: str, problem: str, english) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_sweep([spec])


@pytest.mark.parametrize(
    "specs, problem",
    [
        (["imgsz"], "--sweep：无法读取 'imgsz'；应写成 名称=值1,值2"),
        (["weights=a,b"], "--sweep：'weights' 不能扫描（可扫描的设置：imgsz, confidence"),
        (["imgsz=640,big"], "--sweep imgsz：'big' 不是整数"),
        (["confidence=high"], "--sweep confidence：'high' 不是数字"),
        (["gate=maybe"], "--sweep gate：'maybe' 不是 true/false"),
        (["imgsz=640", "imgsz=960"], "--sweep：imgsz 给出了两次"),
    ],
)
def test_sweep_errors_are_in_chinese_by_default(specs: list[str], problem: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_sweep(specs)
    assert problem in str(err.value)


def test_the_best_has_the_highest_f1_then_recall_then_the_quickest_alerts() -> None:
    assert best_index([_score(1.0, 0.5), _score(0.8, 0.8), _score(0.5, 1.0)]) == 1
    assert best_index([_score(0.9, 0.8), _score(0.8, 0.9)]) == 1  # same F1: recall first
    assert best_index([_score(1, 1, 4.0), _score(1, 1, 2.0), _score(1, 1, None)]) == 1


def test_sweep_csv_has_a_row_per_combination(tmp_path: Path) -> None:
    combos = parse_sweep(["imgsz=640,960"])
    path, png, best = write_sweep(tmp_path, combos, [_score(0.5, 0.5), _score(1.0, 0.9)])
    rows = list(csv.DictReader(path.open()))
    assert [(r["imgsz"], r["precision"], r["f1"], r["folder"]) for r in rows] == [
        ("640", "0.5", "0.5", "sweep/imgsz-640"),
        ("960", "1.0", "0.9474", "sweep/imgsz-960"),
    ]
    assert best == 1 and png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "extra, problem",
    [(["--sweep", "imgsz=640,960"], "--sweep needs --truth"), (["--sweep", "iou=0.5"], "'iou' cannot be swept")],
)
def test_eval_sweep_errors_come_before_any_detector(tmp_path: Path, extra: list[str], problem: str) -> None:
    truth = tmp_path / "t.csv"
    truth.write_text("camera,zone,start_s,end_s\nlot-busy,front-row,0,\n")
    args = ["eval", str(ZONES), "-z", str(ZONES), "-o", str(tmp_path / "o"), "--lang", "en", *extra]
    if "iou" in extra[1]:
        args += ["--truth", str(truth)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and problem in " ".join(result.output.split())
    assert "loading detector" not in result.output and "正在加载检测模型" not in result.output
