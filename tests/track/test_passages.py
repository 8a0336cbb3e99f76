"""Lane passages: cars that drive through a zone are counted with their time in it; violations are not.

Driven through a real `CameraState` (tracker, zones, dwell, recorder) and the
pipeline's `PassageTap`, with synthetic boxes: a 1000×500 frame, the lane the
middle band x 300–700 px, one look per second, boxes 100×50 moving 40 px/s
(bottom-centre anchor: the box's centre x decides inside).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from lanewatch.camera import CameraState
from lanewatch.config import TrackerConfig
from lanewatch.passage_tap import PassageTap
from lanewatch.track.passages import Passage, PassageCounter, ViolatingBox
from lanewatch.video.frame import Frame
from lanewatch.zones.zone import Zone
from tests.track.synthetic import detections

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
IMAGE = np.zeros((500, 1000, 3), np.uint8)
LANE = Zone(
    id="lane",
    name="Lane",
    polygon=[(0.3, 0.0), (0.7, 0.0), (0.7, 1.0), (0.3, 1.0)],
    dwell_seconds=30,
    exit_grace_seconds=2,
)


def car_at(centre_x: float, tid_hint: int = 0) -> tuple:
    y = 200.0 + 80.0 * tid_hint  # cars on separate rows
    return ([centre_x - 50.0, y, centre_x + 50.0, y + 50.0], 0.9, "car")


class Scene:
    """One camera fed box lists look by look; collects the passages and violation events."""

    def __init__(self, zones: list[Zone] | None = None) -> None:
        self.state = CameraState("gate", zones or [LANE], TrackerConfig(), None)
        self.passages: list[Passage] = []
        self.events: list = []
        self.tap = PassageTap([self.passages.append])
        self.tap.add("gate", zones or [LANE])

    def look(self, t: float, boxes: list[tuple]) -> None:
        frame = Frame("gate", IMAGE, T0 + timedelta(seconds=t), t, int(t))
        result = self.state.process(self.state.look(frame), detections(boxes))
        assert result is not None
        self.events += result.events
        self.tap.look(result)

    def finish(self) -> None:
        last = self.state.finish()
        self.events += last
        self.tap.finish("gate", last)


def drive(scene: Scene, start: float, x0: float, x1: float, speed: float = 40.0, row: int = 0) -> float:
    """A car from centre x0 to x1 at `speed` px/s, one look a second from `start`; returns the end time."""
    t, x = start, x0
    while x <= x1:
        scene.look(t, [car_at(x, row)])
        t, x = t + 1.0, x + speed
    return t


def test_a_car_crossing_the_lane_is_one_passage_with_its_time_inside() -> None:
    scene = Scene()
    end = drive(scene, 0.0, 100.0, 900.0)  # centre 300 at t=5 … 700 at t=15: inside for 10 s
    for t in np.arange(end, end + 40.0):  # the lane empty long enough for the hold to pass
        scene.look(float(t), [])
    [passage] = scene.passages
    assert (passage.camera, passage.zone, passage.label) == ("gate", "lane", "car")
    assert passage.entered_at == T0 + timedelta(seconds=5) and passage.left_at == T0 + timedelta(seconds=15)
    assert passage.seconds == pytest.approx(10.0) and passage.entered_at.tzinfo is not None
    assert not passage.lost  # it was seen driving on after the lane
    assert scene.events == []


def test_a_passage_is_held_back_until_a_violation_could_no_longer_claim_it() -> None:
    scene = Scene()
    end = drive(scene, 0.0, 100.0, 900.0)
    scene.look(end + 5.0, [])
    assert scene.passages == []  # last inside at 15: held for dwell 30 + grace 2 + standing 2 s
    scene.look(15.0 + 34.0, [])
    assert len(scene.passages) == 1


def test_the_end_of_the_source_releases_held_passages() -> None:
    scene = Scene()
    drive(scene, 0.0, 100.0, 900.0)
    scene.finish()
    assert [p.seconds for p in scene.passages] == [pytest.approx(10.0)]


def test_a_car_that_stops_and_becomes_a_violation_is_no_passage() -> None:
    scene = Scene()
    t = drive(scene, 0.0, 100.0, 500.0)  # into the lane, stops at centre 500
    for _ in range(40):  # 40 s standing: the violation comes at 30 s of standing
        scene.look(t, [car_at(540.0)])
        t += 1.0
    x = 540.0
    for step in (5.0, 10.0, 20.0, 30.0):  # then pulls away, and drives off through the rest of the lane
        x += step
        scene.look(t, [car_at(x)])
        t += 1.0
    drive(scene, t, x + 40.0, 900.0)
    scene.finish()
    assert [e.kind for e in scene.events].count("new") == 1
    assert scene.passages == []


def test_two_cars_are_two_passages_each_with_its_own_time() -> None:
    scene = Scene()
    t, a, b = 0.0, 100.0, 100.0
    while a <= 900.0 or b <= 900.0:  # car b starts 4 s later on the next row and drives twice as fast
        boxes = [car_at(a, 0)] if a <= 900.0 else []
        if t >= 4.0 and b <= 900.0:
            boxes.append(car_at(b, 2))
            b += 80.0
        scene.look(t, boxes)
        a, t = a + 40.0, t + 1.0
    scene.finish()
    # b is inside at centres 340 … 660 (t=7 … 11): 4 s between its first and last sighting inside
    assert sorted(p.seconds for p in scene.passages) == [pytest.approx(4.0), pytest.approx(10.0)]
    assert len({p.track_id for p in scene.passages}) == 2


def test_a_car_forgotten_inside_the_lane_is_a_lost_passage_up_to_its_last_sighting() -> None:
    scene = Scene()
    t = drive(scene, 0.0, 100.0, 500.0)  # last seen at centre 500 (t=10), then never again
    for _ in range(60):
        scene.look(t, [])
        t += 1.0
    [passage] = scene.passages
    assert passage.lost and passage.seconds == pytest.approx(5.0)
    assert passage.left_at == T0 + timedelta(seconds=10)


def test_a_parked_car_whose_id_switched_leaves_no_passage_under_its_old_id() -> None:
    """Tracker output as the dwell monitor sees an id switch: id 1 stands, then id 2 on the same spot."""
    counter = PassageCounter("gate", [LANE])
    spot = [450.0, 200.0, 550.0, 250.0]
    out: list[Passage] = []

    def look(t: float, tid: int | None, violating: list[ViolatingBox] = ()) -> None:  # type: ignore[assignment]
        tracked = detections([] if tid is None else [(spot, 0.9, "car", tid)])
        out.extend(counter.update(t, T0 + timedelta(seconds=t), tracked, {"lane": tracked}, violating))

    for t in range(0, 20):
        look(float(t), 1)
    for t in range(20, 30):
        look(float(t), None)  # unseen past the grace: id 1's visit ends and is held
    look(30.0, 2)
    look(31.0, 2, [ViolatingBox("lane", tuple(spot), start_s=0.0)])  # the stay (from t=0) violates now
    for t in range(32, 120):
        look(float(t), None)
    out += counter.finish()
    assert out == []


def test_a_removed_zone_drops_its_visits() -> None:
    scene = Scene()
    drive(scene, 0.0, 100.0, 500.0)
    scene.tap.set_zones("gate", [])
    scene.finish()
    assert scene.passages == []


def test_a_parked_car_flickering_into_the_lane_edge_is_no_passage() -> None:
    """Seen inside now and then without moving (its box on the zone's border): it went nowhere."""
    scene = Scene()
    for t in range(0, 20):
        scene.look(float(t), [car_at(300.0 + (t % 2) * 2.0)])  # centre on the border, 2 px of jitter
    for t in range(20, 80):
        scene.look(float(t), [])
    assert scene.passages == []


def test_at_the_end_of_the_source_a_car_still_in_the_lane_is_no_passage_but_one_gone_is() -> None:
    scene = Scene()
    drive(scene, 0.0, 100.0, 500.0)  # car 1 in the lane at centre 500 at t=10 …
    scene.look(11.0, [car_at(540.0), car_at(100.0, 2)])  # … seen there at the last look but one
    scene.look(12.0, [car_at(580.0)])  # and at the last: still in the lane
    scene.finish()
    assert scene.passages == []
    scene = Scene()
    drive(scene, 0.0, 100.0, 500.0)
    scene.look(11.0, [])  # not seen at the last look: it was gone (lost in the lane)
    scene.finish()
    [passage] = scene.passages
    assert passage.lost and passage.seconds == pytest.approx(5.0)
