"""Rule 'stopped': the dwell clock runs only while a vehicle stands still, on synthetic tracks."""

from __future__ import annotations

import numpy as np
import pytest

from lanewatch.track import DwellMonitor, ZoneTiming
from lanewatch.track.standing import HIDDEN_TOLERANCE, STAND_TOLERANCE, box_shift, stands
from tests.track.synthetic import detections, jitter, shifted
from tests.track.test_dwell import Frame, empty, frame, kinds, of, run

CAR = (100.0, 200.0, 300.0, 300.0)  # 200 x 100 px: diagonal 224 px, tolerance 0.1 of it = 22 px
LENGTH = 210.0  # a car length and a gap: how far a queue moves up
DWELL = {"lane": ZoneTiming(dwell_seconds=6.0, exit_grace_seconds=3.0)}


def timing(rule: str) -> dict[str, ZoneTiming]:
    return {"lane": ZoneTiming(dwell_seconds=6.0, exit_grace_seconds=3.0, rule=rule)}


def along(tid: int, x_of_t, start: float, stop: float, step: float) -> list[Frame]:
    """One car whose box is CAR moved right by x_of_t(t) pixels, seen every `step` s."""
    return [frame(float(t), (tid, shifted(CAR, x_of_t(t)))) for t in np.arange(start, stop + step / 2, step)]


@pytest.mark.parametrize("step_s", [0.5, 2.0], ids=["2fps", "0.5fps"])
@pytest.mark.parametrize("speed", [12.0, 25.0, 60.0], ids=lambda v: f"{v:g}px_per_s")
def test_steady_crawl_through_the_zone_never_alerts(speed: float, step_s: float) -> None:
    """2 minutes in the zone at walking pace or slower: never standing, so never a violation."""
    frames = along(1, lambda t: speed * t, 0.0, 120.0, step_s) + empty(121.0, 130.0)
    assert kinds(run(DwellMonitor(timing("stopped")), frames))["violation"] == 0
    # the same crawl under 'present' (time inside) is the alert the issue complained of
    assert kinds(run(DwellMonitor(timing("present")), frames))["violation"] == 1


def queue(stand_s: float, move_s: float, cars: int, until: float, step: float) -> list[Frame]:
    """Cars bumper to bumper; all stand `stand_s`, then move up one car length in `move_s`, again and again."""
    frames: list[Frame] = []
    cycle = stand_s + move_s
    for t in np.arange(0.0, until + step / 2, step):
        k, into = divmod(float(t), cycle)
        moved = LENGTH * (k + max(0.0, into - stand_s) / move_s)
        frames.append(frame(float(t), *[(i + 1, shifted(CAR, moved - i * LENGTH)) for i in range(cars)]))
    return frames


@pytest.mark.parametrize("step_s", [0.5, 1.0, 2.0], ids=["2fps", "1fps", "0.5fps"])
def test_queue_that_moves_up_every_dwell_never_alerts(step_s: float) -> None:
    """Stand 4 s, move up a car length in 2 s, for 2 minutes: the lane is slow, not blocked."""
    out = run(DwellMonitor(DWELL), queue(4.0, 2.0, 3, 120.0, step_s))
    assert kinds(out)["violation"] == 0 and kinds(out)["entered"] == 3


@pytest.mark.parametrize("step_s", [0.5, 2.0], ids=["2fps", "0.5fps"])
def test_queue_standing_longer_than_the_dwell_alerts_once_per_car_from_its_stop(step_s: float) -> None:
    """Stand 10 s, move 2 s: each car alerts once, dwell after the first stop began (the stay goes on)."""
    out = run(DwellMonitor(DWELL), queue(10.0, 2.0, 3, 60.0, step_s))
    violations = of(out, "violation")
    assert sorted(v.stay.tracker_id for v in violations) == [1, 2, 3]
    for v in violations:
        assert v.stay.stop_s == 0.0 and v.stay.violation_s == pytest.approx(6.0)


@pytest.mark.parametrize("step_s", [0.5, 2.0], ids=["2fps", "0.5fps"])
@pytest.mark.parametrize("seed", range(3))
def test_parked_with_jitter_alerts_once_at_the_dwell(step_s: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    frames = [frame(float(t), (1, jitter(CAR, rng, 6.0))) for t in np.arange(10.0, 60.0, step_s)]
    out = run(DwellMonitor(DWELL), frames)
    [violation] = of(out, "violation")
    assert violation.stay.stop_s == 10.0 and violation.stay.violation_s == pytest.approx(16.0)
    assert kinds(out)["entered"] == 1


def test_parked_and_briefly_hidden_by_a_passing_car_keeps_its_stop() -> None:
    """A car drives in front: the parked car is cut, then unseen for 2.5 s, then cut on the other side."""
    frames: list[Frame] = []
    for t in np.arange(0.0, 30.0, 0.5):
        x = -300.0 + 100.0 * (t - 2.0)  # the passer's left edge, 100 px/s, in front at t = 6
        passer = (2, (x, 210.0, x + 200.0, 320.0))
        if x + 200 < CAR[0] or x > CAR[2]:
            seen = [(1, CAR)]
        elif x + 200 < CAR[0] + 100:  # the passer hides the car's left end
            seen = [(1, (x + 200, CAR[1], CAR[2], CAR[3]))]
        elif x > CAR[0] + 100:  # ... and then its right end
            seen = [(1, (CAR[0], CAR[1], x, CAR[3]))]
        else:
            seen = []
        frames.append(frame(float(t), *seen, passer))
    out = run(DwellMonitor(DWELL), frames)
    violations = of(out, "violation")
    assert [v.stay.tracker_id for v in violations] == [1]  # the passer, moving, never alerts
    # its stop goes on through the hiding: the violation comes at its first sighting 6 s or more after 0
    # that shows enough of the car (no more than HIDDEN_TOLERANCE of it lost), here one cut by 50 px
    back_s, back = next((t, b) for t, inside in frames if t >= 6.0 for tid, b in inside["lane"] if tid == 1)
    assert tuple(back) != CAR and box_shift(CAR, back, strict=True) < HIDDEN_TOLERANCE
    assert violations[0].stay.stop_s == 0.0 and violations[0].stay.violation_s == back_s
    assert kinds(out)["entered"] == 2


def test_a_car_that_creeps_less_than_the_tolerance_and_stands_again_keeps_its_stop() -> None:
    creep = STAND_TOLERANCE * 224.0 * 0.8  # 27 px, over one second
    frames = along(1, lambda t: 0.0 if t < 3 else min(creep, creep * (t - 3)), 0.0, 12.0, 0.5)
    [violation] = of(run(DwellMonitor(DWELL), frames), "violation")
    assert violation.stay.stop_s == 0.0 and violation.stay.violation_s == 6.0


def test_a_car_that_moves_beyond_the_tolerance_starts_a_new_stop_where_it_stands_again() -> None:
    """Stand 5 s (short of the 6 s dwell), move half a car length, stand again: the clock starts over."""
    frames = along(1, lambda t: 0.0 if t < 5 else min(100.0, 50.0 * (t - 5)), 0.0, 20.0, 0.5)
    out = run(DwellMonitor(DWELL), frames)
    [violation] = of(out, "violation")
    assert violation.stay.entered_s == 0.0  # one stay all along...
    assert 6.0 <= violation.stay.stop_s <= 7.0  # ...but the stop began where it stood again
    assert violation.stay.violation_s == pytest.approx(violation.stay.stop_s + 6.0)


def test_moving_on_before_the_dwell_never_alerts() -> None:
    frames = along(1, lambda t: 0.0 if t < 5 else 200.0 * (t - 5), 0.0, 8.0, 0.5) + empty(8.5, 15.0, 0.5)
    out = run(DwellMonitor(DWELL), frames)
    assert kinds(out) == {"entered": 1, "ended": 1}


def test_a_stop_seen_half_hidden_at_the_dwell_alerts_when_seen_whole_again() -> None:
    """Its stop goes on while half of it is hidden, but a half box may as well be a car driving off."""
    half = (CAR[0], CAR[1], CAR[0] + 100.0, CAR[3])
    frames = [frame(float(t), (1, CAR if t < 4 or t >= 9 else half)) for t in np.arange(0.0, 12.0, 0.5)]
    [violation] = of(run(DwellMonitor(DWELL), frames), "violation")
    assert violation.stay.stop_s == 0.0 and violation.stay.violation_s == 9.0


def test_a_car_driving_away_shrinking_inside_its_first_box_never_alerts() -> None:
    """Away from an oblique camera: the box shrinks towards its far end, always inside the first one."""
    frames = [
        frame(float(t), (1, (CAR[0] + 10 * t, CAR[1], CAR[2] - 10 * t, CAR[3] - 5 * t))) for t in np.arange(0, 9, 0.5)
    ] + empty(9.0, 15.0)
    assert all(
        stands(CAR, box) for _, inside in frames for _, box in inside.get("lane", [])
    )  # it passes for standing...
    assert kinds(run(DwellMonitor(DWELL), frames))["violation"] == 0  # ...but never shows its stop again


def test_a_car_leaving_through_the_bottom_of_the_picture_never_alerts() -> None:
    """Its bottom edge stays on the border while its top edge drives down: the border edge is not judged."""
    size = (640, 360)
    boxes = [(200.0, 200.0 + 8 * t, 400.0, 360.0) for t in np.arange(0, 18, 0.5)]
    monitor, out = DwellMonitor(DWELL), []
    for t, box in zip(np.arange(0, 18, 0.5), boxes, strict=True):
        out += monitor.update(float(t), {"lane": detections([(box, 0.8, "car", 1)])}, frame_size=size)
    assert stands(boxes[0], boxes[8]) and not stands(boxes[0], boxes[8], frame=size)  # 4 s, 32 px down
    assert kinds(out)["violation"] == 0


@pytest.mark.parametrize("step_s", [0.5, 1.0], ids=["2fps", "1fps"])
def test_a_small_far_car_crawling_within_the_tolerance_never_alerts(step_s: float) -> None:
    """58 x 34 px, 0.75 px/s for 12 s: 9 px, 0.13 of its diagonal, but under 0.1 over any 6 s dwell."""
    rng = np.random.default_rng(1)
    far = (257.0, 172.0, 315.0, 206.0)
    frames = [frame(float(t), (1, jitter(shifted(far, 0, -0.75 * t), rng, 0.3))) for t in np.arange(0, 12, step_s)]
    assert stands(far, frames[int(6 / step_s)][1]["lane"][0][1])  # it passes for standing over the dwell...
    assert kinds(run(DwellMonitor(DWELL), frames))["violation"] == 0  # ...but it drifts along a line


def test_a_small_far_car_standing_still_alerts() -> None:
    rng = np.random.default_rng(2)
    far = (257.0, 172.0, 315.0, 206.0)
    frames = [frame(float(t), (1, jitter(far, rng, 1.0))) for t in np.arange(0, 12, 1.0)]
    [violation] = of(run(DwellMonitor(DWELL), frames), "violation")
    assert violation.stay.stop_s == 0.0 and violation.stay.violation_s == 6.0


def test_rule_is_checked() -> None:
    with pytest.raises(ValueError, match="rule must be one of"):
        ZoneTiming(6.0, 3.0, "parked")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("box", "standing"),
    [
        (CAR, True),
        (shifted(CAR, 12, 6), True),  # detector wobble, a creep
        (shifted(CAR, 30), False),  # moved on: 0.13 of its diagonal
        (shifted(CAR, 0, -25), False),
        ((CAR[0], CAR[1], CAR[2] - 120, CAR[3]), True),  # its right end hidden by a passer-by
        ((CAR[0] + 120, CAR[1], CAR[2], CAR[3] - 50), True),  # left end and bottom hidden
        ((CAR[0] - 5, CAR[1] - 5, CAR[2] + 5, CAR[3] + 5), True),  # a slightly bigger box around it
        ((CAR[0], CAR[1] + 10, CAR[2], CAR[3] + 40), False),  # driving towards the camera: its front reaches out
    ],
)
def test_standing_is_measured_on_the_edges_in_the_boxs_own_size(box, standing: bool) -> None:
    assert stands(CAR, box) is standing
    # the same in a picture twice as large: the tolerance scales with the box
    assert stands([2 * v for v in CAR], [2 * v for v in box]) is standing
    assert (box_shift(CAR, box) < STAND_TOLERANCE) is standing
