"""Edge → broker → centre with real Mosquitto, an edge on SQLite and the centre on PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session, select

from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import CameraRow
from tests.support.serve import wait_for
from tests.uplink import centre_view
from tests.uplink.conftest import SITE

TIMEOUT = 30.0


def _without(record: dict, *names: str) -> dict:
    return {k: v for k, v in record.items() if k not in names}


def test_violations_and_alarms_arrive_with_the_same_ids_and_fields(make_edge, centre_engine, links) -> None:
    publisher, centre = links
    edge = make_edge()
    centre(centre_engine)
    publisher(edge.engine)
    gate = edge.violation("gate")
    edge.violation(vid=gate.id)
    edge.violation(vid=gate.id, end=True)
    other = edge.violation("yard")
    alarm_id = edge.fire("smoke-1")
    edge.alarms.acknowledge(alarm_id, "duty-1", "on the way")

    expected_violations = centre_view.violations(edge.engine)
    expected_alarms = centre_view.alarms(edge.engine)

    def arrived() -> bool:
        got = centre_view.alarms(centre_engine)
        return (
            centre_view.violations(centre_engine).keys() == expected_violations.keys()
            and got.get(alarm_id, {}).get("state") == "acknowledged"
        )

    assert wait_for(arrived, TIMEOUT), centre_view.violations(centre_engine)
    at_centre = centre_view.violations(centre_engine)
    for vid, record in expected_violations.items():
        assert at_centre[vid]["camera"] == f"{SITE}.{record['camera']}"
        assert _without(at_centre[vid], "camera") == _without(record, "camera")
    assert at_centre[gate.id]["active"] is False and at_centre[other.id]["active"] is True
    alarm = centre_view.alarms(centre_engine)[alarm_id]
    assert alarm["device_id"] == f"{SITE}.smoke-1"
    assert _without(alarm, "device_id", "next_escalation_at") == _without(
        expected_alarms[alarm_id], "device_id", "next_escalation_at"
    )
    with Session(centre_engine) as session:  # the site's cameras belong to its organisation: scopes work
        org = session.exec(select(OrganisationRow).where(OrganisationRow.code == SITE)).one()
        camera = session.get(CameraRow, f"{SITE}.gate")
        assert camera is not None and camera.org_pk == org.pk and camera.enabled is False
    link = centre_view.site(centre_engine, SITE)
    assert link is not None and link.messages >= 6 and link.last_edge_time is not None
    assert link.clock_skew_s is not None and abs(link.clock_skew_s) < 5
    assert wait_for(lambda: edge.backlog() == 0, TIMEOUT)  # deleted once acknowledged
