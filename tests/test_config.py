"""Service settings: defaults < YAML file < LANEWATCH_* environment; clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanewatch.config import SourceConfig, load_settings


def test_defaults_without_file_or_environment(monkeypatch) -> None:
    for name in ("LANEWATCH_PORT", "LANEWATCH_DATABASE_URL", "LANEWATCH_DATA_DIR", "LANEWATCH_DETECTOR__IMGSZ"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.port == 8080 and settings.detector.imgsz == 960
    assert settings.resolved_database_url.startswith("sqlite:///") and settings.resolved_database_url.endswith(
        "data/lanewatch.db"
    )


def test_a_camera_looks_once_every_2_s_unless_told() -> None:
    source = SourceConfig(camera="gate", url="rtsp://10.0.0.7/stream1")
    assert source.sample_fps == 0.5 and source.decode == "auto"  # at a 1-2 s GOP: key frames only
    assert SourceConfig(camera="gate", url="rtsp://10.0.0.7/stream1", sample_fps=2).sample_fps == 2


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "lanewatch.yaml"
    config.write_text("port: 9000\ndetector:\n  imgsz: 1280\n  confidence: 0.4\nlooks:\n  refresh_s: 60\n")
    monkeypatch.setenv("LANEWATCH_PORT", "9100")
    monkeypatch.setenv("LANEWATCH_DETECTOR__IMGSZ", "640")
    settings = load_settings(config)
    assert settings.port == 9100 and settings.detector.imgsz == 640  # environment wins
    assert settings.detector.confidence == 0.4 and settings.looks.refresh_s == 60  # the file's own values


def test_the_example_config_is_valid() -> None:
    settings = load_settings(Path(__file__).resolve().parents[1] / "lanewatch.example.yaml")
    assert settings.webhooks.max_attempts == 50
    assert settings.alarms.gb26875.port == 9026 and not settings.alarms.mqtt.enabled  # the alarm section reads too


@pytest.mark.parametrize(
    "text, problem",
    [
        ("port: [1]\n", "port"),
        ("detectr:\n  imgsz: 640\n", "detectr"),
        ("detector:\n  imgsz: 100\n", "detector.imgsz"),
        ("- a\n- b\n", "mapping"),
        ("port: 80\n  bad: indent\n", "cannot read"),
    ],
)
def test_bad_files_are_explained(tmp_path: Path, text: str, problem: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    with pytest.raises(ValueError, match=problem):
        load_settings(config)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not found"):
        load_settings(tmp_path / "nope.yaml")
