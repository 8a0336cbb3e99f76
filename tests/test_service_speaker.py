"""`lanewatch serve` with `speakers:`: the pipeline's violation events reach the speaker warnings after the store,
and the service's clock thread calls the lane speaker (a real receiver on 127.0.0.1) until the violation ends."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from sqlmodel import Session

from lanewatch.config import ServiceSettings
from lanewatch.detect.detections import Detections
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.service import Service
from lanewatch.store import speaker_log
from lanewatch.store.tables import CameraRow, utcnow
from tests.support.serve import wait_for
from tests.support.webhook_receiver import Receiver


class NoCameraDetector:
    """The service needs a detector; this one is never called (no cameras)."""

    names: ClassVar[dict[int, str]] = {2: "car"}

    def detect(self, images):
        return [Detections.empty() for _ in images]


def test_the_service_calls_the_speaker_while_a_violation_lasts(tmp_path) -> None:
    receiver = Receiver()
    settings = ServiceSettings(
        data_dir=tmp_path,
        speakers=[
            {
                "name": "东门喇叭",
                "camera": "gate",
                "after_s": 0,
                "repeat_s": 1,
                "method": "POST",
                "url": f"{receiver.base}/play",
                "json_body": {"text": "{camera_name}{zone_name}禁止停车"},
            }
        ],
    )
    service = Service(settings, detector=NoCameraDetector())
    with Session(service.engine) as session:
        session.add(CameraRow(id="gate", name="东门", source_url="rtsp://10.0.0.9/s", enabled=False))
        session.commit()
    now = utcnow()
    lasting = Violation(
        id="gate-east-1",
        camera="gate",
        zone="east",
        zone_name="东侧消防通道",
        label="car",
        start_s=0.0,
        violation_s=30.0,
        last_seen_s=31.0,
        end_s=None,
        started_at=now - timedelta(seconds=30),
        violation_at=now,
        ended_at=None,
        confidence=0.8,
        box=(0.1, 0.2, 0.3, 0.4),
    )
    service.start()
    try:
        for sink in service.pipeline.event_sinks:  # what the pipeline does with a new violation
            sink(ViolationEvent("new", None, lasting))
        assert wait_for(lambda: len(receiver.requests) >= 2, 20), "the speaker was not called twice"
        assert receiver.requests[0]["json"] == {"text": "东门东侧消防通道禁止停车"}
        ended = Violation(**{**{f: getattr(lasting, f) for f in lasting.__slots__}, "end_s": 40.0, "ended_at": now})
        for sink in service.pipeline.event_sinks:
            sink(ViolationEvent("end", lasting, ended))
        assert service.speakers.watched() == set()

        def settled() -> bool:  # a call the thread began before the end has come back
            with Session(service.engine) as session:
                calls = speaker_log.calls(session, "gate-east-1")
            return all(not (c.after or {}).get("pending") for c in calls) and len(calls) == len(receiver.requests)

        assert wait_for(settled, 10)
        made = len(receiver.requests)
        assert service.speakers.tick(now + timedelta(hours=1)) == 0  # the stored end: no call, whatever the time
        assert len(receiver.requests) == made
    finally:
        service.stop()
        receiver.close()
