"""A fake runtime around a real database (SQLite and PostgreSQL) and real evidence JPEGs; keys per role."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from lanewatch.alarms.service import AlarmService
from lanewatch.api.app import create_app
from lanewatch.api.auth import create_api_key
from lanewatch.api.runtime import CameraStatus
from lanewatch.config import AlarmSettings
from lanewatch.detect.detections import Detections
from lanewatch.events.bus import EventBus
from lanewatch.events.evidence import write_jpeg
from lanewatch.events.links import LinkSigner
from lanewatch.store.tables import ApiKeyRow, CameraRow, ViolationRow, ZoneRow, utcnow
from lanewatch.video.frame import Frame

SECRET_URL = "rtsp://admin:s3cr3t-pw@10.0.0.5:554/Streaming/101?token=tok-abc123"
SECRETS = ("s3cr3t-pw", "tok-abc123", "admin:")
FRAME_W, FRAME_H = 640, 360
T0 = datetime(2026, 6, 1, 8, 0, 0, tzinfo=UTC)
LANE = {
    "id": "lane-a",
    "name": "Lane A",
    "polygon": [[0.1, 0.5], [0.9, 0.5], [0.9, 0.95], [0.1, 0.95]],
    "dwell_seconds": 30.0,
}


def lane_row(camera_id: str, zone_id: str, name: str, classes: tuple[str, ...] = ("car",)) -> ZoneRow:
    """A stored lane zone over the bottom half of the picture (`LANE`'s polygon), 30 s dwell."""
    return ZoneRow(
        camera_id=camera_id,
        zone_id=zone_id,
        name=name,
        polygon=LANE["polygon"],
        dwell_seconds=30.0,
        exit_grace_seconds=5.0,
        classes=list(classes),
        anchor="bottom_center",
        position=0,
    )


class RecordingBus(EventBus):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, kind: str, payload: dict[str, Any]):
        self.published.append((kind, payload))
        return super().publish(kind, payload)


@dataclass
class FakeRuntime:
    """The `Runtime` protocol without a pipeline: a real engine, real files, recorded reloads."""

    engine: Engine
    evidence_dir: Path
    bus: RecordingBus = field(default_factory=RecordingBus)
    frames: dict[str, tuple[Frame, Detections]] = field(default_factory=dict)
    statuses: dict[str, CameraStatus] = field(default_factory=dict)
    reloads: list[str] = field(default_factory=list)
    alarms: AlarmService | None = None
    links: LinkSigner | None = None

    def latest_frame(self, camera_id: str) -> tuple[Frame, Detections] | None:
        return self.frames.get(camera_id)

    def camera_status(self, camera_id: str) -> CameraStatus:
        return self.statuses.get(camera_id, CameraStatus(state="stopped", last_frame_at=None))

    def reload_camera(self, camera_id: str) -> None:
        self.reloads.append(camera_id)

    def metrics_text(self) -> str:
        return (
            "# HELP lanewatch_frames_total Frames analysed.\n# TYPE lanewatch_frames_total counter\n"
            'lanewatch_frames_total{camera="cam1"} 42\n'
        )

    def pipeline_health(self) -> None:
        return None  # no pipeline in this process

    def alarm_ingest_health(self) -> dict:
        return {}  # HTTP ingest only


def scene() -> np.ndarray:
    """A synthetic street: grey gradient with a dark 'car' where the test box is."""
    y, x = np.mgrid[0:FRAME_H, 0:FRAME_W]
    image = np.stack([(x * 255 // FRAME_W), (y * 255 // FRAME_H), np.full_like(x, 128)], axis=-1).astype(np.uint8)
    image[200:300, 200:360] = (30, 30, 160)
    return image


BOX = (200 / FRAME_W, 200 / FRAME_H, 360 / FRAME_W, 300 / FRAME_H)


def detections() -> Detections:
    return Detections(xyxy=[[200, 200, 360, 300]], confidence=[0.9], class_id=[2], class_name=["car"], tracker_id=[7])


def violation_row(n: int, **changes: Any) -> ViolationRow:
    at = T0 + timedelta(minutes=n)
    base = {
        "id": f"cam1-lane-a-{n:04d}",
        "camera": "cam1",
        "zone": "lane-a",
        "zone_name": "Lane A",
        "label": "car",
        "start_s": n * 60.0,
        "violation_s": n * 60.0 + 30,
        "last_seen_s": n * 60.0 + 40,
        "end_s": None,
        "started_at": at - timedelta(seconds=30),
        "violation_at": at,
        "ended_at": None,
        "confidence": 0.8,
        "box_x1": BOX[0],
        "box_y1": BOX[1],
        "box_x2": BOX[2],
        "box_y2": BOX[3],
        "snapshot": f"cam1/2026-06-01/v{n}.jpg",
        "snapshot_clean": f"cam1/2026-06-01/v{n}_clean.jpg",
        "updated_at": utcnow(),
    }
    return ViolationRow(**{**base, **changes})


@pytest.fixture
def runtime(engine: Engine, tmp_path: Path) -> FakeRuntime:
    """On each backend of the `engine` fixture (SQLite and PostgreSQL)."""
    evidence = tmp_path / "evidence"
    rt = FakeRuntime(engine=engine, evidence_dir=evidence)
    rt.alarms = AlarmService(engine, rt.bus, AlarmSettings())
    image = scene()
    with Session(engine) as session:
        session.add(CameraRow(id="cam1", name="Gate 1", source_url=SECRET_URL, building="B1"))
        session.add(CameraRow(id="cam2", name="Gate 2", source_url="rtsp://10.0.0.6/stream"))
        session.add(lane_row("cam1", "lane-a", "Lane A", ("car", "truck")))
        for n in range(3):
            row = violation_row(n)
            session.add(row)
            write_jpeg(evidence / row.snapshot, image)
            write_jpeg(evidence / row.snapshot_clean, image)
        session.commit()
    rt.frames["cam1"] = (Frame("cam1", image, T0, 12.0, 12), detections())
    rt.statuses["cam1"] = CameraStatus(state="online", last_frame_at=T0, frames=12, dropped=1)
    return rt


@pytest.fixture
def app(runtime: FakeRuntime):
    return create_app(runtime, max_body_bytes=64 * 1024)


@pytest.fixture
def client(app) -> TestClient:
    # The tests read the generic error sentences in English; tests/api/test_error_words.py reads them in Chinese.
    with TestClient(app, headers={"Accept-Language": "en"}) as c:
        yield c


@dataclass
class Keys:
    viewer: str
    operator: str
    admin: str
    revoked: str

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}


@pytest.fixture
def keys(runtime: FakeRuntime) -> Keys:
    made = {
        role: create_api_key(runtime.engine, role=role, name=f"{role}-key") for role in ("viewer", "operator", "admin")
    }
    revoked = create_api_key(runtime.engine, role="admin", name="old-admin")
    with Session(runtime.engine) as session:
        for row in session.exec(select(ApiKeyRow).where(ApiKeyRow.name == "old-admin")):
            row.revoked_at = utcnow()
            session.add(row)
        session.commit()
    return Keys(revoked=revoked, **made)
