"""LiveSource against a real GStreamer RTSP server that we kill and restart."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lanewatch.config import SourceConfig
from lanewatch.video import Frame, HealthEvent, LiveSource, SourceState
from tests.support.rtsp import RtspServer, free_port, require_gst_rtsp

pytestmark = [pytest.mark.rtsp, pytest.mark.timeout(60)]

SECRET = "s3cr3t-pw"


@pytest.fixture
def server(footage_dir: Path) -> Iterator[RtspServer]:
    require_gst_rtsp()
    with RtspServer({"lot": footage_dir / "parking-aisle" / "lot-busy.mp4"}) as running:
        yield running


def live_config(url: str, **overrides: object) -> SourceConfig:
    settings: dict[str, object] = {
        "camera": "gate",
        "url": url,
        "sample_fps": 4,
        "io_timeout_s": 1.0,
        "reconnect_initial_s": 0.1,
        "reconnect_max_s": 0.4,
    }
    return SourceConfig(**(settings | overrides))


class Consumer:
    """Runs ``source.frames()`` in its own thread, as the pipeline does."""

    def __init__(self, source: LiveSource) -> None:
        self.source = source
        self.frames: list[Frame] = []
        self.events: list[HealthEvent] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.frames.extend(self.source.frames())  # list.extend on a generator appends as it goes
        except BaseException as exc:
            self.error = exc

    def wait(self, condition: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            self.events += self.source.health.drain_events()
            assert self.error is None, f"frames() raised {self.error!r}"
            assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}"
            time.sleep(0.02)
        self.events += self.source.health.drain_events()

    def stop(self, within_s: float = 2.0) -> float:
        started = time.monotonic()
        self.source.stop()
        self._thread.join(within_s)
        assert not self._thread.is_alive(), f"frames() still running {within_s} s after stop()"
        assert self.error is None, f"frames() raised {self.error!r}"
        self.events += self.source.health.drain_events()
        return time.monotonic() - started


def test_survives_server_kill_and_resumes_on_restart(server: RtspServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    source = LiveSource(live_config(server.url("lot", userinfo=f"admin:{SECRET}")))
    consumer = Consumer(source)
    started = datetime.now(UTC)

    consumer.wait(lambda: len(consumer.frames) >= 4, 10, "first frames")
    first = list(consumer.frames)
    assert [f.offset_s for f in first] == sorted(f.offset_s for f in first)
    assert first[0].offset_s == 0.0 and first[-1].offset_s > 0.4
    assert all(abs(f.timestamp - started) < timedelta(seconds=10) for f in first)
    assert first[0].image.shape == (360, 640, 3) and source.frame_size == (640, 360)

    server.kill()
    consumer.wait(lambda: source.health.state == SourceState.OFFLINE, 5, "offline after SIGKILL")
    before_restart = len(consumer.frames)
    time.sleep(0.5)  # a few failed reconnects against the dead port
    assert source.attempts >= 2

    server.start()
    consumer.wait(lambda: len(consumer.frames) >= before_restart + 3, 10, "frames after restart")
    assert source.health.state == SourceState.ONLINE
    assert consumer.stop() < 1.0

    offsets = [f.offset_s for f in consumer.frames]
    assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)
    assert offsets[before_restart] > offsets[before_restart - 1] + 0.5  # the outage shows in stream time
    assert [f.index for f in consumer.frames] == list(range(len(consumer.frames)))
    assert source.connections == 2
    states = [e.state for e in consumer.events]
    assert states == [SourceState.ONLINE, SourceState.OFFLINE, SourceState.ONLINE]
    offline = consumer.events[1]
    assert "***@127.0.0.1" in offline.detail
    assert SECRET not in " ".join(e.detail for e in consumer.events)
    assert SECRET not in caplog.text


def test_hung_server_times_out_and_recovers(server: RtspServer) -> None:
    source = LiveSource(live_config(server.url("lot"), io_timeout_s=0.3))
    consumer = Consumer(source)
    consumer.wait(lambda: len(consumer.frames) >= 2, 10, "first frames")
    server.pause()
    started = time.monotonic()
    consumer.wait(lambda: source.health.state == SourceState.OFFLINE, 5, "offline after the server hung")
    assert time.monotonic() - started < 2.0  # FFmpeg's socket timeout fires after about 2 × io_timeout_s
    before = len(consumer.frames)
    server.resume()
    consumer.wait(lambda: len(consumer.frames) >= before + 2, 10, "frames after the server resumed")
    consumer.stop()
    assert [e.state for e in consumer.events] == [SourceState.ONLINE, SourceState.OFFLINE, SourceState.ONLINE]
    assert "timed out" in consumer.events[1].detail.lower()


@pytest.mark.parametrize(
    ("scenario", "detail"),
    [("no server", "Connection refused"), ("wrong path", "Not Found")],
)
def test_unreachable_camera_is_offline_and_retried_until_stopped(
    scenario: str, detail: str, footage_dir: Path, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    if scenario == "no server":
        url = f"rtsp://admin:{SECRET}@127.0.0.1:{free_port()}/lot"
    else:
        server = request.getfixturevalue("server")
        url = server.url("lot", userinfo=f"admin:{SECRET}").replace("/lot", "/nothing-here")
    source = LiveSource(live_config(url, reconnect_initial_s=0.05, reconnect_max_s=0.2))
    consumer = Consumer(source)
    consumer.wait(lambda: source.attempts >= 4, 5, "repeated connection attempts")
    assert consumer.stop() < 1.0
    assert consumer.frames == []
    assert [e.state for e in consumer.events] == [SourceState.OFFLINE]  # announced once, not per retry
    assert detail in consumer.events[0].detail
    assert SECRET not in consumer.events[0].detail and SECRET not in caplog.text


def test_stop_interrupts_the_backoff_wait() -> None:
    source = LiveSource(live_config(f"rtsp://127.0.0.1:{free_port()}/x", reconnect_initial_s=30))
    consumer = Consumer(source)
    consumer.wait(lambda: source.health.state == SourceState.OFFLINE and source.attempts == 1, 5, "first failure")
    time.sleep(0.1)  # now inside the 30 s wait
    assert consumer.stop() < 0.5


def test_duration_ends_a_live_source(server: RtspServer) -> None:
    source = LiveSource(live_config(server.url("lot"), sample_fps=2, duration_s=1.5))
    frames = list(source.frames())  # returns by itself
    assert [round(f.offset_s * 2) / 2 for f in frames] == [0.0, 0.5, 1.0]
    assert source.stopped


@pytest.mark.parametrize(
    ("sample_fps", "measured_gop_s", "keyframes_first"),
    [
        (0.5, None, True),  # first connection: the usual CCTV GOP (2 s) fits one look per 2 s
        (1.0, None, False),  # one look per second needs more than key frames of a 2 s GOP
        (0.5, 1.0, True),  # a reconnection starts from the GOP the last connection measured ...
        (0.5, 6.0, False),  # ... also when that one was too long for key frames only
    ],
)
def test_a_connection_starts_decoding_from_the_gop_expected(
    sample_fps: float, measured_gop_s: float | None, keyframes_first: bool
) -> None:
    from unittest.mock import MagicMock

    source = LiveSource(SourceConfig(camera="gate", url="rtsp://127.0.0.1:1/x", sample_fps=sample_fps))
    first = source._decoder(MagicMock(), None, retry_demux=False)
    if measured_gop_s is not None:
        first.gop_s = measured_gop_s
        assert source._decoder(MagicMock(), None, retry_demux=False).keyframes_only is keyframes_first
    else:
        assert first.keyframes_only is keyframes_first
