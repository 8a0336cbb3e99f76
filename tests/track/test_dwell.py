"""DwellMonitor: exactly one violation per real stop, timed in stream seconds."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from lanewatch.config import TrackerConfig
from lanewatch.track import DwellMonitor, DwellTransition, LowRateTracker, ZoneTiming
from tests.track.synthetic import detections, jitter, shifted

LANE = {"lane": ZoneTiming(dwell_seconds=60.0, exit_grace_seconds=10.0)}
SPOT = (100.0, 200.0, 300.0, 300.0)
NEXT_SPOT = (310.0, 200.0, 510.0, 300.0)

# A sighting: (tracker id, box); a frame: (offset_s, {zone: [sightings]}).
Frame = tuple[float, dict[str, list[tuple[int, object]]]]


def frame(t: float, *sightings: tuple[int, object], zones: tuple[str, ...] = ("lane",)) -> Frame:
    return t, {z: list(sightings) for z in zones}


def run(monitor: DwellMonitor, frames: list[Frame]) -> list[DwellTransition]:
    out: list[DwellTransition] = []
    for t, inside in frames:
        out += monitor.update(t, {z: detections((box, 0.8, "car", tid) for tid, box in s) for z, s in inside.items()})
    return out


def kinds(transitions: list[DwellTransition]) -> Counter:
    return Counter(tr.kind for tr in transitions)


def of(transitions: list[DwellTransition], kind: str) -> list[DwellTransition]:
    return [tr for tr in transitions if tr.kind == kind]


def parked(tid: int, box, start: float, stop: float, step: float = 2.0, zones=("lane",)) -> list[Frame]:
    """A car seen at every analysed frame from `start` to `stop` inclusive."""
    return [frame(float(t), (tid, box), zones=zones) for t in np.arange(start, stop + step / 2, step)]


def empty(start: float, stop: float, step: float = 2.0) -> list[Frame]:
    return [(float(t), {}) for t in np.arange(start, stop + step / 2, step)]


def test_parked_car_one_violation_at_dwell_time_then_ended_after_grace() -> None:
    out = run(DwellMonitor(LANE), parked(7, SPOT, 10.0, 200.0) + empty(202.0, 260.0))
    updates = len(np.arange(72.0, 201.0, 2.0))  # every sighting after the violation
    assert kinds(out) == {"entered": 1, "violation": 1, "update": updates, "ended": 1}
    violation = of(out, "violation")[0].stay
    assert violation.violation_s == pytest.approx(70.0)  # entered 10 + dwell 60
    assert violation.entered_s == 10.0 and violation.state == "violating" and violation.tracker_id == 7
    ended = of(out, "ended")[0]
    assert out[-1] is ended  # reported at the first frame past the grace: 212
    assert ended.stay.ended_s == 200.0 and ended.stay.last_seen_s == 200.0
    assert ended.stay.violation_s == 70.0 and ended.stay.dwell_s == 190.0
    assert {tr.stay.stay_id for tr in out} == {1}


def test_ended_is_reported_at_the_first_frame_past_the_grace() -> None:
    monitor = DwellMonitor(LANE)
    run(monitor, parked(1, SPOT, 0.0, 100.0))
    assert monitor.update(110.0, {}) == []  # absent exactly the grace: still open
    [ended] = monitor.update(110.5, {})
    assert ended.kind == "ended" and ended.stay.ended_s == 100.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dropouts_shorter_than_grace_keep_one_stay(seed: int) -> None:
    rng = np.random.default_rng(seed)
    frames, missed = [], 0
    for t in np.arange(0.0, 400.0, 2.0):
        # Drop 40% of the looks, but never 5 in a row (that would be a 12 s gap > 10 s grace).
        if rng.random() < 0.4 and missed < 4:
            frames.append((float(t), {}))
            missed += 1
        else:
            frames.append(frame(float(t), (3, jitter(SPOT, rng))))
            missed = 0
    out = run(DwellMonitor(LANE), frames)
    assert kinds(out)["violation"] == 1 and kinds(out)["entered"] == 1 and kinds(out)["ended"] == 0


@pytest.mark.parametrize(("gap_s", "same_stay"), [(9.0, True), (10.0, True), (10.5, False), (30.0, False)])
def test_grace_boundary_is_exclusive(gap_s: float, same_stay: bool) -> None:
    """Absent, in looks every 2 s, for exactly exit_grace_seconds: the stay goes on; any longer: it ended."""
    missed = [f for f in empty(82.0, 80.0 + gap_s) if f[0] < 80.0 + gap_s]
    frames = parked(1, SPOT, 0.0, 80.0) + missed + parked(1, SPOT, 80.0 + gap_s, 200.0 + gap_s)
    out = run(DwellMonitor(LANE), frames)
    if same_stay:
        assert kinds(out)["violation"] == 1 and kinds(out)["ended"] == 0
    else:
        [ended] = of(out, "ended")
        assert ended.stay.ended_s == 80.0 and ended.stay.violation_s == 60.0
        assert kinds(out)["entered"] == 2 and kinds(out)["violation"] == 2  # the car stays 120 s more


@pytest.mark.parametrize("step_s", [0.5, 2.0], ids=["2fps", "0.5fps"])
@pytest.mark.parametrize("gap_s", [0.0, 2.0, 8.0], ids=lambda g: f"new_id_after_{g:g}s")
def test_tracker_id_switch_mid_stay_continues_the_stay(gap_s: float, step_s: float) -> None:
    rng = np.random.default_rng(5)
    frames = parked(1, SPOT, 0.0, 40.0, step_s)
    switched = np.arange(40.0 + step_s + gap_s, 150.0, step_s)
    frames += [frame(float(t), (2, jitter(SPOT, rng, 5))) for t in switched]
    out = run(DwellMonitor(LANE), frames)
    assert kinds(out)["entered"] == 1 and kinds(out)["violation"] == 1 and kinds(out)["ended"] == 0
    assert of(out, "violation")[0].stay.violation_s == 60.0
    assert out[-1].stay.tracker_id == 2


def test_id_switch_is_decided_when_the_new_id_is_seen_standing() -> None:
    """The new id is a candidate until seen again STANDING_S later at the same place."""
    monitor = DwellMonitor(LANE)
    run(monitor, parked(1, SPOT, 0.0, 70.0))
    assert monitor.update(71.0, {"lane": detections([(SPOT, 0.8, "car", 2)])}) == []
    assert monitor.update(72.0, {"lane": detections([(SPOT, 0.8, "car", 2)])}) == []  # 1 s: too soon
    [update] = monitor.update(73.0, {"lane": detections([(SPOT, 0.8, "car", 2)])})
    assert update.kind == "update" and update.stay.stay_id == 1 and update.stay.tracker_id == 2
    assert update.stay.last_seen_s == 73.0


def test_new_id_seen_just_before_the_grace_runs_out_still_continues_the_stay() -> None:
    monitor = DwellMonitor(LANE)
    run(monitor, parked(1, SPOT, 0.0, 40.0))
    assert monitor.update(50.0, {"lane": detections([(SPOT, 0.8, "car", 2)])}) == []  # absent 10 s
    out = monitor.update(52.0, {"lane": detections([(SPOT, 0.8, "car", 2)])})  # 12 s after car 1
    assert out == [] and [s.tracker_id for s in monitor.open_stays] == [2]


@pytest.mark.parametrize("step_s", [0.5, 1.0, 2.0], ids=["2fps", "1fps", "0.5fps"])
@pytest.mark.parametrize("speed", [20.0, 80.0, 250.0], ids=lambda v: f"{v:g}px_per_s")
def test_car_driving_past_a_hidden_parked_car_does_not_take_its_stay(step_s: float, speed: float) -> None:
    """The passer gets a new id over the parked car's absent stay: a candidate, not a switch."""
    frames: list[Frame] = []
    passer_first_s = None
    for t in np.arange(0.0, 200.0, step_s):
        x = SPOT[0] + speed * (t - 100.0)  # right in front of the parked car at t = 100
        sightings = [] if abs(x - SPOT[0]) < 100 else [(1, SPOT)]  # hidden while it passes
        if -300 <= x <= 700:  # seen at least twice, even at 0.5 fps
            sightings.append((2, (x, 210.0, x + 200.0, 320.0)))
            passer_first_s = float(t) if passer_first_s is None else passer_first_s
        frames.append(frame(float(t), *sightings))
    out = run(DwellMonitor({"lane": ZoneTiming(60.0, 15.0)}), frames)
    assert [tr.stay.tracker_id for tr in of(out, "violation")] == [1]
    [passer] = [tr.stay for tr in of(out, "entered") if tr.stay.tracker_id == 2]
    assert passer.entered_s == passer_first_s  # its own stay, from its first sighting


@pytest.mark.parametrize(
    ("case", "sighting"),
    [
        ("new id far away", (2, shifted(SPOT, 150))),  # IoU 0.14: another car, not a switch
        ("old id still seen elsewhere", None),
    ],
)
def test_no_id_switch_without_the_rule(case: str, sighting) -> None:
    monitor = DwellMonitor({**LANE, "street": ZoneTiming(600.0, 10.0)})
    run(monitor, parked(1, SPOT, 0.0, 40.0))
    if sighting is None:  # car 1 drove out into the street; car 2 arrives at its spot
        inside = {
            "street": detections([(shifted(SPOT, 0, 200), 0.8, "car", 1)]),
            "lane": detections([(SPOT, 0.8, "car", 2)]),
        }
    else:
        inside = {"lane": detections([(sighting[1], 0.8, "car", sighting[0])])}
    out = monitor.update(42.0, inside)
    lane_entries = [tr for tr in of(out, "entered") if tr.stay.zone_id == "lane"]
    assert len(lane_entries) == 1 and lane_entries[0].stay.tracker_id == 2


@pytest.mark.parametrize(("in_zone_s", "violations"), [(30.0, 0), (58.0, 0), (60.0, 1)])
def test_present_counts_any_time_inside_even_moving(in_zone_s: float, violations: int) -> None:
    """Rule 'present': today's behaviour, the clock runs from the first sighting, moving or not."""
    moving = [frame(t, (4, shifted(SPOT, 3 * t))) for t in np.arange(0.0, in_zone_s + 1, 2.0)]
    out = run(DwellMonitor({"lane": ZoneTiming(60.0, 10.0, "present")}), moving + empty(in_zone_s + 2, in_zone_s + 30))
    assert kinds(out)["violation"] == violations
    [ended] = of(out, "ended")  # pass-throughs still end, so they can be counted
    assert ended.stay.ended_s == in_zone_s
    assert (ended.stay.violation_s is None) is (violations == 0)


def test_two_cars_side_by_side_are_two_violations() -> None:
    frames = [frame(float(t), (1, SPOT), (2, NEXT_SPOT)) for t in np.arange(0.0, 120.0, 2.0)]
    out = run(DwellMonitor(LANE), frames)
    assert sorted(tr.stay.tracker_id for tr in of(out, "violation")) == [1, 2]
    assert len({tr.stay.stay_id for tr in out}) == 2


@pytest.mark.parametrize("second_id", [1, 9], ids=["tracker_kept_the_id", "new_id"])
def test_car_leaves_and_another_parks_there_after_grace_is_a_second_violation(second_id: int) -> None:
    frames = parked(1, SPOT, 0.0, 100.0) + empty(102.0, 120.0) + parked(second_id, SPOT, 122.0, 250.0)
    out = run(DwellMonitor(LANE), frames)
    first, second = of(out, "violation")
    assert (first.stay.violation_s, second.stay.violation_s) == (60.0, 182.0)
    assert first.stay.stay_id != second.stay.stay_id
    assert of(out, "ended")[0].stay.ended_s == 100.0


def test_finish_reports_open_stays_without_ending_active_violations() -> None:
    monitor = DwellMonitor(LANE)
    run(
        monitor,
        [
            *parked(1, SPOT, 0.0, 100.0),
            frame(102.0, (1, SPOT), (2, NEXT_SPOT)),
            frame(104.0, (1, SPOT), (2, NEXT_SPOT), (3, shifted(SPOT, 0, 300))),  # 3: a passer-by
            frame(110.0, (1, SPOT), (2, NEXT_SPOT)),
        ],
    )
    out = monitor.finish(116.0)
    by_tid = {tr.stay.tracker_id: tr for tr in out}
    assert len(out) == 3
    assert by_tid[3].kind == "ended" and by_tid[3].stay.ended_s == 104.0  # absent 12 s > grace
    assert by_tid[1].kind == "update" and by_tid[1].stay.state == "violating"
    assert by_tid[1].stay.ended_s is None and by_tid[1].stay.last_seen_s == 110.0
    assert by_tid[2].kind == "update" and by_tid[2].stay.state == "dwelling"
    assert monitor.open_stays == []
    assert monitor.update(0.0, {}) == []  # a fresh clock for the next source


def test_object_in_two_zones_has_one_stay_per_zone() -> None:
    zones = {"lane": ZoneTiming(60.0, 10.0), "hydrant": ZoneTiming(30.0, 10.0)}
    out = run(DwellMonitor(zones), parked(5, SPOT, 0.0, 100.0, zones=("lane", "hydrant")))
    violations = {tr.stay.zone_id: tr.stay for tr in of(out, "violation")}
    assert {z: s.violation_s for z, s in violations.items()} == {"lane": 60.0, "hydrant": 30.0}
    assert violations["lane"].stay_id != violations["hydrant"].stay_id
    assert kinds(out)["entered"] == 2


def test_set_zones_removing_a_zone_ends_its_stays() -> None:
    monitor = DwellMonitor({"lane": ZoneTiming(60.0, 10.0), "hydrant": ZoneTiming(30.0, 10.0)})
    run(monitor, parked(5, SPOT, 0.0, 80.0, zones=("lane", "hydrant")))
    [ended] = monitor.set_zones({"lane": ZoneTiming(60.0, 10.0)})
    assert ended.kind == "ended" and ended.stay.zone_id == "hydrant" and ended.stay.ended_s == 80.0
    assert [s.zone_id for s in monitor.open_stays] == ["lane"]
    with pytest.raises(KeyError, match="hydrant"):
        run(monitor, [frame(82.0, (5, SPOT), zones=("lane", "hydrant"))])


def test_set_zones_new_timing_applies_to_open_stays() -> None:
    monitor = DwellMonitor(LANE)
    run(monitor, parked(1, SPOT, 0.0, 40.0))
    assert monitor.set_zones({"lane": ZoneTiming(30.0, 10.0)}) == []
    [violation] = run(monitor, [frame(42.0, (1, SPOT))])
    assert violation.kind == "violation" and violation.stay.violation_s == 42.0


def test_stay_snapshot_fields() -> None:
    monitor = DwellMonitor(LANE)
    monitor.update(0.0, {"lane": detections([(SPOT, 0.5, "car", 1)])})
    # No transition for entered → dwelling; the untracked box (-1) is ignored.
    assert (
        monitor.update(2.0, {"lane": detections([(shifted(SPOT, 4), 0.9, "truck", 1), (SPOT, 0.9, "car", -1)])}) == []
    )
    [stay] = monitor.open_stays
    assert stay.state == "dwelling" and stay.label == "truck" and stay.best_confidence == pytest.approx(0.9)
    assert stay.box == (104.0, 200.0, 304.0, 300.0) and stay.dwell_s == 2.0
    with pytest.raises(AttributeError):
        stay.state = "ended"  # type: ignore[misc]


def test_time_going_back_and_bad_timings_are_errors() -> None:
    monitor = DwellMonitor(LANE)
    monitor.update(10.0, {})
    with pytest.raises(ValueError, match="went back"):
        monitor.update(9.0, {})
    with pytest.raises(ValueError, match="dwell_seconds"):
        ZoneTiming(dwell_seconds=-1.0, exit_grace_seconds=5.0)


@pytest.mark.parametrize("step_s", [0.5, 1.0, 2.0], ids=["2fps", "1fps", "0.5fps"])
@pytest.mark.parametrize("seed", [11, 12])
def test_tracker_and_monitor_together_make_one_violation(step_s: float, seed: int) -> None:
    """End to end on synthetic boxes: dropouts, label flicker, a person and two cars passing in front."""
    rng = np.random.default_rng(seed)
    # A grace longer than the longest gap here (occlusions plus 30 % dropouts).
    tracker, monitor = LowRateTracker(TrackerConfig()), DwellMonitor({"lane": ZoneTiming(60.0, 30.0)})
    lane_x = (0.0, 600.0)
    out: list[DwellTransition] = []
    for t in np.arange(0.0, 300.0, step_s):
        boxes = []
        for start, speed in ((150.0, 120.0), (220.0, -60.0)):  # cars in the nearer lane
            x = SPOT[0] + speed * (t - start)
            if -400 < x < 800:
                boxes.append(((x, 215.0, x + 200.0, 325.0), 0.8, "car"))
        hidden = any(abs(b[0][0] - SPOT[0]) < 120 for b in boxes)
        if 100.0 <= t < 106.0:  # a person walks in front of the car; the car is missed
            boxes.append((shifted((130.0, 150.0, 230.0, 330.0), 20 * (t - 100)), 0.8, "person"))
        elif not hidden and rng.random() >= 0.3:
            boxes.append((jitter(SPOT, rng), 0.7, rng.choice(["car", "car", "truck"])))
        tracked = tracker.update(detections(boxes), float(t))
        x = tracked.anchors("bottom_center")[:, 0]
        in_lane = (x >= lane_x[0]) & (x <= lane_x[1]) & np.isin(tracked.class_name, ["car", "truck"])
        out += monitor.update(float(t), {"lane": tracked[in_lane]})
    out += monitor.finish(300.0)
    [violation] = of(out, "violation")
    assert violation.stay.violation_s == pytest.approx(60.0, abs=2 * step_s + 2.0)  # dropouts at the start
    assert all(tr.stay.violation_s is None for tr in of(out, "ended"))  # only the passers ended
    [still_open] = [tr for tr in out[-1:] if tr.stay.stay_id == violation.stay.stay_id]
    assert still_open.kind == "update" and still_open.stay.ended_s is None


@pytest.mark.parametrize("seed", range(4))
def test_a_dwell_of_whole_look_intervals_passes_at_the_same_look_despite_timestamp_jitter(seed: int) -> None:
    """RTSP key frames 2 s apart carry stamps off by fractions of a millisecond; 8 s must not become 10 s."""
    rng = np.random.default_rng(seed)
    timing = {"lane": ZoneTiming(dwell_seconds=8.0, exit_grace_seconds=4.0)}
    times = [20.0 + 2.0 * k + float(rng.uniform(-2e-4, 2e-4)) for k in range(8)]
    times[0] += 5e-4  # the first sighting stamped late: 4 intervals add up to a hair under 8 s
    out = run(DwellMonitor(timing), [frame(t, (1, SPOT)) for t in times])
    [violation] = of(out, "violation")
    assert violation.stay.violation_s == times[4]  # the 5th sighting: 8 s (+- jitter) after the 1st
    # and an object absent for the grace (4 s, less a hair of jitter) before it comes back keeps its stay
    back = run(DwellMonitor(timing), [frame(t, (1, SPOT)) for t in (0.0, 2.0)] + [frame(6.0004, (1, SPOT))])
    assert kinds(back)["ended"] == 0 and kinds(back)["entered"] == 1


def test_a_dwell_short_by_more_than_jitter_is_not_a_violation() -> None:
    timing = {"lane": ZoneTiming(dwell_seconds=8.0, exit_grace_seconds=4.0)}
    out = run(DwellMonitor(timing), [frame(t, (1, SPOT)) for t in (0.0, 2.0, 4.0, 6.0, 7.9)])
    assert kinds(out)["violation"] == 0


@pytest.mark.parametrize("gap_s", [300.0, 900.0])
def test_snapshots_minutes_apart_keep_a_standing_car_in_one_stay(gap_s: float) -> None:
    """No look between two snapshots could see the car leave: seen in both, it stayed (and violates once)."""
    frames = [frame(k * gap_s, (1, SPOT)) for k in range(4)] + [(4 * gap_s, {}), frame(5 * gap_s, (1, SPOT))]
    out = run(DwellMonitor(LANE), frames)
    [violation] = of(out, "violation")
    assert violation.stay.stop_s == 0.0 and violation.stay.violation_s == gap_s
    [ended] = of(out, "ended")  # the empty snapshot ends it; the car seen after that is a new stay
    assert ended.stay.ended_s == 3 * gap_s and kinds(out)["entered"] == 2
