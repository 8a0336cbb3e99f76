"""A small district for scope tests: two streets, a community and an enterprise in each, a fire brigade.

district ─┬─ street s1 ─┬─ community c1: camera cam1 (zone lane-a, violations cam1-lane-a-000n)
          │             └─ enterprise e1: device dev-e1 (a fire alarm, an acknowledged fault alarm)
          ├─ street s2 ─┬─ community c2: camera cam2 (zone lane-a, violations cam2-lane-a-000n)
          │             └─ enterprise e2: device dev-e2 (the same alarms)
          └─ agency brigade (sees the whole district)

Callers are API keys with ``org_pk`` set and a role written straight into the
row (a person's role on a key), so these tests need no sign-in. What each
caller should see is written out by hand in `SEES`, not computed from the
code under test.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from lanewatch.alarms.messages import SensorMessage
from lanewatch.api.auth import hash_key
from lanewatch.events.evidence import write_jpeg
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.tables import ApiKeyRow, CameraRow, ViolationRow
from lanewatch.video.frame import Frame
from tests.support.org_tree import add_orgs

from .conftest import T0, FakeRuntime, detections, lane_row, scene, violation_row

ORGS = [  # code, kind, parent code
    ("s1", "street", "district"),
    ("s2", "street", "district"),
    ("c1", "community", "s1"),
    ("c2", "community", "s2"),
    ("e1", "enterprise", "s1"),
    ("e2", "enterprise", "s2"),
    ("brigade", "agency", "district"),
]
CALLERS = {  # name: (role, organisation code)
    "district_admin": ("admin", "district"),
    "s1_admin": ("admin", "s1"),
    "s1_duty": ("duty_operator", "s1"),
    "c1_manager": ("property_manager", "c1"),
    "e1_enterprise": ("enterprise", "e1"),
    "brigade_viewer": ("viewer", "brigade"),
    "s1_maintainer": ("maintainer", "s1"),
}
SEES = {  # the cameras and devices each caller sees, by hand
    "district_admin": {"cam1", "cam2", "dev-e1", "dev-e2"},
    "s1_admin": {"cam1", "dev-e1"},
    "s1_duty": {"cam1", "dev-e1"},
    "c1_manager": {"cam1"},
    "e1_enterprise": {"dev-e1"},
    "brigade_viewer": {"cam1", "cam2", "dev-e1", "dev-e2"},
    "s1_maintainer": {"cam1", "dev-e1"},
}


@dataclass
class World:
    runtime: FakeRuntime
    org: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    alarms: dict[str, str] = field(default_factory=dict)  # "<device>:fire" / "<device>:fault" -> alarm id

    def headers(self, caller: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[caller]}"}


def add_key(session: Session, name: str, role: str, org_pk: int | None) -> str:
    key = "lw_" + secrets.token_urlsafe(32)
    session.add(ApiKeyRow(name=name, role=role, prefix=key[:12], key_hash=hash_key(key), org_pk=org_pk))
    return key


def _cameras(session: Session, runtime: FakeRuntime, org: dict[str, int]) -> None:
    image = scene()
    session.get(CameraRow, "cam1").org_pk = org["c1"]
    session.get(CameraRow, "cam2").org_pk = org["c2"]
    session.add(lane_row("cam2", "lane-a", "二号车道"))
    for n in range(3):
        row = violation_row(
            n,
            id=f"cam2-lane-a-{n:04d}",
            camera="cam2",
            violation_at=T0 + timedelta(minutes=n, seconds=30),
            snapshot=f"cam2/v{n}.jpg",
            snapshot_clean=f"cam2/v{n}_clean.jpg",
        )
        session.add(row)
        write_jpeg(runtime.evidence_dir / row.snapshot, image)
        write_jpeg(runtime.evidence_dir / row.snapshot_clean, image)
    runtime.frames["cam2"] = (Frame("cam2", image, T0, 12.0, 12), detections())


def build(runtime: FakeRuntime) -> World:
    world = World(runtime)
    with Session(runtime.engine) as session:
        world.org.update(add_orgs(session, ((code, f"{code} 名称", kind, parent) for code, kind, parent in ORGS)))
        _cameras(session, runtime, world.org)
        for device, org in (("dev-e1", "e1"), ("dev-e2", "e2")):
            session.add(DeviceRow(id=device, type="smoke_detector", name=device, building="B9", org_pk=world.org[org]))
        for name, (role, org) in CALLERS.items():
            world.keys[name] = add_key(session, name, role, world.org[org])
        session.commit()
    assert runtime.alarms is not None
    for device in ("dev-e1", "dev-e2"):
        for n, kind in enumerate(("fire", "fault")):
            message = SensorMessage(device_id=device, kind="alarm", alarm_type=kind, message_id=f"{device}-{n}")
            runtime.alarms.submit([message], T0)
    with Session(runtime.engine) as session:
        for alarm in session.exec(select(AlarmRow)):
            world.alarms[f"{alarm.device_id}:{alarm.alarm_type}"] = alarm.id
    for device in ("dev-e1", "dev-e2"):
        runtime.alarms.acknowledge(world.alarms[f"{device}:fault"], "setup")
    runtime.bus.published.clear()
    return world


@pytest.fixture(name="world")
def world_fixture(runtime: FakeRuntime) -> World:
    return build(runtime)


def violation_ids(session: Session, camera: str) -> list[str]:
    return list(session.exec(select(ViolationRow.id).where(ViolationRow.camera == camera)))
