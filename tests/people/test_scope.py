"""Scopes: a member sees its own organisation's subtree, an agency the district, a root everything."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from lanewatch.people.orgs import OrgNode, OrgTree
from lanewatch.people.scope import Scope, scoped
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.db import open_engine
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import CameraRow, ViolationRow
from lanewatch.store.uplink_tables import UplinkSiteRow

# district 1 ─ street 2 ─ community 4, enterprise 5
#            ├ street 3 ─ community 6
#            └ agency 7 (fire brigade)
TREE = OrgTree(
    [
        OrgNode(1, "district", None),
        OrgNode(2, "street", 1),
        OrgNode(3, "street", 1),
        OrgNode(4, "community", 2),
        OrgNode(5, "enterprise", 2),
        OrgNode(6, "community", 3),
        OrgNode(7, "agency", 1),
    ]
)


@pytest.mark.parametrize(
    ("org", "sees"),
    [(2, {2, 4, 5}), (3, {3, 6}), (4, {4}), (5, {5}), (7, {1, 2, 3, 4, 5, 6, 7}), (99, set())],
)
def test_an_organisation_oversees_its_subtree_and_an_agency_the_district(org: int, sees: set[int]) -> None:
    assert TREE.overseen_by(org) == sees


@pytest.mark.parametrize(
    ("kind", "parent", "pk", "problem"),
    [
        ("community", None, None, "needs a parent"),
        ("community", 4, None, "cannot sit under a community"),
        ("agency", 2, None, "cannot sit under a street"),
        ("district", 1, None, "cannot sit under a district"),
        ("street", 42, None, "does not exist"),
        ("community", 4, None, "cannot sit under a community"),
        ("moon", 1, None, "no organisation kind"),
    ],
)
def test_a_misplaced_organisation_is_refused_with_the_reason(kind, parent, pk, problem) -> None:
    with pytest.raises(ValueError, match=problem):
        TREE.check_parent(kind, parent, pk, lang="en")


def test_moving_an_organisation_under_its_own_member_is_refused() -> None:
    tree = OrgTree([OrgNode(1, "district", None), OrgNode(2, "district", None)])
    tree.check_parent("district", None)  # roots are fine
    with pytest.raises(ValueError, match="under itself"):
        TREE.check_parent("street", 2, pk=2, lang="en")
    with pytest.raises(ValueError, match="one of its own members"):
        TREE.check_parent("street", 4, pk=2, lang="en")  # community 4 is in street 2


def test_scoped_queries_return_only_the_records_of_the_callers_organisations(tmp_path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'scope.db'}")
    with Session(engine) as session:
        session.add(OrganisationRow(pk=2, code="s1", name="东街道", kind="street", parent_pk=1))
        session.add(OrganisationRow(pk=3, code="c1", name="阳光小区", kind="community", parent_pk=2))
        session.add(OrganisationRow(pk=4, code="c2", name="花园小区", kind="community", parent_pk=1))
        session.add(OrganisationRow(pk=5, code="e1", name="某某化工", kind="enterprise", parent_pk=2))
        session.commit()
        for camera, org in (("east-gate", 3), ("garden", 4)):
            session.add(CameraRow(id=camera, name=camera, source_url="rtsp://h/s", org_pk=org))
        session.add(DeviceRow(id="smoke-1", type="smoke", org_pk=5))
        session.add(DeviceRow(id="smoke-2", type="smoke", org_pk=4))
        session.commit()
        for n, camera in enumerate(("east-gate", "garden", "east-gate")):
            session.add(_violation(f"v{n}", camera))
        for device in ("smoke-1", "smoke-2"):
            session.add(_alarm(device))
        for site, site_org in (("east", 3), ("garden", 4), ("unclaimed", None)):
            session.add(UplinkSiteRow(site=site, org_pk=site_org))
        session.commit()

        street = Scope.of_org(session, 2)
        assert street.org_pks == {2, 3, 5}
        cameras = session.exec(scoped(select(CameraRow), street, CameraRow)).all()
        assert [c.id for c in cameras] == ["east-gate"]
        violations = session.exec(scoped(select(ViolationRow), street, ViolationRow)).all()
        assert sorted(v.id for v in violations) == ["v0", "v2"]
        alarms = session.exec(scoped(select(AlarmRow), street, AlarmRow)).all()
        assert [a.device_id for a in alarms] == ["smoke-1"]
        sites = session.exec(scoped(select(UplinkSiteRow), street, UplinkSiteRow)).all()
        assert [s.site for s in sites] == ["east"]  # a street's duty desk sees its own sites' links only
        joined = select(UplinkSiteRow, OrganisationRow).join(
            OrganisationRow, OrganisationRow.pk == UplinkSiteRow.org_pk, isouter=True
        )
        assert [(s.site, o.name) for s, o in session.exec(scoped(joined, street, UplinkSiteRow))] == [
            ("east", "阳光小区")
        ]
        assert street.camera_ids(session) == {"east-gate"} and street.device_ids(session) == {"smoke-1"}
        assert street.allows(3) and not street.allows(4) and not street.allows(None)

        district = Scope.of_org(session, 1)  # the root sees everything, even what has no organisation yet
        assert district.unlimited and district.allows(None)
        assert len(session.exec(scoped(select(ViolationRow), district, ViolationRow)).all()) == 3
        assert len(session.exec(scoped(select(UplinkSiteRow), district, UplinkSiteRow)).all()) == 3
        with pytest.raises(TypeError, match="no scope rule"):
            scoped(select(ViolationRow), street, ViolationRow.__mro__[1])
    engine.dispose()


def _violation(vid: str, camera: str) -> ViolationRow:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return ViolationRow(
        id=vid, camera=camera, zone="lane", zone_name="消防通道", label="car", start_s=0, violation_s=60,
        last_seen_s=60, started_at=now, violation_at=now, confidence=0.9, box_x1=0, box_y1=0, box_x2=1, box_y2=1,
    )  # fmt: skip


def _alarm(device: str) -> AlarmRow:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return AlarmRow(
        id=f"a-{device}", device_id=device, device_type="smoke", alarm_type="smoke", severity="fire", priority=1,
        state="raised", source="http", received_at=now, stored_at=now,
    )  # fmt: skip
