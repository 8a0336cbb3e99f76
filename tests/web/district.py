"""A small district served in-process for the role acceptance tests: two streets, each with a community
(one camera) and an enterprise (one smoke detector), and the people who work there.

district 本区 ─┬─ 东街道 jd-east ─┬─ 柳树社区 sq-willow: camera willow-gate 柳树东门
               │                 └─ 东方化工厂 qy-plant: device plant-smoke-3f
               └─ 西街道 jd-west ─┬─ 松树社区 sq-pine:   camera pine-gate 松树北门
                                 └─ 西山纺织厂 qy-mill:  device mill-smoke-2f

The app is the real one (`create_app`) on uvicorn in a thread, around the API tests' fake runtime
(no pipeline, no detector: each camera shows a frame of the shared parking footage). Violations are written the way the service
writes them (`OutboxSink`, the record and its webhook deliveries) and then announced on the bus;
alarms go through the real `AlarmService`. Each test adds its own records, so tests do not depend on
each other's order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from lanewatch.alarms.messages import SensorMessage
from lanewatch.alarms.service import AlarmService
from lanewatch.api.app import create_app
from lanewatch.api.runtime import CameraStatus
from lanewatch.config import AlarmSettings
from lanewatch.detect.detections import Detections
from lanewatch.events.evidence import write_jpeg
from lanewatch.events.unreliable import CAMERA_MOVED
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.people import accounts
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.db import open_engine, sqlite_url
from lanewatch.store.outbox import OutboxSink
from lanewatch.store.tables import CameraRow
from lanewatch.video.frame import Frame
from tests.api.conftest import FakeRuntime, lane_row, scene
from tests.api.test_events_sse import Server
from tests.conftest import FOOTAGE_DIR
from tests.support.org_tree import add_orgs

PASSWORD = "district-tests-2026"
FOOTAGE = FOOTAGE_DIR / "parking-aisle" / "lot-busy.mp4"


def picture() -> np.ndarray:
    """The cameras' picture: a frame of the shared parking footage (640×360), else a synthetic street."""
    if not FOOTAGE.exists():
        return scene()
    with av.open(str(FOOTAGE)) as container:
        for n, frame in enumerate(container.decode(video=0)):
            if n == 50:  # two seconds in: the parked row
                return frame.to_ndarray(format="bgr24")
    return scene()


ORGS = [  # code, name, kind, parent code
    ("jd-east", "东街道", "street", "district"),
    ("jd-west", "西街道", "street", "district"),
    ("sq-willow", "柳树社区", "community", "jd-east"),
    ("qy-plant", "东方化工厂", "enterprise", "jd-east"),
    ("sq-pine", "松树社区", "community", "jd-west"),
    ("qy-mill", "西山纺织厂", "enterprise", "jd-west"),
]
CAMERAS = {"willow-gate": ("柳树东门", "sq-willow"), "pine-gate": ("松树北门", "sq-pine")}
DEVICES = {"plant-smoke-3f": ("三楼烟感", "qy-plant"), "mill-smoke-2f": ("二楼烟感", "qy-mill")}
PEOPLE = {  # username: (display name, role, organisation code)
    "admin": ("区管理员", "admin", "district"),
    "wy-willow": ("柳树物业", "property_manager", "sq-willow"),
    "duty-east": ("东街道值班员", "duty_operator", "jd-east"),
    "qy-plant": ("化工厂安全员", "enterprise", "qy-plant"),
}


@dataclass
class District:
    runtime: FakeRuntime
    server: Server
    org: dict[str, int] = field(default_factory=dict)
    image: np.ndarray = field(default_factory=scene)

    @property
    def base(self) -> str:
        return self.server.url

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    def violation(self, camera: str, zone: str, zone_name: str, *, unreliable: bool = False) -> str:
        """A new violation of `camera` in `zone`, stored and announced as the service does; its id.

        `unreliable`: raised while the camera's view had moved (marked as `lanewatch.events.unreliable` does)."""
        now = datetime.now(UTC)
        vid = f"{camera}-{zone}-{uuid.uuid4().hex[:8]}"
        snapshot = f"{camera}/{vid}.jpg"
        for name in (snapshot, snapshot.replace(".jpg", "_clean.jpg")):
            write_jpeg(self.runtime.evidence_dir / name, self.image)
        record = Violation(
            id=vid,
            camera=camera,
            zone=zone,
            zone_name=zone_name,
            label="car",
            start_s=0.0,
            violation_s=30.0,
            last_seen_s=40.0,
            end_s=None,
            started_at=now - timedelta(seconds=40),
            violation_at=now - timedelta(seconds=10),
            ended_at=None,
            confidence=0.9,
            box=(0.3, 0.55, 0.56, 0.83),
            snapshot=snapshot,
            snapshot_clean=snapshot.replace(".jpg", "_clean.jpg"),
            unreliable_reason=CAMERA_MOVED if unreliable else None,
        )
        event = ViolationEvent("new", None, record)
        OutboxSink(self.engine)(event)
        self.runtime.bus.publish_violation(event)
        return vid

    def fire(self, device: str) -> str:
        """A fire alarm of `device` through the alarm service (stored, then announced); its id."""
        assert self.runtime.alarms is not None
        message = SensorMessage(
            device_id=device, kind="alarm", alarm_type="fire", message_id=uuid.uuid4().hex, detail="烟雾浓度超限"
        )
        self.runtime.alarms.submit([message], datetime.now(UTC))
        with Session(self.engine) as session:
            rows = session.exec(select(AlarmRow).where(AlarmRow.device_id == device, AlarmRow.state != "resolved"))
            return max(rows, key=lambda row: row.stored_at).id


def _build(engine: Engine, evidence: Path, image: np.ndarray) -> tuple[FakeRuntime, dict[str, int]]:
    runtime = FakeRuntime(engine=engine, evidence_dir=evidence)
    runtime.alarms = AlarmService(engine, runtime.bus, AlarmSettings())
    with Session(engine) as session:
        org = add_orgs(session, ORGS)
        now = datetime.now(UTC)
        for camera, (name, community) in CAMERAS.items():
            session.add(CameraRow(id=camera, name=name, source_url=f"rtsp://10.0.0.9/{camera}", org_pk=org[community]))
            runtime.frames[camera] = (Frame(camera, image, now, 12.0, 12), Detections.empty())
            runtime.statuses[camera] = CameraStatus(state="online", last_frame_at=now, frames=12, dropped=0)
        session.flush()
        # the other community's lane, so its camera has something to leak
        session.add(lane_row("pine-gate", "north-lane", "北门消防通道"))
        for device, (name, enterprise) in DEVICES.items():
            session.add(
                DeviceRow(id=device, type="smoke_detector", name=name, building="1号楼", org_pk=org[enterprise])
            )
        for username, (display, role, code) in PEOPLE.items():
            accounts.create(
                session,
                username=username,
                password=PASSWORD,
                role=role,
                org_pk=org[code],
                display_name=display,
                must_change=False,
            )
        session.commit()
    return runtime, org


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> Iterator[District]:
    workdir = tmp_path_factory.mktemp("district")
    engine = open_engine(sqlite_url(workdir / "lanewatch.db"))
    image = picture()
    runtime, org = _build(engine, workdir / "evidence", image)
    server = Server(create_app(runtime))
    try:
        yield District(runtime, server, org, image)
    finally:
        server.stop()
        engine.dispose()
