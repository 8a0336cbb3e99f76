"""Picture health: covered, dark and blurred judged from synthetic pictures, and how they become health states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from lanewatch.config import PictureHealthConfig, SourceConfig
from lanewatch.video.frame import Frame
from lanewatch.video.health import HealthMonitor, SourceState
from lanewatch.video.picture_health import PictureHealth, measure

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
FAST = PictureHealthConfig(every_s=0, confirm_s=2, reference_s=3)


def scene(seed: int = 0) -> np.ndarray:
    """A textured, normally lit 360x640 picture: blocks of random brightness with fine noise."""
    rng = np.random.default_rng(seed)
    base = np.repeat(np.repeat(rng.integers(40, 220, size=(36, 64), dtype=np.uint8), 10, axis=0), 10, axis=1)
    noise = rng.normal(0, 6, base.shape)
    grey = np.clip(base + noise, 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def covered(image: np.ndarray, fraction: float = 0.9, value: int = 0) -> np.ndarray:
    out = image.copy()
    out[: int(out.shape[0] * fraction)] = value
    return out


def darkened(image: np.ndarray, gain: float = 0.08) -> np.ndarray:
    return (image * gain).astype(np.uint8)


def blurred(image: np.ndarray) -> np.ndarray:
    return cv2.blur(image, (41, 41))


def frame(image: np.ndarray, offset_s: float) -> Frame:
    return Frame("cam", image, T0 + timedelta(seconds=offset_s), offset_s, int(offset_s * 10))


def grey(image: np.ndarray) -> np.ndarray:
    return cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (320, 180), interpolation=cv2.INTER_AREA)


def judged(judge: PictureHealth, image: np.ndarray) -> SourceState | None:
    return judge.classify(measure(grey(image), judge.config.flat_std))[0]


@pytest.mark.parametrize(
    ("name", "alter", "kind"),
    [
        ("normal", lambda im: im, None),
        ("90% black cover", covered, SourceState.COVERED),
        ("grey cloth over all of it", lambda im: covered(im, 1.0, 128), SourceState.COVERED),
        ("too little light", darkened, SourceState.DARK),
        ("all black (lens cap or no light)", lambda im: covered(im, 1.0, 0), SourceState.DARK),
        ("half covered is still usable", lambda im: covered(im, 0.5), None),
        ("dim but lit enough", lambda im: darkened(im, 0.6), None),
    ],
)
def test_covered_and_dark_need_no_reference(name, alter, kind) -> None:
    assert judged(PictureHealth(FAST), alter(scene())) == kind, name


def test_blur_is_judged_against_the_cameras_own_reference() -> None:
    judge = PictureHealth(FAST)
    assert judged(judge, blurred(scene())) is None  # no reference yet: blur is not judged
    for t in range(5):
        judge.check(frame(scene(t), t))
    assert judge.reference is not None
    assert judged(judge, blurred(scene(9))) == SourceState.BLURRED
    assert judged(judge, scene(9)) is None
    soft = cv2.GaussianBlur(scene(9), (3, 3), 0.6)  # a slightly softer picture is not "blurred"
    assert judged(judge, soft) is None


def shifted(image: np.ndarray, dx: int) -> np.ndarray:
    """The same scene seen by a camera turned sideways by ``dx`` pixels (edge filled by more scene)."""
    return np.roll(image, dx, axis=1)


@pytest.mark.parametrize(("dx", "moved"), [(0, False), (8, False), (64, True), (-96, True)])
def test_a_view_shifted_from_the_reference_is_moved(dx, moved) -> None:
    judge = PictureHealth(PictureHealthConfig(every_s=0, confirm_s=0, moved_confirm_s=0, reference_s=2))
    for t in range(3):
        judge.check(frame(scene(), t))
    assert judge.view is not None and judge.reference is not None
    change = judge.check(frame(shifted(scene(), dx), 3))
    assert (change is not None and change.kind == SourceState.MOVED) is moved
    if moved:
        assert "shifted by" in change.detail


def test_the_view_is_compared_every_moved_every_s_and_its_verdict_holds_in_between() -> None:
    judge = PictureHealth(
        PictureHealthConfig(every_s=0, confirm_s=0, moved_confirm_s=0, reference_s=2, moved_every_s=10)
    )
    for t in range(3):
        judge.check(frame(scene(), t))
    assert judge.check(frame(shifted(scene(), 64), 3)).kind == SourceState.MOVED
    assert judge.check(frame(scene(), 4)) is None  # put back, but not compared again yet
    assert judge.reported == SourceState.MOVED
    assert judge.check(frame(scene(), 13)).kind is None  # compared again: back where it was


def test_a_view_that_matches_nothing_is_not_called_moved_nor_a_featureless_reference_judged() -> None:
    judge = PictureHealth(PictureHealthConfig(every_s=0, confirm_s=0, moved_confirm_s=0, reference_s=2))
    for t in range(3):
        judge.check(frame(scene(0), t))
    assert judge.view is not None
    assert judge.check(frame(scene(7), 3)) is None  # another scene: no shift can be measured (dusk, a lorry)
    smooth = PictureHealth(
        PictureHealthConfig(every_s=0, confirm_s=0, moved_confirm_s=0, reference_s=2, moved_min_features=500)
    )
    for t in range(3):
        smooth.check(frame(scene(0), t))
    assert smooth.view is None  # too few features to judge moved for this camera
    assert smooth.check(frame(scene(7), 3)) is None


def test_the_reference_is_learnt_only_from_healthy_pictures() -> None:
    judge = PictureHealth(FAST)
    for t in range(5):
        judge.check(frame(covered(scene(t)), t))
    assert judge.reference is None


def run(judge: PictureHealth, pictures: list[tuple[float, np.ndarray]]):
    return [(c.kind, c.offset_s) for t, image in pictures if (c := judge.check(frame(image, t))) is not None]


def test_a_problem_is_reported_from_its_first_frame_once_confirmed_and_cleared_the_same_way() -> None:
    timeline = [(t, scene() if t < 6 or t >= 10 else covered(scene())) for t in np.arange(0, 14, 0.5)]
    assert run(PictureHealth(FAST), timeline) == [(SourceState.COVERED, 6.0), (None, 10.0)]


def test_a_problem_shorter_than_confirm_s_is_not_reported() -> None:
    timeline = [(t, covered(scene()) if 4 <= t < 5.5 else scene()) for t in np.arange(0, 10, 0.5)]
    assert run(PictureHealth(FAST), timeline) == []


def test_frames_closer_than_every_s_are_not_judged() -> None:
    judge = PictureHealth(PictureHealthConfig(every_s=5, confirm_s=0))
    assert judge.check(frame(covered(scene()), 0)) is not None
    assert judge.check(frame(scene(), 1)) is None  # skipped, though the picture is healthy again
    assert judge.check(frame(scene(), 5)).kind is None


def test_disabled_judges_nothing() -> None:
    judge = PictureHealth(PictureHealthConfig(enabled=False, confirm_s=0))
    assert judge.check(frame(covered(scene()), 0)) is None


@pytest.mark.parametrize(
    "settings", [{"blurred_ratio": 1.5}, {"covered_fraction": 0}, {"dark_mean": -1}, {"confirm_s": -1}, {"typo": 1}]
)
def test_bad_settings_are_refused(settings) -> None:
    with pytest.raises(ValidationError):
        PictureHealthConfig(**settings)


def test_settings_sit_under_each_camera() -> None:
    source = SourceConfig(camera="gate", url="x.mp4", picture={"confirm_s": 5})
    assert source.picture.confirm_s == 5 and source.picture.blurred_ratio == PictureHealthConfig().blurred_ratio


def test_measure_refuses_what_is_not_a_grey_picture() -> None:
    with pytest.raises(ValueError, match="uint8 grey"):
        measure(np.zeros((180, 320, 3), np.uint8), 1.0)
    with pytest.raises(ValueError, match="smaller than one"):
        measure(np.zeros((10, 320), np.uint8), 1.0)


# --- into HealthMonitor ---------------------------------------------------------------------------


def test_a_picture_problem_is_a_state_with_a_start_and_an_end() -> None:
    monitor = HealthMonitor("cam", frozen_after_s=30)
    monitor.on_frame(frame(scene(0), 0))
    monitor.on_picture(SourceState.COVERED, T0 + timedelta(seconds=4), "90% flat", 4.0)
    monitor.on_frame(frame(scene(1), 5))  # frames keep coming: still covered, no new event
    monitor.on_picture(None, T0 + timedelta(seconds=9), "picture healthy again", 9.0)
    events = monitor.drain_events()
    assert [(e.state, e.offset_s) for e in events] == [
        (SourceState.ONLINE, 0.0),
        (SourceState.COVERED, 4.0),
        (SourceState.ONLINE, 9.0),
    ]
    assert events[1].detail == "90% flat" and events[1].at == T0 + timedelta(seconds=4)


def test_a_still_black_picture_stays_dark_rather_than_turning_frozen() -> None:
    monitor = HealthMonitor("cam", frozen_after_s=3)
    black = covered(scene(), 1.0)
    monitor.on_frame(frame(black, 0))
    monitor.on_picture(SourceState.DARK, T0, "no light", 0.0)
    for t in range(1, 10):
        monitor.on_frame(frame(black, t))
    assert monitor.state == SourceState.DARK
    monitor.on_picture(None, T0 + timedelta(seconds=10), "picture healthy again", 10.0)
    monitor.on_frame(frame(black, 11))  # healthy by the judge, but unchanged for 11 s: now frozen
    assert [e.state for e in monitor.drain_events()] == [
        SourceState.ONLINE,
        SourceState.DARK,
        SourceState.ONLINE,
        SourceState.FROZEN,
    ]


def test_offline_wins_and_the_problem_returns_with_the_frames() -> None:
    monitor = HealthMonitor("cam", frozen_after_s=30)
    monitor.on_frame(frame(scene(0), 0))
    monitor.on_disconnect(T0 + timedelta(seconds=1), "connection reset")
    monitor.on_picture(SourceState.BLURRED, T0 + timedelta(seconds=2), "sharpness 5% of the reference", 2.0)
    assert monitor.state == SourceState.OFFLINE
    monitor.on_frame(frame(scene(1), 3))
    assert monitor.state == SourceState.BLURRED


def test_only_picture_states_are_picture_problems() -> None:
    with pytest.raises(ValueError, match="not a picture problem"):
        HealthMonitor("cam", frozen_after_s=3).on_picture(SourceState.FROZEN, T0, "x", 0.0)


def test_a_move_is_confirmed_over_moved_confirm_s_and_cleared_over_confirm_s() -> None:
    """A knocked camera is reported within seconds; being put back must hold as long as any other problem's end."""
    settings = PictureHealthConfig(every_s=0, confirm_s=10, moved_confirm_s=2, reference_s=2, moved_every_s=0)
    judge = PictureHealth(settings)
    for t in range(3):
        judge.check(frame(scene(), t))
    assert judge.check(frame(shifted(scene(), 64), 3)) is None
    assert judge.check(frame(shifted(scene(), 64), 4)) is None  # 1 s: not yet
    change = judge.check(frame(shifted(scene(), 64), 5))
    assert change is not None and change.kind == SourceState.MOVED and change.offset_s == 3
    assert judge.check(frame(scene(), 6)) is None and judge.check(frame(scene(), 10)) is None
    cleared = judge.check(frame(scene(), 16))
    assert cleared is not None and cleared.kind is None and cleared.offset_s == 6
