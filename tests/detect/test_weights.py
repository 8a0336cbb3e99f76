"""The weights search order, and that a named path never silently falls back to a download."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanewatch.detect.weights import DOWNLOAD_NAME, WEIGHTS_ENV, WeightsNotFoundError, resolve_weights


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "weights"
    d.mkdir()
    return d


def test_explicit_path_wins_over_env_and_folder(tmp_path, folder, monkeypatch) -> None:
    explicit = tmp_path / "mine.pt"
    explicit.write_bytes(b"x")
    env = tmp_path / "env.pt"
    env.write_bytes(b"x")
    (folder / "local.pt").write_bytes(b"x")
    monkeypatch.setenv(WEIGHTS_ENV, str(env))
    assert resolve_weights(explicit, weights_dir=folder) == str(explicit)


def test_env_wins_over_folder(tmp_path, folder, monkeypatch) -> None:
    env = tmp_path / "env_openvino_model"
    env.mkdir()
    (folder / "local.pt").write_bytes(b"x")
    monkeypatch.setenv(WEIGHTS_ENV, str(env))
    assert resolve_weights(None, weights_dir=folder) == str(env)


def test_folder_prefers_openvino_export(folder, monkeypatch) -> None:
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    (folder / "a.pt").write_bytes(b"x")
    (folder / "yolo11n_int8_openvino_model").mkdir()
    (folder / "README.md").write_text("not a model")
    assert resolve_weights(None, weights_dir=folder) == str(folder / "yolo11n_int8_openvino_model")


def test_download_name_only_when_nothing_is_configured(folder, monkeypatch) -> None:
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    (folder / "README.md").write_text("docs only")
    assert resolve_weights(None, weights_dir=folder) == DOWNLOAD_NAME


@pytest.mark.parametrize("origin", ["explicit", "env"])
def test_missing_named_weights_is_an_error_naming_the_origin(tmp_path, folder, monkeypatch, origin) -> None:
    missing = tmp_path / "typo.pt"
    if origin == "env":
        monkeypatch.setenv(WEIGHTS_ENV, str(missing))
    with pytest.raises(WeightsNotFoundError, match=r"typo\.pt") as info:
        resolve_weights(missing if origin == "explicit" else None, weights_dir=folder)
    assert ("--weights" if origin == "explicit" else WEIGHTS_ENV) in str(info.value)
