"""The pipeline loop: cameras added, re-zoned and removed while it runs (service mode)."""

from __future__ import annotations

import threading
import time

import numpy as np

from lanewatch.config import SourceConfig
from lanewatch.detect.detections import Detections
from lanewatch.pipeline import CameraSpec, Pipeline
from lanewatch.zones.zone import Zone
from tests.support.serve import wait_for


class ParkedCarDetector:
    """Sees one car at the bottom-left of every frame."""

    names = {2: "car"}

    def detect(self, images):
        return [Detections([[10, img.shape[0] - 60, 110, img.shape[0] - 5]], [0.9], [2], ["car"]) for img in images]


def _zone(dwell: float, polygon=((0, 0.7), (1, 0.7), (1, 1), (0, 1))) -> Zone:
    return Zone(id="lane", name="Lane", polygon=list(polygon), dwell_seconds=dwell, exit_grace_seconds=1)



def test_cameras_come_and_go_while_running(footage_dir) -> None:
    clip = str(footage_dir / "parking-aisle" / "lot-busy.mp4")
    events, frames = [], []
    pipeline = Pipeline([], ParkedCarDetector(), event_sinks=[events.append], frame_sinks=[frames.append])
    runner = threading.Thread(target=pipeline.run, kwargs={"keep_alive": True}, daemon=True)
    runner.start()
    try:
        pipeline.add_camera(CameraSpec(SourceConfig(camera="a", url=clip, sample_fps=4, replay=True), [_zone(1.0)]))
        assert wait_for(lambda: any(e.kind == "new" and e.after.camera == "a" for e in events)), "no violation on a"
        # zones replaced without restarting the stream: a zone away from the car ends its stay
        pipeline.update_zones("a", [_zone(1.0, ((0, 0), (1, 0), (1, 0.2), (0, 0.2)))])
        assert wait_for(lambda: any(e.kind == "end" and e.after.camera == "a" for e in events)), "zone change ignored"
        pipeline.add_camera(CameraSpec(SourceConfig(camera="b", url=clip, sample_fps=4, replay=True), [_zone(1.0)]))
        assert wait_for(lambda: any(r.frame.camera == "b" for r in frames))
        pipeline.remove_camera("a")
        assert wait_for(lambda: "a" not in pipeline.cameras)
        seen = len([r for r in frames if r.frame.camera == "a"])
        time.sleep(0.6)
        assert len([r for r in frames if r.frame.camera == "a"]) == seen  # nothing more from a
        pipeline.add_camera(CameraSpec(SourceConfig(camera="a", url=clip, sample_fps=4, replay=True), [_zone(1.0)]))
        assert wait_for(lambda: len([r for r in frames if r.frame.camera == "a"]) > seen), "re-added camera silent"
    finally:
        pipeline.stop()
        runner.join(10)
    assert not runner.is_alive()
    assert pipeline.stats.detector_errors == 0


def test_a_failing_sink_does_not_stop_the_cameras(footage_dir) -> None:
    def broken(_event) -> None:
        raise RuntimeError("database down")

    good = []
    spec = CameraSpec(SourceConfig(camera="a", url=str(footage_dir / "parking-aisle" / "lot-busy.mp4"),
                                   sample_fps=2, duration_s=4), [_zone(1.0)])
    stats = Pipeline([spec], ParkedCarDetector(), event_sinks=[broken, good.append]).run()
    assert stats.frames["a"] >= 7 and any(e.kind == "new" for e in good)


def test_a_frame_older_than_the_last_is_skipped_not_fatal() -> None:
    from datetime import datetime, timezone

    from lanewatch.camera import CameraState
    from lanewatch.config import TrackerConfig
    from lanewatch.video.frame import Frame

    state = CameraState("a", [_zone(5.0)], TrackerConfig(), None)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    image = np.zeros((100, 200, 3), np.uint8)
    cars = ParkedCarDetector().detect([image])[0]
    def step(t: float):
        frame = Frame("a", image, now, t, 0)
        return state.process(state.look(frame), cars)

    assert step(10.0) is not None
    assert step(9.0) is None  # glitch: time went back
    assert step(11.0) is not None


def test_zones_sent_right_after_adding_a_camera_are_not_lost(footage_dir) -> None:
    """The service adds a camera and then its zones in two quick API calls."""
    clip = str(footage_dir / "parking-aisle" / "lot-busy.mp4")
    events = []
    pipeline = Pipeline([], ParkedCarDetector(), event_sinks=[events.append])
    runner = threading.Thread(target=pipeline.run, kwargs={"keep_alive": True}, daemon=True)
    try:
        pipeline.add_camera(CameraSpec(SourceConfig(camera="a", url=clip, sample_fps=4, replay=True), []))
        pipeline.update_zones("a", [_zone(1.0)])  # before the loop has even applied the add
        runner.start()
        assert wait_for(lambda: any(e.kind == "new" for e in events)), "the zones were lost"
    finally:
        pipeline.stop()
        runner.join(10)
