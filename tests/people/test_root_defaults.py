"""Records nobody placed in an organisation go under the district, so its people see them."""

from __future__ import annotations

from sqlmodel import Session

from lanewatch.people.scope import Scope
from lanewatch.service import ensure_demo_camera
from lanewatch.store.db import open_engine
from lanewatch.store.people_tables import OrganisationRow, root_org_pk
from lanewatch.store.tables import CameraRow


def test_the_demo_camera_belongs_to_the_district_and_a_street_does_not_see_it(tmp_path, footage_dir) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with Session(engine) as session:
        session.add(OrganisationRow(code="jd-east", name="东街道", kind="street", parent_pk=root_org_pk(session)))
        session.commit()
    assert ensure_demo_camera(engine, str(footage_dir / "parking-aisle" / "lot-busy.mp4")) is not None
    with Session(engine) as session:
        demo = session.get(CameraRow, "demo")
        district = root_org_pk(session)
        assert demo is not None and demo.org_pk == district is not None
        street = session.exec(OrganisationRow.__table__.select().where(OrganisationRow.code == "jd-east")).one()
        assert Scope.of_org(session, district).allows(demo.org_pk)
        assert not Scope.of_org(session, street.pk).allows(demo.org_pk)
    engine.dispose()
