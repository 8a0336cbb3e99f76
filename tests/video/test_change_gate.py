"""ChangeGate: skip inference on looks whose lanes did not change, on synthetic and real footage."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import av
import cv2
import numpy as np
import pytest

from lanewatch.video.change_gate import ChangeGate, GateDecision

W, H = 640, 360


def rect_px(x1: float, y1: float, x2: float, y2: float, size: tuple[int, int] = (W, H)) -> np.ndarray:
    """A rectangle given in frame fractions, as int32 pixel corners (like PolygonZone.polygon)."""
    w, h = size
    return np.round(np.array([(x1, y1), (x2, y1), (x2, y2), (x1, y2)]) * (w, h)).astype(np.int32)


# Two lanes side by side across the bottom 30 % of the frame.
ZONES = [rect_px(0.0, 0.7, 0.5, 1.0), rect_px(0.5, 0.7, 1.0, 1.0)]


def scene(seed: int = 1) -> np.ndarray:
    """A textured BGR 'car park': smooth blobs of grey 60–160 (no clipping when brightened 50 %)."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(60, 160, size=(18, 32, 3)).astype(np.float32)
    image = cv2.resize(coarse, (W, H), interpolation=cv2.INTER_CUBIC)
    return np.clip(image, 60, 160).astype(np.uint8)


def with_noise(image: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(image + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)


def with_box(image: np.ndarray, x1: int, y1: int, x2: int, y2: int, colour=(30, 30, 200)) -> np.ndarray:
    out = image.copy()
    cv2.rectangle(out, (x1, y1), (x2 - 1, y2 - 1), colour, thickness=-1)
    return out


def brighter(image: np.ndarray, gain: float) -> np.ndarray:
    return np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def primed(**kwargs) -> tuple[ChangeGate, np.ndarray]:
    """A gate whose reference is the base scene, inferred at t=0."""
    gate = ChangeGate(ZONES, (W, H), **kwargs)
    base = scene()
    assert gate.decide(base, 0.0) == GateDecision(True, "first")
    gate.mark_inferred(base, 0.0)
    return gate, base


# --- one look against the reference -------------------------------------------------------------

# Each case: how the next look is made from the base scene, and what the gate must say.
LOOKS: list[tuple[str, Callable[[np.ndarray], np.ndarray], str, tuple[int, ...]]] = [
    ("identical", lambda im: im, "unchanged", ()),
    ("sensor noise sigma 3", lambda im: with_noise(im, 3, seed=5), "unchanged", ()),
    ("sensor noise sigma 5", lambda im: with_noise(im, 5, seed=6), "unchanged", ()),
    ("exposure +15 %", lambda im: brighter(im, 1.15), "unchanged", ()),
    ("exposure -15 %", lambda im: brighter(im, 0.85), "unchanged", ()),
    ("exposure +15 % and noise", lambda im: with_noise(brighter(im, 1.15), 3, seed=7), "unchanged", ()),
    # a parked-car-sized block (about 4 % of the frame) in the right lane
    ("car in right lane", lambda im: with_box(im, 420, 270, 560, 330), "changed", (1,)),
    # a small car, 1 % of the frame (64 x 36 px), in the left lane; grey, so only brightness differs
    ("small car in left lane", lambda im: with_box(im, 100, 300, 164, 336, (40, 40, 40)), "changed", (0,)),
    (
        "cars in both lanes",
        lambda im: with_box(with_box(im, 100, 300, 164, 336), 420, 270, 560, 330),
        "changed",
        (0, 1),
    ),
    # a car straddling the left lane's top border: half of it outside the lane still counts
    ("car entering across the border", lambda im: with_box(im, 100, 236, 164, 260), "changed", (0,)),
    ("big change outside the lanes", lambda im: with_box(im, 0, 0, W, 220, (250, 250, 250)), "unchanged", ()),
    ("car just above the lanes", lambda im: with_box(im, 200, 150, 330, 235), "unchanged", ()),
]


@pytest.mark.parametrize(("make", "reason", "zones"), [c[1:] for c in LOOKS], ids=[c[0] for c in LOOKS])
def test_one_look_against_the_reference(make, reason: str, zones: tuple[int, ...]) -> None:
    gate, base = primed()
    decision = gate.decide(make(base), 1.0)
    assert (decision.reason, decision.changed_zones) == (reason, zones), decision.fractions
    assert decision.infer == (reason != "unchanged")


@pytest.mark.parametrize(("grey", "changed"), [(40, True), (200, True), (110, False)])
def test_small_low_contrast_car_in_a_lane_covering_the_frame(grey: int, changed: bool) -> None:
    """1 % of the frame (64 x 36 px) in a zone over the whole frame: about 1 % of the mask changes."""
    gate = ChangeGate([rect_px(0, 0, 1, 1)], (W, H))
    base = np.full((H, W, 3), 110, np.uint8)
    base = with_noise(base, 3, seed=1)
    gate.mark_inferred(base, 0.0)
    decision = gate.decide(with_noise(with_box(base, 300, 150, 364, 186, (grey,) * 3), 3, seed=2), 1.0)
    assert decision.infer == changed, decision.fractions


def test_slow_brightening_over_twenty_skipped_looks_stays_unchanged() -> None:
    gate, base = primed()
    decisions = [gate.decide(with_noise(brighter(base, 1.02**k), 3, seed=k), float(k)) for k in range(1, 21)]
    assert [d.reason for d in decisions] == ["unchanged"] * 20, [max(d.fractions) for d in decisions]
    assert (gate.looks, gate.inferred, gate.skipped) == (21, 1, 20)


# --- sequences: the clock and the reference -----------------------------------------------------


def test_first_look_infers_and_refresh_comes_after_refresh_s() -> None:
    gate = ChangeGate(ZONES, (W, H), refresh_s=30.0)
    base = scene()
    reasons = []
    for t in range(0, 70, 5):
        decision = gate.decide(base, float(t))
        reasons.append((t, decision.reason))
        if decision.infer:
            gate.mark_inferred(base, float(t))
    assert reasons == [
        (0, "first"),
        (5, "unchanged"),
        (10, "unchanged"),
        (15, "unchanged"),
        (20, "unchanged"),
        (25, "unchanged"),
        (30, "refresh"),
        (35, "unchanged"),
        (40, "unchanged"),
        (45, "unchanged"),
        (50, "unchanged"),
        (55, "unchanged"),
        (60, "refresh"),
        (65, "unchanged"),
    ]
    assert (gate.looks, gate.inferred, gate.skipped) == (14, 3, 11)


def test_clock_running_backwards_refreshes() -> None:
    gate, base = primed()
    gate.mark_inferred(base, 100.0)
    assert gate.decide(base, 50.0).reason == "refresh"


def test_decide_does_not_move_the_reference() -> None:
    gate, base = primed()
    car = with_box(base, 420, 270, 560, 330)
    assert [gate.decide(car, t).reason for t in (1.0, 2.0, 3.0)] == ["changed"] * 3
    gate.mark_inferred(car, 3.0)
    assert gate.decide(car, 4.0).reason == "unchanged"
    assert gate.decide(base, 5.0).changed_zones == (1,)  # the car leaving is a change too


def creeping_shadow(base: np.ndarray, step: int) -> np.ndarray:
    """A parked car's shadow growing 1 px to the right per look across the right lane, 35 % darker."""
    out = base.copy()
    x2 = 330 + step
    out[252:H, 330:x2] = (out[252:H, 330:x2] * 0.65).astype(np.uint8)
    return out


@pytest.mark.parametrize(("mark_every_look", "first_change"), [(False, range(2, 15)), (True, None)])
def test_slow_creep_accumulates_against_the_reference(mark_every_look: bool, first_change) -> None:
    """Comparing with the last *inferred* look catches what look-to-look differences never show."""
    gate, base = primed(refresh_s=1e9)
    changed_at = None
    for step in range(1, 60):
        image = creeping_shadow(base, step)
        decision = gate.decide(image, float(step))
        if decision.infer:
            changed_at = step
            break
        if mark_every_look:  # what a gate whose reference followed every look would do
            gate.mark_inferred(image, float(step))
    if first_change is None:
        assert changed_at is None
    else:
        assert changed_at in first_change


def test_set_zones_resets_the_reference() -> None:
    gate, base = primed()
    gate.set_zones([ZONES[0]])
    assert gate.decide(base, 1.0).reason == "first"
    gate.mark_inferred(base, 1.0)
    assert gate.decide(with_box(base, 420, 270, 560, 330), 2.0).reason == "unchanged"  # right lane gone
    gate.set_zones([z * 2 for z in ZONES], (2 * W, 2 * H))  # the camera switched to its main stream
    assert gate.thumb_size == (160, 90)
    assert gate.decide(cv2.resize(base, (2 * W, 2 * H)), 3.0).reason == "first"


def test_no_zones_only_first_and_refresh() -> None:
    gate = ChangeGate([], (W, H), refresh_s=10)
    base = scene()
    assert gate.decide(base, 0).reason == "first"
    gate.mark_inferred(base, 0)
    assert gate.decide(with_box(base, 0, 0, W, H), 5).reason == "unchanged"
    assert gate.decide(base, 10).reason == "refresh"


def test_a_ready_made_grey_thumbnail_gives_the_same_decision() -> None:
    gate, base = primed()
    car = with_box(base, 420, 270, 560, 330)
    small = cv2.cvtColor(cv2.resize(car, gate.thumb_size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    assert gate.decide(small, 1.0).changed_zones == gate.decide(car, 1.0).changed_zones == (1,)
    assert (
        gate.decide(
            cv2.cvtColor(cv2.resize(base, gate.thumb_size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY), 1.0
        ).reason
        == "unchanged"
    )


def test_an_image_of_another_shape_is_refused() -> None:
    gate, _ = primed()
    with pytest.raises(ValueError, match="set_zones"):
        gate.decide(np.zeros((480, 480, 3), np.uint8), 1.0)


def test_imports_without_the_detector_stack() -> None:
    code = (
        "import sys, lanewatch.video.change_gate, lanewatch.detect.crop; "
        "print(sorted(m for m in ('torch', 'ultralytics', 'openvino') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- real footage --------------------------------------------------------------------------------


def sample_1fps(path) -> tuple[list[np.ndarray], list[float]]:
    """Decode a clip with PyAV, keeping the first frame of every second of stream time."""
    images, offsets, next_t = [], [], 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            t = float(frame.pts * frame.time_base)
            if t + 1e-6 >= next_t:
                images.append(frame.to_ndarray(format="bgr24"))
                offsets.append(t)
                next_t += 1.0
    return images, offsets


def run_gate(images: list[np.ndarray], offsets: list[float], zones_frac: list[tuple]) -> tuple[ChangeGate, list[str]]:
    """Feed a camera's looks through the gate the way the pipeline does: mark every inferred look."""
    height, width = images[0].shape[:2]
    gate = ChangeGate([rect_px(*z, size=(width, height)) for z in zones_frac], (width, height))
    reasons = []
    for image, t in zip(images, offsets, strict=True):
        decision = gate.decide(image, t)
        reasons.append(decision.reason)
        if decision.infer:
            gate.mark_inferred(image, t)
    return gate, reasons


REAL = [
    # lot-busy, the front row (bottom 20 %): the SUV backs out at ~2-9 s, a car drives across
    # the bottom at ~14-18 s and people get into cars in between; only look 1 is quiet.
    (
        "parking-aisle/lot-busy.mp4",
        [(0.0, 0.8, 1.0, 1.0)],
        {"changed": [*range(2, 10), *range(14, 19)], "unchanged": [1]},
        1,
    ),
    # the right half of the front row is quiet until people reach their cars (~6 s)
    ("parking-aisle/lot-busy.mp4", [(0.5, 0.8, 1.0, 1.0)], {"changed": [17, 18, 19], "unchanged": [1, 2, 3, 4, 5]}, 6),
    # top-down road, a lane down the middle: cars pass at ~5-9, 15-19 and 26-28 s; the camera's
    # auto-exposure darkens the road by 44 % when a white car is in view and recovers after it
    # (looks 29-30: road median grey 64 -> 88 -> 108), which must not count as a change.
    (
        "intel/car-detection.mp4",
        [(0.3, 0.0, 0.7, 1.0)],
        {
            "changed": [5, 6, 7, 8, 16, 17, 18, 26, 27, 28],
            "unchanged": [1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24, 29, 30],
        },
        15,
    ),
]


@pytest.mark.parametrize(
    ("clip", "zones", "expect", "min_skipped"),
    REAL,
    ids=["lot-busy-front-row", "lot-busy-front-right", "car-detection-lane"],
)
def test_real_footage(footage_dir, clip: str, zones, expect: dict[str, list[int]], min_skipped: int) -> None:
    images, offsets = sample_1fps(footage_dir / clip)
    gate, reasons = run_gate(images, offsets, zones)
    print(
        f"{clip} {zones}: skipped {gate.skipped}/{gate.looks}: "
        + " ".join(f"{i}:{r[0]}" for i, r in enumerate(reasons))
    )
    assert reasons[0] == "first"
    for reason, looks in expect.items():
        assert {i: reasons[i] for i in looks} == dict.fromkeys(looks, reason)
    assert gate.skipped >= min_skipped


def test_an_inferred_look_makes_its_thumbnail_once() -> None:
    """decide() then mark_inferred() on the same picture: one resize, not two (hot path)."""
    zone = np.array([[0, 60], [160, 60], [160, 90], [0, 90]], np.int32)
    gate = ChangeGate([zone], (160, 90))
    calls = []
    real = gate.thumbnail
    gate.thumbnail = lambda image: calls.append(1) or real(image)
    image = np.zeros((90, 160, 3), np.uint8)
    assert gate.decide(image, 0.0).infer
    gate.mark_inferred(image, 0.0)
    assert len(calls) == 1
    other = np.full((90, 160, 3), 50, np.uint8)
    gate.mark_inferred(other, 1.0)  # a different picture than the one decided on: thumbnailed afresh
    assert len(calls) == 2 and not gate.decide(other, 2.0).infer
