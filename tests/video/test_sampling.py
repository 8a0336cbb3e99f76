"""StreamTimeSampler: analysed frames are chosen by stream time, not by frame count."""

from __future__ import annotations

import itertools
import random

import pytest

from lanewatch.video.sampling import StreamTimeSampler


def taken(sample_fps: float, offsets: list[float]) -> list[float]:
    sampler = StreamTimeSampler(sample_fps)
    return [t for t in offsets if sampler.take(t)]


def steady(fps: float, start: float, end: float) -> list[float]:
    return [start + i / fps for i in range(round((end - start) * fps))]


@pytest.mark.parametrize(
    ("source_fps", "sample_fps", "seconds", "expected"),
    [
        (24, 1, 20, [float(s) for s in range(20)]),
        (30, 2, 3, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]),
        (25, 0.5, 10, [0.0, 2.0, 4.0, 6.0, 8.0]),
        (5, 10, 1, [0.0, 0.2, 0.4, 0.6, 0.8]),  # asking for more than the source has: every frame
        (1, 1, 5, [0.0, 1.0, 2.0, 3.0, 4.0]),
    ],
)
def test_steady_stream_takes_one_frame_per_slot(
    source_fps: float, sample_fps: float, seconds: float, expected: list[float]
) -> None:
    assert taken(sample_fps, steady(source_fps, 0, seconds)) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("sample_fps", "jitter_s"), [(1, 0.015), (2, 0.03), (0.5, 0.1)])
def test_jitter_does_not_drift_or_double(sample_fps: float, jitter_s: float) -> None:
    rng = random.Random(7)
    offsets = sorted(max(0.0, t + rng.uniform(-jitter_s, jitter_s)) for t in steady(25, 0, 60))
    got = taken(sample_fps, offsets)
    interval = 1 / sample_fps
    assert len(got) == pytest.approx(60 * sample_fps, abs=1)
    gaps = [b - a for a, b in itertools.pairwise(got)]
    slack = 1 / 25 + 2 * jitter_s
    assert min(gaps) >= interval - slack
    assert max(gaps) <= interval + slack


@pytest.mark.parametrize("sample_fps", [1, 2, 0.25])
def test_gap_does_not_cause_a_catch_up_burst(sample_fps: float) -> None:
    offsets = steady(25, 0, 5) + steady(25, 12.3, 20)
    got = taken(sample_fps, offsets)
    interval = 1 / sample_fps
    after_gap = [t for t in got if t >= 12.3]
    assert after_gap[0] == pytest.approx(12.3)  # the first frame after the gap is analysed
    assert min(b - a for a, b in itertools.pairwise(got)) >= interval - 1 / 25
    assert len(after_gap) == pytest.approx((20 - 12.3) * sample_fps, abs=1)


def test_clock_running_backwards_re_anchors() -> None:
    offsets = steady(10, 0, 10) + steady(10, 0, 3)  # a stream that restarted its PTS
    assert taken(1, offsets) == pytest.approx([float(s) for s in range(10)] + [0.0, 1.0, 2.0])


def test_float_noise_just_before_a_slot_counts_as_on_time() -> None:
    # Keyframes every 2 s whose PTS land a hair before the slot: all must be taken.
    offsets = [0.0, 1.9999999, 3.9999998, 5.9999997]
    assert taken(0.5, offsets) == offsets


def test_reset_takes_the_next_frame() -> None:
    sampler = StreamTimeSampler(1)
    assert sampler.take(0.0) and not sampler.take(0.5)
    sampler.reset()
    assert sampler.take(0.6)


@pytest.mark.parametrize("bad_fps", [0, -1])
def test_rejects_non_positive_rate(bad_fps: float) -> None:
    with pytest.raises(ValueError):
        StreamTimeSampler(bad_fps)


def test_keyframe_cadence_jittering_around_the_interval_keeps_every_look() -> None:
    """Decoding key frames only, a 2 s GOP measured at 1.984–2.002 s must give one look per key frame."""
    sampler = StreamTimeSampler(0.5)
    sampler.early_s = 0.05 * 2.0  # what the source sets while decoding key frames only
    t, taken = 0.0, 0
    for step in [1.984, 2.002, 1.99, 1.984, 2.0, 1.984, 2.002, 1.99]:
        taken += sampler.take(t)
        t += step
    assert taken == 8


def test_due_says_what_take_will_do_without_changing_the_grid() -> None:
    """Key frames are judged by `due` before they are decoded: it must agree with `take`, and asking twice
    must not move the grid (jitter, gaps and a clock that jumps back included)."""
    rng = random.Random(7)
    sampler = StreamTimeSampler(0.5)
    sampler.early_s = 0.1
    t = 0.0
    for _ in range(500):
        t += rng.choice([0.04, 0.5, 1.0, 1.95, 2.0, 2.05, 4.3, 9.0, -7.0])
        assert sampler.due(t) == sampler.due(t) == sampler.take(t)
