"""Picture health on real footage: clips altered with ffmpeg filters mid-way, run through the pipeline.

Each clip is the shared footage's first seconds, healthy until ``FROM_S`` and then blurred, darkened,
covered or turned; the pipeline (with a detector that sees nothing: only the pictures matter) must report that
kind from about ``FROM_S`` in ``health.json``, and the unaltered clips, busy ones included, nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import ClassVar

import pytest

from lanewatch.config import PictureHealthConfig, SourceConfig
from lanewatch.detect.detections import Detections
from lanewatch.events.health_json import write_health_json
from lanewatch.pipeline import CameraSpec, Pipeline
from lanewatch.video.health import SourceState
from lanewatch.video.open_source import open_source
from lanewatch.video.picture_health import PictureHealth

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg command")

CLIP_S = 9
FROM_S = 4
SAMPLE_FPS = 2
# Short clips: judge every sampled frame (the view too), learn the sharpness reference over 2 s, confirm a problem (or its end) over 1.5 s.
SETTINGS = PictureHealthConfig(every_s=0, confirm_s=1.5, reference_s=2, moved_every_s=0)
CLIPS = {
    "aisle": "parking-aisle/lot-aisle.mp4",
    "busy": "parking-aisle/lot-busy.mp4",
    "road": "intel/car-detection.mp4",
}
ALTERED = f"enable='gte(t,{FROM_S})'"
FILTERS = {
    "blurred": f"boxblur=20:{ALTERED}",
    "dark": f"eq=brightness=-0.9:{ALTERED}",
    "dim": f"curves=all='0/0 1/0.08':{ALTERED}",
    "covered": f"drawbox=x=0:y=0:w=iw:h=ih*0.9:color=black:t=fill:{ALTERED}",
    # the camera turned: a window of the scene slides 10% of the width sideways, scaled back to full size
    "moved": f"crop=w=iw*0.8:h=ih*0.8:x='if(gte(t,{FROM_S}),iw*0.1,0)':y=0,scale=trunc(iw/0.8/2)*2:trunc(ih/0.8/2)*2",
}


def turned_at(seconds: float) -> str:
    """The "moved" filter with the turn at `seconds`."""
    return FILTERS["moved"].replace(f"gte(t,{FROM_S})", f"gte(t,{seconds:g})")


class NothingDetector:
    names: ClassVar[dict[int, str]] = {2: "car"}

    def detect(self, images):
        return [Detections([], [], [], []) for _ in images]


def make_clip(footage: Path, out: Path, video_filter: str | None, seconds: float = CLIP_S) -> Path:
    command = ["ffmpeg", "-v", "error", "-y", "-t", f"{seconds:g}", "-i", str(footage), "-an"]
    if video_filter:
        command += ["-vf", video_filter]
    subprocess.run([*command, "-c:v", "libx264", "-preset", "ultrafast", "-g", "12", str(out)], check=True)
    return out


def health_of(clip: Path, out: Path) -> list[dict]:
    """Run the pipeline on ``clip`` and return what ``health.json`` says."""
    health = []
    spec = CameraSpec(SourceConfig(camera="cam", url=str(clip), sample_fps=SAMPLE_FPS, picture=SETTINGS), [])
    Pipeline([spec], NothingDetector(), health_sinks=[health.append]).run()
    write_health_json(out / "health.json", health)
    return json.loads((out / "health.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("clip", "alteration", "kind"),
    [
        ("aisle", "blurred", "blurred"),
        ("busy", "blurred", "blurred"),
        ("aisle", "dark", "dark"),
        ("road", "dim", "dark"),
        ("busy", "covered", "covered"),
        ("road", "covered", "covered"),
        ("aisle", "moved", "moved"),
        ("busy", "moved", "moved"),
    ],
)
def test_an_altered_clip_reports_its_kind_from_when_it_began(footage_dir, tmp_path, clip, alteration, kind) -> None:
    altered = make_clip(footage_dir / CLIPS[clip], tmp_path / "altered.mp4", FILTERS[alteration])
    periods = health_of(altered, tmp_path)
    assert [(p["camera"], p["kind"], p["end_s"]) for p in periods] == [("cam", kind, None)], periods
    assert FROM_S - 0.1 <= periods[0]["start_s"] <= FROM_S + 1 / SAMPLE_FPS + 0.2
    assert periods[0]["detail"]


@pytest.mark.parametrize("clip", sorted(CLIPS))
def test_an_unaltered_clip_reports_nothing(footage_dir, tmp_path, clip) -> None:
    assert health_of(make_clip(footage_dir / CLIPS[clip], tmp_path / "clip.mp4", None), tmp_path) == []


def test_a_cover_taken_away_ends_its_period(footage_dir, tmp_path) -> None:
    cover = "drawbox=x=0:y=0:w=iw:h=ih*0.9:color=black:t=fill:enable='between(t,2,5)'"
    periods = health_of(make_clip(footage_dir / CLIPS["busy"], tmp_path / "clip.mp4", cover), tmp_path)
    assert [p["kind"] for p in periods] == ["covered"]
    assert 1.9 <= periods[0]["start_s"] <= 2.6 and 4.9 <= periods[0]["end_s"] <= 5.6


@pytest.mark.parametrize("clip", ["aisle", "busy"])
def test_a_turned_camera_is_reported_within_6_s_with_the_default_checks(footage_dir, tmp_path, clip) -> None:
    """The district's figure: moved reported within 6 s of the turn, judging every 2 s of stream time.

    Default settings but the reference, learnt over 4 s instead of 60 (the clip is 16 s); the turn at 8 s.
    Measured: reported at 10 s (two view checks 2 s apart), and never on the same clips left alone.
    """
    settings = PictureHealthConfig(reference_s=4)
    for turn_s, expected in ((8.0, True), (None, False)):
        video_filter = turned_at(turn_s) if turn_s is not None else None
        altered = make_clip(footage_dir / CLIPS[clip], tmp_path / f"{clip}.mp4", video_filter, seconds=16)
        judge, reported = PictureHealth(settings), []
        for frame in open_source(SourceConfig(camera="cam", url=str(altered), sample_fps=SAMPLE_FPS)).frames():
            change = judge.check(frame)
            if change is not None:
                reported.append((frame.offset_s, change))
        if not expected:
            assert reported == []
            continue
        [(reported_at, change)] = reported
        assert change.kind is SourceState.MOVED and 8.0 <= change.offset_s <= 8.6
        assert reported_at - turn_s <= 6.0, f"moved reported {reported_at - turn_s:.1f} s after the turn"
