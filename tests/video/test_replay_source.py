"""A file replayed as a live camera: real-time pacing, continuous stream clock across loops."""

from __future__ import annotations

import time

from lanewatch.config import SourceConfig
from lanewatch.video.open_source import open_source
from lanewatch.video.replay_source import ReplaySource


def test_replay_loops_in_real_time_with_increasing_offsets(footage_dir) -> None:
    config = SourceConfig(
        camera="demo",
        url=str(footage_dir / "parking-aisle" / "lot-busy.mp4"),
        sample_fps=4,
        replay=True,
        duration_s=2.5,
    )
    source = open_source(config)
    assert isinstance(source, ReplaySource) and source.live
    started = time.monotonic()
    frames = list(source.frames())
    elapsed = time.monotonic() - started
    assert 2.0 <= elapsed < 6.0  # paced to the wall clock, not decoded as fast as possible
    offsets = [f.offset_s for f in frames]
    assert offsets == sorted(offsets) and len(frames) >= 9
    assert all(f.timestamp.tzinfo is not None for f in frames)


def test_replay_continues_the_clock_when_the_file_loops(footage_dir, tmp_path) -> None:
    import subprocess

    short = tmp_path / "short.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(footage_dir / "parking-aisle" / "lot-busy.mp4"),
            "-t",
            "1",
            "-c",
            "copy",
            str(short),
        ],
        check=True,
    )
    source = open_source(SourceConfig(camera="demo", url=str(short), sample_fps=4, replay=True, duration_s=2.6))
    offsets = [f.offset_s for f in source.frames()]
    assert offsets == sorted(offsets) and len(offsets) >= 8  # two passes over a 1 s file
    assert len(set(offsets)) == len(offsets)
