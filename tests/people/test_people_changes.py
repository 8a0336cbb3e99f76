"""Changing people and organisations through the API: the change is audited, takes effect at once for the
person's live sign-ins, and never reaches above the caller's own role or outside its subtree."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from lanewatch.api.auth import create_api_key
from lanewatch.people.roles import PERMISSIONS, Permission
from lanewatch.store.people_tables import AuditRow

from .conftest import PASSWORD, add_person, sign_in


def browser(client: TestClient, username: str) -> TestClient:
    """A second browser signed in as `username`."""
    other = TestClient(client.app, base_url="http://testserver")
    assert sign_in(other, username).status_code == 200
    return other


def audit(engine, target: str) -> list[AuditRow]:
    with Session(engine) as session:
        return list(session.exec(select(AuditRow).where(AuditRow.target_id == target).order_by(AuditRow.pk)).all())


@pytest.fixture
def admin(client, runtime, orgs) -> TestClient:
    add_person(runtime.engine, "root", "admin", orgs.district)
    assert sign_in(client, "root").status_code == 200
    return client


def test_a_demoted_person_s_next_request_has_the_new_role(admin, client, runtime, orgs) -> None:
    pk = add_person(runtime.engine, "east-admin", "admin", orgs.east)
    east = browser(client, "east-admin")
    assert east.get("/api/people").status_code == 200
    changed = admin.patch(f"/api/people/{pk}", json={"role": "viewer"})
    assert changed.status_code == 200 and changed.json()["role"] == "viewer"
    refused = east.get("/api/people")  # same cookie, no new sign-in
    assert refused.status_code == 403
    assert (
        east.get("/api/me").json()["role"] == "viewer"
        and "people.manage" not in east.get("/api/me").json()["permissions"]
    )
    rows = [row for row in audit(runtime.engine, "east-admin") if row.action == "person.update"]
    assert [(row.actor_name, row.before, row.after) for row in rows] == [
        ("root", {"role": "admin"}, {"role": "viewer"})
    ]


def test_a_moved_person_sees_the_new_organisation_at_once(admin, client, runtime, orgs) -> None:
    pk = add_person(runtime.engine, "zhang", "property_manager", orgs.willow)
    zhang = browser(client, "zhang")
    assert [c["id"] for c in zhang.get("/api/cameras").json()] == ["willow-gate"]
    moved = admin.patch(f"/api/people/{pk}", json={"org": "jd-west"})
    assert moved.status_code == 200 and moved.json()["org_name"] == "西街道"
    assert zhang.get("/api/cameras").json() == []
    assert zhang.get("/api/me").json()["org"]["code"] == "jd-west"
    [row] = [row for row in audit(runtime.engine, "zhang") if row.action == "person.update"]
    assert (row.before, row.after) == ({"org_pk": orgs.willow}, {"org_pk": orgs.west})


def test_a_street_admin_moves_people_only_inside_its_subtree(client, runtime, orgs) -> None:
    add_person(runtime.engine, "east-admin", "admin", orgs.east)
    li = add_person(runtime.engine, "li", "viewer", orgs.east)
    wu = add_person(runtime.engine, "wu", "viewer", orgs.west)
    assert sign_in(client, "east-admin").status_code == 200
    assert client.patch(f"/api/people/{li}", json={"org": "sq-willow"}).json()["org_code"] == "sq-willow"
    outside = client.patch(f"/api/people/{li}", json={"org": "jd-west"})
    assert outside.status_code == 404 and "jd-west" in outside.json()["detail"]
    assert client.patch(f"/api/people/{wu}", json={"role": "admin"}).status_code == 404
    assert client.delete(f"/api/people/{wu}").status_code == 404


@pytest.fixture
def managing_property_manager(monkeypatch, client, runtime, orgs) -> TestClient:
    """A permission table in which property managers also manage people (a district may choose that)."""
    monkeypatch.setitem(PERMISSIONS, "property_manager", PERMISSIONS["property_manager"] | {Permission.PEOPLE_MANAGE})
    add_person(runtime.engine, "pm", "property_manager", orgs.east)
    assert sign_in(client, "pm").status_code == 200
    return client


def test_nobody_gives_or_changes_a_role_above_their_own(managing_property_manager, runtime, orgs) -> None:
    pm = managing_property_manager
    made = pm.post("/api/people", json={"username": "qian", "role": "viewer", "org": "sq-willow", "password": PASSWORD})
    assert made.status_code == 201, made.text
    above = pm.post("/api/people", json={"username": "sun", "role": "admin", "org": "sq-willow", "password": PASSWORD})
    assert above.status_code == 403 and "物业管理" in above.json()["detail"]
    qian = made.json()["pk"]
    assert pm.patch(f"/api/people/{qian}", json={"role": "admin"}).status_code == 403
    assert pm.patch(f"/api/people/{qian}", json={"role": "enterprise"}).status_code == 403  # may test devices
    assert pm.patch(f"/api/people/{qian}", json={"role": "property_manager"}).status_code == 200
    boss = add_person(runtime.engine, "boss", "admin", orgs.willow)
    demote = pm.patch(f"/api/people/{boss}", json={"role": "viewer"}, headers={"Accept-Language": "en"})
    assert demote.status_code == 403 and "above your own" in demote.json()["detail"]
    assert pm.delete(f"/api/people/{boss}").status_code == 403
    assert [row.after for row in audit(runtime.engine, "boss")] == []


def test_an_organisation_with_members_is_not_deleted_and_the_error_names_them(admin, runtime, orgs) -> None:
    add_person(runtime.engine, "li", "viewer", orgs.west)
    create_api_key(runtime.engine, "viewer", "west-screen", org_pk=orgs.west)
    busy = admin.delete(f"/api/orgs/{orgs.west}")
    assert busy.status_code == 409
    assert "西街道" in busy.json()["detail"] and "人员 1" in busy.json()["detail"]
    assert "人员 1，API 密钥 1" in busy.json()["detail"]
    en = admin.delete(f"/api/orgs/{orgs.west}", headers={"Accept-Language": "en"}).json()["detail"]
    assert "people 1, API keys 1" in en
    assert [row.action for row in audit(runtime.engine, "jd-west")] == []


def test_a_street_admin_renames_and_moves_organisations_inside_its_subtree(client, runtime, orgs) -> None:
    add_person(runtime.engine, "east-admin", "admin", orgs.east)
    assert sign_in(client, "east-admin").status_code == 200
    pine = client.post(
        "/api/orgs", json={"code": "sq-pine", "name": "松树社区", "kind": "community", "parent_pk": orgs.east}
    )
    assert pine.status_code == 201
    renamed = client.patch(f"/api/orgs/{orgs.willow}", json={"name": "柳树新村"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "柳树新村"
    assert client.patch(f"/api/orgs/{orgs.willow}", json={"parent_pk": orgs.west}).status_code == 404
    assert client.patch(f"/api/orgs/{orgs.west}", json={"name": "x"}).status_code == 404
    loop = client.patch(f"/api/orgs/{orgs.east}", json={"parent_pk": pine.json()["pk"]})
    assert loop.status_code == 422
    assert client.delete(f"/api/orgs/{pine.json()['pk']}").status_code == 204
    [update] = [row for row in audit(runtime.engine, "sq-willow") if row.action == "org.update"]
    assert (update.actor_name, update.before, update.after) == (
        "east-admin",
        {"name": "柳树社区"},
        {"name": "柳树新村"},
    )
