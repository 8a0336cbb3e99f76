"""The pipeline loop: cameras added, re-zoned and removed while it runs (service mode)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import ClassVar

import numpy as np
import pytest

from lanewatch.config import DetectorConfig, LookConfig, SourceConfig
from lanewatch.detect.detections import Detections
from lanewatch.pipeline import CameraSpec, Pipeline
from lanewatch.zones.zone import Zone
from tests.support.rtsp import RtspServer, require_gst_rtsp
from tests.support.serve import wait_for


class ParkedCarDetector:
    """Sees one car at the bottom-left of every frame."""

    names: ClassVar[dict[int, str]] = {2: "car"}

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
    spec = CameraSpec(
        SourceConfig(camera="a", url=str(footage_dir / "parking-aisle" / "lot-busy.mp4"), sample_fps=2, duration_s=4),
        [_zone(1.0)],
    )
    stats = Pipeline([spec], ParkedCarDetector(), event_sinks=[broken, good.append]).run()
    assert stats.frames["a"] >= 7 and any(e.kind == "new" for e in good)


def test_a_frame_older_than_the_last_is_skipped_not_fatal() -> None:
    from datetime import datetime

    from lanewatch.camera import CameraState
    from lanewatch.config import TrackerConfig
    from lanewatch.video.frame import Frame

    state = CameraState("a", [_zone(5.0)], TrackerConfig(), None)
    now = datetime(2026, 1, 1, tzinfo=UTC)
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


class SlowDetector(ParkedCarDetector):
    """Takes ``seconds`` per image while ``slow`` is set: a detector that cannot keep up, then recovers."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.slow = seconds, threading.Event()
        self.slow.set()

    def detect(self, images):
        if self.slow.is_set():
            time.sleep(self.seconds * len(images))
        return super().detect(images)


def test_a_slow_detector_drops_the_oldest_looks_and_reports_behind_until_it_catches_up(footage_dir, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from lanewatch.api.app import create_app
    from lanewatch.config import DetectorConfig, LookConfig
    from lanewatch.events.bus import EventBus
    from lanewatch.pipeline import LIVE_BUFFER_FRAMES
    from lanewatch.service_metrics import metrics_text
    from lanewatch.store.db import open_engine, sqlite_url

    clip = str(footage_dir / "parking-aisle" / "lot-busy.mp4")
    specs = [CameraSpec(SourceConfig(camera=c, url=clip, sample_fps=4, replay=True), [_zone(30.0)]) for c in "abc"]
    detector = SlowDetector(0.25)  # 4 looks/s for 12 looks/s of demand
    frames = []
    pipeline = Pipeline(
        specs,
        detector,
        detector_config=DetectorConfig(batch_size=1),
        look_config=LookConfig(change_gate=False),
        frame_sinks=[frames.append],
        behind_hold_s=1.5,
    )
    runner = threading.Thread(target=pipeline.run, kwargs={"keep_alive": True}, daemon=True)
    runner.start()
    runtime = type("Runtime", (), {})()
    runtime.engine, runtime.evidence_dir, runtime.bus = open_engine(sqlite_url(tmp_path / "db")), tmp_path, EventBus()
    runtime.pipeline_health = pipeline.health
    runtime.alarm_ingest_health = dict
    try:
        assert wait_for(lambda: pipeline.health().state == "behind", 20), "never reported behind"
        depths, lags = [], []
        for _ in range(20):  # nothing queues without bound, and what is analysed is recent
            depths.append(pipeline.buffers.depth())
            lags += [
                (r.frame.timestamp.now(r.frame.timestamp.tzinfo) - r.frame.timestamp).total_seconds()
                for r in frames[-3:]
            ]
            time.sleep(0.1)
        assert max(depths) <= 3 * LIVE_BUFFER_FRAMES
        # not falling further behind (without the drops the lag grows by 2 s a second: 4 looks/s for 12);
        # the bound leaves room for a loaded machine, not for a growing queue
        assert max(lags) < 4.0 and max(lags[-9:]) < max(lags[:9]) + 1.0
        behind = pipeline.health()
        assert behind.dropped > 0 and behind.since is not None
        with TestClient(create_app(runtime)) as client:
            body = client.get("/api/health").json()
        assert body["pipeline"]["state"] == "behind" and body["status"] == "degraded"
        text = metrics_text(pipeline, {})
        assert "lanewatch_pipeline_behind 1.0" in text and 'lanewatch_looks_dropped_total{camera="a"}' in text

        detector.slow.clear()  # the backlog drains; after behind_hold_s without drops: ok again
        assert wait_for(lambda: pipeline.health().state == "ok", 10), "never caught up"
        settled = pipeline.health().dropped
        time.sleep(1.0)
        assert pipeline.health().state == "ok" and pipeline.health().dropped == settled
        assert "lanewatch_pipeline_behind 0.0" in metrics_text(pipeline, {})
    finally:
        pipeline.stop()
        runner.join(10)
    for camera in "abc":
        offsets = [r.frame.offset_s for r in frames if r.frame.camera == camera]
        assert offsets == sorted(offsets) and len(offsets) > 5  # every camera served, each in stream order
    assert sum(pipeline.stats.dropped.values()) == settled


class CrashingDetector(ParkedCarDetector):
    """Its worker 'dies' on the second batch: the results of that batch are lost."""

    def __init__(self) -> None:
        self.calls, self.lost = 0, 0

    def detect(self, images):
        from lanewatch.detect.worker import DetectorCrashed

        self.calls += 1
        found = super().detect(images)
        if self.calls == 2:
            self.lost = len(images)
            raise DetectorCrashed([None] * len(images), "worker 0 lost (exit code -9)")
        return found


def test_looks_lost_with_a_crashed_worker_are_dropped_and_the_cameras_go_on(footage_dir) -> None:
    from lanewatch.config import DetectorConfig, LookConfig

    clip = str(footage_dir / "parking-aisle" / "lot-busy.mp4")
    specs = [CameraSpec(SourceConfig(camera=c, url=clip, sample_fps=2, duration_s=6), [_zone(1.0)]) for c in "ab"]
    detector = CrashingDetector()
    stats = Pipeline(
        specs, detector, detector_config=DetectorConfig(batch_size=4), look_config=LookConfig(change_gate=False)
    ).run()
    assert stats.detector_restarts == 1 and stats.detector_errors == 0 and detector.lost >= 1
    assert sum(stats.dropped.values()) == detector.lost  # the lost batch, counted per camera
    assert sum(stats.frames.values()) == 2 * 12 - detector.lost  # everything else analysed
    assert stats.inferences == 2 * 12 - detector.lost


@pytest.mark.rtsp
@pytest.mark.timeout(90)
def test_live_cameras_behind_a_slow_detector_drop_their_oldest_looks_before_decoding_them(tmp_path) -> None:
    """Key frames decoded only when the camera's last look was taken: under overload the cores go to the
    looks that are analysed (at 56 cameras on 2 cores the readers used to decode 28 key frames/s and starve
    the detector), each camera has at most one look waiting, and what is analysed is recent."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg CLI not installed (Debian package ffmpeg)")
    require_gst_rtsp()
    clip = tmp_path / "gop05.mp4"  # a key frame every 0.5 s: one look per key frame at sample_fps 2
    subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=10",
            "-t",
            "20",
            "-c:v",
            "libx264",
            "-g",
            "5",
            "-bf",
            "0",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ],
        check=True,
        timeout=60,
    )
    detector = SlowDetector(0.25)  # 4 looks/s for 6 looks/s of demand
    frames: list = []
    with RtspServer(dict.fromkeys("abc", clip)) as server:
        specs = [CameraSpec(SourceConfig(camera=c, url=server.url(c), sample_fps=2), [_zone(30.0)]) for c in "abc"]
        pipeline = Pipeline(
            specs,
            detector,
            detector_config=DetectorConfig(batch_size=1),
            look_config=LookConfig(change_gate=False),
            frame_sinks=[frames.append],
        )
        runner = threading.Thread(target=pipeline.run, kwargs={"keep_alive": True}, daemon=True)
        runner.start()
        try:
            assert wait_for(lambda: min(s.superseded for s in pipeline.sources.values()) >= 3, 30), (
                "no key frame was dropped undecoded"
            )
            time.sleep(1.5)  # the 2 looks a camera may queue until its GOP is measured (full decoding) are gone
            depths, lags = [], []
            for _ in range(20):
                depths.append(pipeline.buffers.depth())
                lags += [(datetime.now(UTC) - r.frame.timestamp).total_seconds() for r in frames[-3:]]
                time.sleep(0.1)
            superseded = {c: s.superseded for c, s in pipeline.sources.items()}
            health = pipeline.health()
        finally:
            pipeline.stop()
            runner.join(10)
    assert max(depths) <= 3  # one look waiting per camera at most
    # recent, and not falling further behind: without the drops the lag grows by ~1 s per 2 s of stream
    # (4 looks/s served for 6 asked); the bound leaves room for a loaded machine, not for a growing queue
    assert max(lags) < 4.0 and max(lags[-9:]) < max(lags[:9]) + 1.0
    assert health.state == "behind" and health.dropped >= sum(superseded.values())
    for camera in "abc":  # every camera served, in stream order, and its undecoded drops counted as dropped
        offsets = [r.frame.offset_s for r in frames if r.frame.camera == camera]
        assert offsets == sorted(offsets) and len(offsets) >= 4
        assert pipeline.stats.dropped[camera] >= superseded[camera]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_readers_decode_at_a_lower_priority_than_the_loop_and_the_detector(footage_dir, monkeypatch) -> None:
    """Decoding waits for a free core; the detector every look waits for does not wait for the decoders."""
    from lanewatch.pipeline import READER_NICE
    from lanewatch.video.file_source import FileSource

    if os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) >= READER_NICE:
        pytest.skip("the tests already run at the readers' nice value")
    seen: list[int] = []
    frames = FileSource.frames

    def recording(self):  # type: ignore[no-untyped-def]
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        yield from frames(self)

    monkeypatch.setattr(FileSource, "frames", recording)
    clip = str(footage_dir / "parking-aisle" / "lot-busy.mp4")
    pipeline = Pipeline(
        [CameraSpec(SourceConfig(camera="a", url=clip, duration_s=1), [_zone(30.0)])], ParkedCarDetector()
    )
    pipeline.run()
    assert seen == [READER_NICE] and os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < READER_NICE


def test_detector_workers_leave_a_core_for_decoding() -> None:
    from lanewatch.detect.worker import default_threads

    assert [default_threads(1, cores) for cores in (1, 2, 4, 16)] == [1, 1, 3, 15]
    assert [default_threads(2, cores) for cores in (2, 4, 9)] == [1, 1, 4]


def _still_clip(path, seconds: float = 8.0, fps: int = 10) -> None:
    """A textured still with a little sensor noise, H.264 with a 1 s GOP: a lane where nothing happens."""
    import av

    rng = np.random.default_rng(3)
    still = np.repeat(np.repeat(rng.integers(30, 220, (18, 32, 3), dtype=np.uint8), 20, 0), 20, 1)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"g": str(fps), "bf": "0"})
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        for _ in range(int(seconds * fps)):
            noisy = np.clip(still + rng.normal(0, 2, still.shape), 0, 255).astype(np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(noisy, format="bgr24")))
        out.mux(stream.encode(None))


def test_looks_the_change_gate_skips_are_never_converted_to_bgr(tmp_path) -> None:
    """Converting a 1080p picture to BGR costs more than gating it: only looks that reach the detector pay."""
    clip = tmp_path / "still.mp4"
    _still_clip(clip)
    seen: list[tuple[bool, bool]] = []
    pipeline = Pipeline(
        [CameraSpec(SourceConfig(camera="a", url=str(clip), sample_fps=2), [_zone(5.0)])],
        ParkedCarDetector(),
        look_config=LookConfig(),
        frame_sinks=[lambda result: seen.append((result.inferred, result.frame.converted))],
    )
    pipeline.run()
    assert len(seen) >= 14
    assert seen[0] == (True, True)  # the first look goes through the detector, in colour
    skipped = [converted for inferred, converted in seen if not inferred]
    assert len(skipped) >= 10 and not any(skipped)
    assert all(converted for inferred, converted in seen if inferred)


class _Unconvertible:
    """A decoded picture whose BGR conversion fails (as a corrupt picture can in FFmpeg)."""

    size = (640, 360)
    converted = False

    def bgr(self):
        raise ValueError("corrupt picture")

    def grey_thumbnail(self, width, height):
        return np.zeros((height, width), np.uint8)


class _LoggingDetector(ParkedCarDetector):
    """Logs each call's start with the crop heights it got (each camera has its own lane, so its own height)."""

    def __init__(self, log: list) -> None:
        self.log = log

    def detect(self, images):
        self.log.append(("detect", [img.shape[0] for img in images]))
        time.sleep(0.05)
        return super().detect(images)


def test_the_detector_works_on_the_next_batch_while_the_loop_handles_the_last(footage_dir) -> None:
    """The loop's own work (tracking, zones, sinks) must not leave the detector idle; a camera's next look
    still goes to the detector only after its last look was handled (its gate compares with that one)."""
    clip = str(footage_dir / "parking-aisle" / "lot-busy.mp4")
    tall, short = _zone(1.0, ((0, 0.5), (1, 0.5), (1, 1), (0, 1))), _zone(1.0, ((0, 0.8), (1, 0.8), (1, 1), (0, 1)))
    log: list = []

    def handled(result) -> None:
        time.sleep(0.02)  # the loop's own work, during which the detector can start the next batch
        log.append(("handled", result.frame.camera))

    stats = Pipeline(
        [
            CameraSpec(SourceConfig(camera=c, url=clip, sample_fps=4, duration_s=3), [zone])
            for c, zone in (("a", tall), ("b", short))
        ],
        _LoggingDetector(log),
        detector_config=DetectorConfig(batch_size=1),
        look_config=LookConfig(change_gate=False),
        frame_sinks=[handled],
    ).run()
    assert stats.frames == {"a": 12, "b": 12} and stats.detector_errors == 0
    heights = sorted({h for kind, got in log if kind == "detect" for h in got})
    assert len(heights) == 2, heights
    camera_of = {heights[1]: "a", heights[0]: "b"}  # a's lane is the taller
    entries = [(kind, camera_of[got[0]] if kind == "detect" else got) for kind, got in log]
    # overlap: some call began while the look before it was still being handled (never, when the loop waits)
    assert any(kind == "detect" and entries[i - 1][0] == "detect" for i, (kind, _) in enumerate(entries) if i), log
    # never two looks of one camera in flight: each camera alternates detect, handled
    for camera in ("a", "b"):
        assert [kind for kind, who in entries if who == camera] == ["detect", "handled"] * 12, (camera, entries)


def test_a_picture_that_will_not_convert_costs_its_own_look_not_the_batch(footage_dir) -> None:
    from lanewatch.video.frame import Frame

    clip = str(footage_dir / "parking-aisle" / "lot-busy.mp4")
    detector = ParkedCarDetector()
    seen = []
    pipeline = Pipeline(
        [CameraSpec(SourceConfig(camera=c, url=clip), [_zone(5.0)]) for c in ("good", "bad")],
        detector,
        frame_sinks=[seen.append],
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    frames = [
        Frame("good", np.zeros((360, 640, 3), np.uint8), now, 1.0, 0),
        Frame("bad", _Unconvertible(), now, 1.0, 0),
    ]
    with ThreadPoolExecutor(max_workers=1) as calls:
        pipeline._finish(pipeline._submit(pipeline._prepare(frames), calls))
    assert [r.frame.camera for r in seen] == ["good"] and len(seen[0].detections) == 1
    assert pipeline.sources["bad"].errors == 1 and pipeline.stats.detector_errors == 0
