"""Config sync without a broker: the later-wins rule, the capture of local edits, and a conflict audited at
both ends (an edge and a centre database on SQLite, the edge's real outbox entry and the centre's real
retained snapshot carried by hand)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch.config import CentreConfig, UplinkConfig
from lanewatch.people import audit
from lanewatch.people.caller import Caller
from lanewatch.store.alarm_tables import DeviceRow
from lanewatch.store.db import open_engine
from lanewatch.store.people_tables import AuditRow, OrganisationRow
from lanewatch.store.tables import CameraRow, ZoneRow, utcnow
from lanewatch.store.uplink_tables import ConfigItemRow, UplinkDeadLetterRow, UplinkOutboxRow
from lanewatch.store.zone_rows import fill_row, zone_of
from lanewatch.uplink import config_sync_capture
from lanewatch.uplink.bad_message import BadMessage
from lanewatch.uplink.centre_apply import apply_message
from lanewatch.uplink.config_sync import Version, next_edit_time
from lanewatch.uplink.config_sync_link import apply_snapshot, publish_due, snapshot
from lanewatch.uplink.publisher import message
from lanewatch.uplink.role import UplinkRole
from tests.api.conftest import LANE, lane_row
from tests.uplink.conftest import SITE, T0


def _version(at_s: float, origin: str = "edge", by: str = "a", base_s: float | None = None) -> Version:
    base = T0 + timedelta(seconds=base_s) if base_s is not None else None
    return Version(SITE, "zone", "gate/lane-1", {}, T0 + timedelta(seconds=at_s), by, origin, base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (_version(1), _version(2)),  # the later edit
        (_version(5, "centre"), _version(6, "edge")),  # whoever made it
        (_version(5, "edge"), _version(5, "centre")),  # the same instant: the centre's
        (_version(5, "edge", "a"), _version(5, "edge", "b")),  # and then by name, so both ends agree
    ],
)
def test_the_later_version_wins(one: Version, other: Version) -> None:
    assert one.order() < other.order()


def test_an_edit_is_never_dated_before_the_version_it_changed() -> None:
    """A clock a minute behind the other end's still makes the next edit the later one."""
    base = T0 + timedelta(minutes=1)
    assert next_edit_time(base, now=T0) > base
    assert next_edit_time(base, now=base + timedelta(seconds=3)) == base + timedelta(seconds=3)
    assert next_edit_time(None, now=T0) == T0


@dataclass
class End:
    engine: Engine
    side: str
    camera: str  # this end's id of the site's camera

    def edit_zone(self, who: str, **changes: Any) -> None:
        """Change zone lane-1 of the camera as the zones router does: the row and its audit entry."""
        with Session(self.engine) as session:
            row = session.exec(select(ZoneRow).where(ZoneRow.camera_id == self.camera)).one()
            before = zone_of(row)
            after = before.model_copy(update=changes)
            session.add(fill_row(row, after))
            caller = Caller(pk=1, name=who, role="admin")
            old, new = audit.changed_fields(before.model_dump(mode="json"), after.model_dump(mode="json"))
            audit.record(session, caller, "zone.update", "zone", f"{self.camera}/lane-1", org_pk=None, before=old,
                         after=new)  # fmt: skip
            session.commit()

    def dwell(self) -> float:
        dwell = self.dwell_or_none()
        assert dwell is not None
        return dwell

    def dwell_or_none(self) -> float | None:
        with Session(self.engine) as session:
            return session.exec(select(ZoneRow.dwell_seconds).where(ZoneRow.camera_id == self.camera)).first()

    def config_audit(self) -> list[AuditRow]:
        with Session(self.engine) as session:
            return list(
                session.exec(select(AuditRow).where(col(AuditRow.action).startswith("config.")).order_by(AuditRow.pk))
            )


@pytest.fixture
def ends(tmp_path, request, migrated_templates) -> Iterator[tuple[End, End]]:
    """An edge and a centre on SQLite, capturing their edits, both holding camera gate with zone lane-1."""
    engines = []
    for name in ("edge", "centre"):
        path = tmp_path / f"{name}.db"
        shutil.copyfile(migrated_templates("sqlite", request), path)
        engines.append(open_engine(f"sqlite:///{path}"))
    edge, centre = End(engines[0], "edge", "gate"), End(engines[1], "centre", f"{SITE}.gate")
    with Session(centre.engine) as session:
        root = session.exec(select(OrganisationRow).where(OrganisationRow.code == "district")).one()
        session.add(OrganisationRow(code=SITE, name="A 社区", kind="community", parent_pk=root.pk))
        session.commit()
    for end in (edge, centre):
        with Session(end.engine) as session:
            session.add(CameraRow(id=end.camera, name="东门", source_url="rtsp://cam/1", site=SITE))
            session.add(lane_row(end.camera, "lane-1", "东门消防通道"))
            session.commit()
    config_sync_capture.attach(edge.engine, "edge", SITE)
    config_sync_capture.attach(centre.engine, "centre")
    yield edge, centre
    for end in (edge, centre):
        config_sync_capture.detach(end.engine)
        end.engine.dispose()


def _to_centre(edge: End, centre: End) -> list[str]:
    """Carry the edge's config outbox entries to the centre's ingest as the publisher words them."""
    with Session(edge.engine) as session:
        rows = list(session.exec(select(UplinkOutboxRow).where(UplinkOutboxRow.kind == "config")))
    outcomes = []
    for row in rows:
        with Session(centre.engine) as session:
            outcomes.append(apply_message(session, f"lanewatch/v1/site/{SITE}/config", message(SITE, row), utcnow()))
            session.commit()
    return outcomes


def _to_edge(centre: End, edge: End) -> dict[str, int]:
    """Carry the centre's retained snapshot to the edge (what `ConfigPublisher` publishes)."""
    sent: list[bytes] = []
    publish_due(centre.engine, lambda topic, payload: sent.append(payload) or True)
    counts: dict[str, int] = {}
    for payload in sent:
        counts |= apply_snapshot(edge.engine, SITE, payload)[0]
    return counts


def test_an_edit_at_the_edge_is_a_version_and_an_outbox_entry_once(ends) -> None:
    edge, _ = ends
    edge.edit_zone("王工", dwell_seconds=45.0)
    edge.edit_zone("王工", dwell_seconds=45.0)  # the same again: nothing synced changed
    with Session(edge.engine) as session:
        item = session.get(ConfigItemRow, (SITE, "zone", "gate/lane-1"))
        entries = list(session.exec(select(UplinkOutboxRow).where(UplinkOutboxRow.kind == "config")))
    assert item is not None and item.body is not None
    assert (item.body["dwell_seconds"], item.edited_by, item.origin, item.base_at) == (45.0, "王工", "edge", None)
    assert len(entries) == 1 and entries[0].record_id == "zone:gate/lane-1"
    assert entries[0].payload["record"]["body"]["dwell_seconds"] == 45.0


def test_edits_flow_both_ways(ends) -> None:
    edge, centre = ends
    edge.edit_zone("王工", dwell_seconds=45.0)
    assert _to_centre(edge, centre) == ["applied"]
    assert centre.dwell() == 45.0
    centre.edit_zone("区值班员", dwell_seconds=60.0)
    assert _to_edge(centre, edge) == {"applied": 1}
    assert edge.dwell() == 60.0
    assert [a.action for a in edge.config_audit()] == ["config.apply"]
    assert [a.action for a in centre.config_audit()] == ["config.apply"]
    assert edge.config_audit()[0].actor_name == "区值班员"


@pytest.mark.parametrize("later", ["edge", "centre"])
def test_a_conflict_keeps_the_later_edit_and_both_ends_audit_both(ends, later: str) -> None:
    edge, centre = ends
    edge.edit_zone("王工", dwell_seconds=45.0)  # the common base, known at both ends
    _to_centre(edge, centre)
    _to_edge(centre, edge)
    first, second = (centre, edge) if later == "edge" else (edge, centre)
    first.edit_zone("先改的人", dwell_seconds=50.0)  # neither end has heard of the other's edit yet
    second.edit_zone("后改的人", dwell_seconds=70.0)
    _to_edge(centre, edge)
    _to_centre(edge, centre)
    _to_edge(centre, edge)  # what the centre kept goes back to the edge: changes nothing there
    assert (edge.dwell(), centre.dwell()) == (70.0, 70.0)
    for end in (edge, centre):
        conflicts = [a for a in end.config_audit() if a.action == "config.conflict"]
        assert len(conflicts) == 1, end.side
        assert conflicts[0].before is not None and conflicts[0].after is not None
        assert (conflicts[0].before["body"]["dwell_seconds"], conflicts[0].before["edited_by"]) == (50.0, "先改的人")
        assert (conflicts[0].after["body"]["dwell_seconds"], conflicts[0].after["edited_by"]) == (70.0, "后改的人")
        assert conflicts[0].target_id == f"{end.camera}/lane-1"
    # the same messages again (a redelivery, the retained snapshot on the next reconnect) change nothing
    with Session(centre.engine) as session:
        payload = snapshot(session, SITE, 99)
    assert apply_snapshot(edge.engine, SITE, payload) == ({"duplicate": 1}, set())
    assert len([a for a in edge.config_audit() if a.action == "config.conflict"]) == 1


def test_the_centre_sends_a_site_only_its_own_config(ends) -> None:
    edge, centre = ends
    centre.edit_zone("区值班员", dwell_seconds=60.0)
    sent: list[tuple[str, bytes]] = []
    assert publish_due(centre.engine, lambda topic, payload: sent.append((topic, payload)) or True) == 1
    assert [topic for topic, _ in sent] == [f"lanewatch/v1/centre/{SITE}/config"]
    assert publish_due(centre.engine, lambda topic, payload: sent.append((topic, payload)) or True) == 0
    with pytest.raises(BadMessage):
        apply_snapshot(edge.engine, "site-b", sent[0][1])  # another site's edge refuses it


def _audited_edit(end: End, kind: str, target: str, who: str, change) -> None:
    """Change one camera or device row here and write its audit entry, as its router does."""
    with Session(end.engine) as session:
        row = session.get(CameraRow if kind == "camera" else DeviceRow, target)
        assert row is not None
        change(row)
        session.add(row)
        audit.record(session, Caller(pk=1, name=who, role="admin"), f"{kind}.update", kind, target, org_pk=None)
        session.commit()


def test_camera_and_device_settings_travel_in_each_end_s_names_but_never_the_stream_url(ends) -> None:
    edge, centre = ends
    with Session(edge.engine) as session:
        session.add(DeviceRow(id="smoke-1", type="smoke", name="1 号烟感"))
        session.commit()
    _audited_edit(
        edge, "device", "smoke-1", "王工", lambda d: setattr(d, "linked_lanes", [{"camera": "gate", "zone": "lane-1"}])
    )
    assert _to_centre(edge, centre) == ["applied"]
    with Session(centre.engine) as session:
        device = session.get(DeviceRow, f"{SITE}.smoke-1")
        site_org = session.exec(select(OrganisationRow.pk).where(OrganisationRow.code == SITE)).one()
        assert device is not None and (device.type, device.name, device.org_pk) == ("smoke", "1 号烟感", site_org)
        assert device.linked_lanes == [{"camera": f"{SITE}.gate", "zone": "lane-1"}]

    def rename(camera: CameraRow) -> None:
        camera.name, camera.sample_fps, camera.source_url = "东门（新）", 1.0, "rtsp://centre-should-not-send"

    _audited_edit(centre, "camera", f"{SITE}.gate", "区值班员", rename)
    assert _to_edge(centre, edge) == {"applied": 1, "duplicate": 1}  # the camera; the device is the edge's own
    with Session(edge.engine) as session:
        camera = session.get(CameraRow, "gate")
        assert camera is not None and (camera.name, camera.sample_fps) == ("东门（新）", 1.0)
        assert camera.source_url == "rtsp://cam/1"
        assert session.get(DeviceRow, "smoke-1").linked_lanes == [{"camera": "gate", "zone": "lane-1"}]


def test_a_device_that_registered_itself_without_a_name_travels(ends) -> None:
    """Sensors that announce themselves have no name yet; their settings must still reach the centre."""
    edge, centre = ends
    with Session(edge.engine) as session:
        session.add(DeviceRow(id="heat-7", type="heat"))
        session.commit()
    _audited_edit(edge, "device", "heat-7", "王工", lambda d: setattr(d, "location", "3 号楼地下室"))
    assert _to_centre(edge, centre) == ["applied"]
    with Session(centre.engine) as session:
        device = session.get(DeviceRow, f"{SITE}.heat-7")
        assert device is not None and (device.name, device.location) == (None, "3 号楼地下室")


def test_a_zone_removed_at_the_centre_is_removed_at_the_edge(ends) -> None:
    edge, centre = ends
    with Session(centre.engine) as session:
        row = session.exec(select(ZoneRow).where(ZoneRow.camera_id == centre.camera)).one()
        audit.record(session, Caller(pk=1, name="区值班员", role="admin"), "zone.delete", "zone",
                     f"{centre.camera}/lane-1", org_pk=None)  # fmt: skip
        session.delete(row)
        session.commit()
    assert _to_edge(centre, edge) == {"applied": 1}
    assert edge.dwell_or_none() is None


def test_the_edge_role_reloads_the_cameras_the_centre_changed(tmp_path, request, migrated_templates) -> None:
    path = tmp_path / "edge-role.db"
    shutil.copyfile(migrated_templates("sqlite", request), path)
    engine = open_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        session.add(CameraRow(id="gate", name="东门", source_url="rtsp://cam/1"))
        session.add(lane_row("gate", "lane-1", "东门消防通道"))
        session.commit()
    role = UplinkRole(engine, UplinkConfig(enabled=True, site=SITE), CentreConfig())  # not started: no broker
    reloaded: list[str] = []
    role.on_config_applied = reloaded.append
    zone = {**LANE, "id": "lane-1", "name": "东门消防通道", "dwell_seconds": 90.0}
    version = Version(SITE, "zone", "gate/lane-1", zone, utcnow(), "区值班员", "centre")
    assert role.publisher is not None and role.publisher.on_config is not None
    try:
        role.publisher.on_config(json.dumps({"site": SITE, "items": [version.to_json()]}).encode())
        with Session(engine) as session:
            assert session.exec(select(ZoneRow.dwell_seconds)).one() == 90.0
            assert session.exec(select(UplinkOutboxRow)).first() is None  # the centre's edit is not sent back
        assert reloaded == ["gate"]
    finally:
        role.stop()
        engine.dispose()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": {"id": "lane-1", "polygon": [[0, 0]]}}, "not a zone"),
        ({"origin": "centre"}, "a config edit of centre"),
        ({"site": "site-b"}, "sent by site"),
        ({"edited_at": "2026-12-04 08:00"}, "edited_at has no time zone"),
    ],
)
def test_an_unusable_edit_from_an_edge_is_a_dead_letter_and_changes_nothing(ends, change, reason) -> None:
    edge, centre = ends
    edge.edit_zone("王工", dwell_seconds=45.0)
    with Session(edge.engine) as session:
        row = session.exec(select(UplinkOutboxRow).where(UplinkOutboxRow.kind == "config")).one()
    row.payload = {**row.payload, "record": {**row.payload["record"], **change}}
    with Session(centre.engine) as session:
        topic = f"lanewatch/v1/site/{SITE}/config"
        assert apply_message(session, topic, message(SITE, row), utcnow()) == "dead"
        session.commit()
        letter = session.exec(select(UplinkDeadLetterRow)).one()
        assert reason in letter.reason
    assert centre.dwell() == 30.0 and centre.config_audit() == []


def test_what_a_site_had_before_it_synced_is_sent_once_and_loses_to_a_later_centre_edit(ends) -> None:
    edge, centre = ends
    centre.edit_zone("区值班员", dwell_seconds=60.0)  # the centre edited first, knowing nothing of the site's own
    assert config_sync_capture.seed(edge.engine, SITE) == 2  # camera gate and zone gate/lane-1
    assert config_sync_capture.seed(edge.engine, SITE) == 0
    with Session(edge.engine) as session:
        zone_row = session.exec(select(ZoneRow)).one()
        item = session.get(ConfigItemRow, (SITE, "zone", "gate/lane-1"))
        assert item is not None and (item.edited_by, item.origin) == ("system", "edge")
        assert item.edited_at == zone_row.updated_at.replace(tzinfo=item.edited_at.tzinfo)
    assert _to_centre(edge, centre) == ["applied", "applied"]  # both taken in; the zone lost to the later edit
    assert centre.dwell() == 60.0
    assert [a.action for a in centre.config_audit()] == ["config.apply", "config.conflict"]
    _to_edge(centre, edge)
    assert edge.dwell() == 60.0
