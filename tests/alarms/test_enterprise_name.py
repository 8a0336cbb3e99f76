"""An alarm names its enterprise even when the device's free-text `enterprise` field is empty.

Devices belong to an organisation (`org_pk`); most are registered under their enterprise without
anyone typing its name again into the device's text field. The duty desk, the notifications and the
API must still say whose fire it is.
"""

from __future__ import annotations

from sqlmodel import Session, select

from lanewatch.store.people_tables import OrganisationRow
from tests.alarms.conftest import add_device, alarms_of, msg


def _enterprise(engine, code: str, name: str) -> int:
    with Session(engine) as session:
        root = session.exec(select(OrganisationRow).where(OrganisationRow.parent_pk == None)).first()  # noqa: E711
        assert root is not None and root.pk is not None
        row = OrganisationRow(code=code, name=name, kind="enterprise", parent_pk=root.pk)
        session.add(row)
        session.commit()
        assert row.pk is not None
        return row.pk


def test_an_alarm_of_a_device_without_enterprise_text_names_its_organisation(service, clock, bus) -> None:
    plant = _enterprise(service.engine, "qy-plant", "东方化工厂")
    add_device(service.engine, "plant-smoke-3f", org_pk=plant)
    service.submit([msg("plant-smoke-3f")], clock())
    [alarm] = alarms_of(service.engine)
    assert alarm.enterprise == "东方化工厂"
    assert bus.published[0][1]["after"]["enterprise"] == "东方化工厂"  # what notifications and pages get


def test_the_devices_own_enterprise_text_wins(service, clock) -> None:
    plant = _enterprise(service.engine, "qy-plant", "东方化工厂")
    add_device(service.engine, "plant-smoke-1f", org_pk=plant, enterprise="东方化工厂一车间")
    service.submit([msg("plant-smoke-1f")], clock())
    [alarm] = alarms_of(service.engine)
    assert alarm.enterprise == "东方化工厂一车间"


def test_a_device_nobody_registered_names_no_enterprise(service, clock) -> None:
    """It sits under the district until registered: the district is not passed off as its enterprise."""
    service.submit([msg("new-gw-7")], clock())
    [alarm] = alarms_of(service.engine)
    assert alarm.enterprise is None


def test_the_api_shows_the_enterprise_name(client, keys, runtime) -> None:
    engine = runtime.engine
    plant = _enterprise(engine, "qy-mill", "西山纺织厂")
    add_device(engine, "mill-smoke-2f", org_pk=plant)
    response = client.post(
        "/api/alarms/ingest",
        json={"device_id": "mill-smoke-2f", "kind": "alarm", "alarm_type": "fire"},
        headers=keys.headers("operator"),
    )
    assert response.status_code < 300, response.text
    page = client.get("/api/alarms", headers=keys.headers("viewer")).json()
    assert [a["enterprise"] for a in page["items"]] == ["西山纺织厂"]
