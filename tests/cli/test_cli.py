"""Command-line parsing and the errors a user sees before anything heavy loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lanewatch.cli import _default_camera_id, app, build_cameras, parse_source
from lanewatch.zones.zone_file import parse_zone_file

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("a.mp4", (None, "a.mp4")),
        ("gate=a.mp4", ("gate", "a.mp4")),
        ("rtsp://h:554/s?user=x&password=y", (None, "rtsp://h:554/s?user=x&password=y")),
        ("cam-2=rtsp://u:p@h/s", ("cam-2", "rtsp://u:p@h/s")),
        ("/data/x=y/clip.mp4", (None, "/data/x=y/clip.mp4")),
    ],
)
def test_parse_source(spec, expected) -> None:
    assert parse_source(spec) == expected


@pytest.mark.parametrize(
    "url, camera",
    [
        ("../footage/lot-busy.mp4", "lot-busy"),
        ("rtsp://127.0.0.1:8554/gate-3", "gate-3"),
        ("/snapshots/north/", "north"),
        ("rtsp://h/live.sdp?x=1", "live"),
    ],
)
def test_default_camera_ids(url, camera) -> None:
    assert _default_camera_id(url) == camera


def _zf(camera: str):
    return parse_zone_file({"camera": camera, "zones": [{"id": "z", "name": "Z", "polygon": [[0, 0], [1, 0], [1, 1]]}]})


def test_single_source_takes_the_zone_files_camera() -> None:
    [spec] = build_cameras(["clip.mp4"], [_zf("gate")])
    assert spec.source.camera == "gate" and spec.source.url == "clip.mp4"


def test_several_sources_pair_with_zone_files_by_camera_id() -> None:
    specs = build_cameras(["gate=a.mp4", "b.mp4"], [_zf("gate"), _zf("b")], sample_fps=2.0)
    assert [(s.source.camera, s.source.url, s.source.sample_fps) for s in specs] == [
        ("gate", "a.mp4", 2.0),
        ("b", "b.mp4", 2.0),
    ]


def test_source_without_zone_file_is_explained() -> None:
    with pytest.raises(typer.BadParameter, match=r"没有摄像头“c”的防区文件.*gate"):  # zh-CN by default
        build_cameras(["gate=a.mp4", "c.mp4"], [_zf("gate")])


def test_eval_with_an_invalid_zone_file_exits_2_naming_the_problem(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {"camera": "x", "zones": [{"id": "bow", "name": "Bowtie", "polygon": [[0, 0], [1, 1], [1, 0], [0, 1]]}]}
        )
    )
    result = runner.invoke(app, ["eval", "x.mp4", "--zones", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "bow" in result.output and "self-intersecting" in result.output


def test_eval_with_a_missing_source_fails_cleanly(tmp_path) -> None:
    result = runner.invoke(
        app,
        [
            "eval",
            str(tmp_path / "nope.mp4"),
            "--zones",
            str(REPO / "zones" / "lot-busy.json"),
            "--out",
            str(tmp_path / "o"),
            "--weights",
            str(tmp_path / "none.pt"),
        ],
    )
    assert result.exit_code != 0
    assert "source not found" in result.output and "nope.mp4" in result.output
    assert (
        "loading detector" not in result.output and "正在加载检测模型" not in result.output
    )  # checked before the slow part


def test_zones_check_reports_each_file() -> None:
    good = runner.invoke(app, ["zones", "check", str(REPO / "zones" / "lot-busy.json")])
    assert good.exit_code == 0 and "1 个防区" in good.output  # zh-CN unless the config says otherwise


def test_eval_with_missing_weights_fails_cleanly(tmp_path) -> None:
    result = runner.invoke(
        app,
        [
            "eval",
            str(REPO / "zones" / "lot-busy.json"),
            "--zones",
            str(REPO / "zones" / "lot-busy.json"),
            "--out",
            str(tmp_path / "o"),
            "--weights",
            str(tmp_path / "none.pt"),
        ],
    )
    assert result.exit_code == 2
    assert "weights from --weights not found" in result.output
