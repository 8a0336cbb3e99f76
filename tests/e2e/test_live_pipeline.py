"""The whole pipeline on a live RTSP camera whose server dies and comes back.

A real GStreamer RTSP server loops lot-busy.mp4 on 127.0.0.1; the pipeline
watches it with the real detector. Mid-run the server is SIGKILLed (PyAV's
packet loop then simply ends: a disconnect, not the end of the video) and
restarted on the same port. The run must report the outage, reconnect,
keep producing frames and violations, and never raise.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from lanewatch.config import DetectorConfig, SourceConfig
from lanewatch.events.evidence import EvidenceWriter
from lanewatch.pipeline import CameraSpec, Pipeline
from lanewatch.zones.zone_file import load_zone_file
from tests.support.rtsp import RtspServer, require_gst_rtsp
from tests.support.serve import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(180)]
REPO = Path(__file__).resolve().parents[2]


def test_live_camera_survives_server_restart_and_reports_violations(footage_dir, make_detector, tmp_path) -> None:
    require_gst_rtsp()
    zones = load_zone_file(REPO / "zones" / "lot-busy.json").zones
    zones = [z.model_copy(update={"dwell_seconds": 4.0, "exit_grace_seconds": 3.0}) for z in zones]
    detector = make_detector(640)
    frames, health, events = [], [], []
    with RtspServer({"lot": footage_dir / "parking-aisle" / "lot-busy.mp4"}) as server:
        source = SourceConfig(
            camera="gate",
            url=server.url("lot"),
            sample_fps=2,
            io_timeout_s=1.0,
            reconnect_initial_s=0.2,
            reconnect_max_s=1.0,
        )
        pipeline = Pipeline(
            [CameraSpec(source, zones)],
            detector,
            detector_config=DetectorConfig(imgsz=640),
            evidence=EvidenceWriter(tmp_path),
            event_sinks=[events.append],
            health_sinks=[health.append],
            frame_sinks=[frames.append],
        )
        runner = threading.Thread(target=pipeline.run, daemon=True)
        runner.start()
        try:
            assert wait_for(lambda: any(e.kind == "new" for e in events), 60), "no violation from the live stream"
            before = len(frames)
            server.kill()
            assert wait_for(lambda: any(h.state.value == "offline" for h in health), 20), "outage not reported"
            server.start()
            assert wait_for(lambda: len(frames) > before + 6, 60), "frames did not resume after the restart"
        finally:
            pipeline.stop()
            runner.join(30)
    assert not runner.is_alive()
    states = [h.state.value for h in health]
    assert "offline" in states and states.index("offline") < len(states) - 1  # back online after the outage
    assert states[-1] == "online"
    offsets = [r.frame.offset_s for r in frames]
    assert offsets == sorted(offsets)  # stream time keeps increasing across the reconnect
    assert all(r.frame.timestamp.tzinfo is not None for r in frames)
    new = [e.after for e in events if e.kind == "new"]
    assert 1 <= len(new) <= 8  # parked cars, each once (stays survive a short outage within exit grace or restart)
    assert all((tmp_path / v.snapshot).is_file() for v in new)
