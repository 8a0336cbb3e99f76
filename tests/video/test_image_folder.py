"""ImageFolderSource: snapshot folders ordered and timed by file name or mtime."""

from __future__ import annotations

import logging
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lanewatch.config import SourceConfig
from lanewatch.video import ImageFolderSource, SourceError
from lanewatch.video.image_folder import pattern_regex

PKLOT_TIMES = [
    "2013-02-24 10:05:04",
    "2013-02-24 10:35:04",
    "2013-02-24 11:30:05",
    "2013-02-24 15:10:09",
    "2013-02-24 17:55:12",
]


@pytest.fixture(scope="module")
def pklot(footage_dir: Path) -> Path:
    return footage_dir / "pklot-ufpr05" / "sequence0" / "frames"


def config(folder: Path, **overrides: object) -> SourceConfig:
    return SourceConfig(camera="lot", url=str(folder), **overrides)


@pytest.mark.parametrize("zone", ["UTC", "America/Sao_Paulo"])
def test_pklot_sequence_in_capture_order(pklot: Path, zone: str) -> None:
    source = ImageFolderSource(config(pklot, timezone=zone))
    frames = list(source.frames())
    expected = [datetime.fromisoformat(t).replace(tzinfo=ZoneInfo(zone)) for t in PKLOT_TIMES]
    assert [f.timestamp for f in frames] == expected
    assert [f.offset_s for f in frames] == [(t - expected[0]).total_seconds() for t in expected]
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert frames[0].image.shape == (720, 1280, 3)
    assert source.frame_size == (1280, 720) and source.errors == 0


def test_sampling_applies_to_capture_times(pklot: Path, tmp_path: Path) -> None:
    image = next(pklot.iterdir())
    for second in range(6):  # one snapshot a second
        shutil.copy(image, tmp_path / f"cam_2024-05-01_08_00_{second:02d}.jpg")
    frames = list(ImageFolderSource(config(tmp_path, sample_fps=0.5)).frames())
    assert [f.offset_s for f in frames] == [0.0, 2.0, 4.0]


def test_mtime_orders_files_without_a_time_in_the_name(pklot: Path, tmp_path: Path) -> None:
    image = next(pklot.iterdir())
    base = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    for name, minutes in [("a.jpg", 20), ("b.JPG", 0), ("c.jpeg", 10)]:
        shutil.copy(image, tmp_path / name)
        stamp = (base + timedelta(minutes=minutes)).timestamp()
        os.utime(tmp_path / name, (stamp, stamp))
    (tmp_path / "notes.txt").write_text("ignored")
    frames = list(ImageFolderSource(config(tmp_path)).frames())
    assert [f.timestamp for f in frames] == [base, base + timedelta(minutes=10), base + timedelta(minutes=20)]
    assert [f.offset_s for f in frames] == [0.0, 600.0, 1200.0]


def test_corrupt_image_is_skipped_logged_and_counted(
    pklot: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = sorted(pklot.iterdir())
    shutil.copy(good[0], tmp_path / "2013-02-24_10_05_04.jpg")
    (tmp_path / "2013-02-24_10_20_00.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is no jpeg")
    shutil.copy(good[1], tmp_path / "2013-02-24_10_35_04.jpg")
    source = ImageFolderSource(config(tmp_path))
    with caplog.at_level(logging.WARNING):
        frames = list(source.frames())
    assert [f.timestamp.strftime("%H:%M:%S") for f in frames] == ["10:05:04", "10:35:04"]
    assert source.errors == 1
    assert "2013-02-24_10_20_00.jpg" in caplog.text


@pytest.mark.parametrize(
    ("stem", "pattern", "expected"),
    [
        ("2013-02-24_10_05_04", "%Y-%m-%d_%H_%M_%S", "2013-02-24 10:05:04"),
        ("cam1_20240501083000_ch2", "%Y%m%d%H%M%S", "2024-05-01 08:30:00"),
        ("snap 2024-05-01T08.30.00+0200 x", "%Y-%m-%dT%H.%M.%S%z", "2024-05-01 08:30:00+02:00"),
        ("Front 01-May-2024 8h05", "%d-%b-%Y %Hh%M", "2024-05-01 08:05:00"),
        ("IMG_0001", "%Y-%m-%d_%H_%M_%S", None),
    ],
)
def test_file_name_patterns(stem: str, pattern: str, expected: str | None) -> None:
    match = pattern_regex(pattern).search(stem)
    if expected is None:
        assert match is None
    else:
        assert match is not None
        assert datetime.strptime(match.group(0), pattern) == datetime.fromisoformat(expected)


@pytest.mark.parametrize(
    ("make", "overrides", "message"),
    [
        (lambda p: None, {}, "does not exist"),
        (lambda p: p.mkdir(), {}, "no .*images"),
        (lambda p: p.mkdir(), {"filename_pattern": "%Y-%Q"}, "unsupported directive %Q"),
    ],
)
def test_unusable_folders_raise_source_error(
    tmp_path: Path,
    make,
    overrides: dict[str, object],  # type: ignore[no-untyped-def]
    message: str,
) -> None:
    folder = tmp_path / "snaps"
    make(folder)
    with pytest.raises(SourceError, match=message):
        list(ImageFolderSource(config(folder, **overrides)).frames())
