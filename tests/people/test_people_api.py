"""Organisations, people and the audit through the API: administrators within their subtree, refusals with reasons."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from lanewatch.api.auth import create_api_key
from lanewatch.store.people_tables import AuditRow, OrganisationRow

from .conftest import PASSWORD, add_person, sign_in


@pytest.fixture
def admin(client, runtime, orgs):
    add_person(runtime.engine, "root", "admin", orgs.district, display_name="区管理员")
    assert sign_in(client, "root").status_code == 200
    return client


@pytest.fixture
def street_admin(client, runtime, orgs):
    """An administrator of 东街道 (not the root)."""
    add_person(runtime.engine, "east-admin", "admin", orgs.east)
    assert sign_in(client, "east-admin").status_code == 200
    return client


def test_the_tree_lists_each_organisation_after_its_parent_within_the_scope(admin, client, runtime, orgs) -> None:
    listed = [(o["code"], o["depth"]) for o in admin.get("/api/orgs").json()]
    assert listed == [("district", 0), ("brigade", 1), ("jd-east", 1), ("sq-willow", 2), ("jd-west", 1)]
    key = create_api_key(runtime.engine, "viewer", "east-screen", org_pk=orgs.east)
    scoped = client.get("/api/orgs", headers={"X-API-Key": key}).json()
    assert [(o["code"], o["depth"]) for o in scoped] == [("jd-east", 0), ("sq-willow", 1)]


def test_an_admin_creates_renames_moves_and_deletes_organisations(admin, runtime, orgs) -> None:
    made = admin.post(
        "/api/orgs", json={"code": "sq-pine", "name": "松树社区", "kind": "community", "parent_pk": orgs.east}
    )
    assert made.status_code == 201, made.text
    pk = made.json()["pk"]
    assert (
        admin.post("/api/orgs", json={"code": "sq-pine", "name": "x", "kind": "community", "parent_pk": 1}).status_code
        == 409
    )
    bad = admin.post("/api/orgs", json={"code": "sq-x", "name": "x", "kind": "community", "parent_pk": orgs.willow})
    assert bad.status_code == 422 and "机构位置不对" in bad.json()["detail"]
    moved = admin.patch(f"/api/orgs/{pk}", json={"name": "松树新村", "parent_pk": orgs.west})
    assert moved.status_code == 200 and moved.json()["parent_pk"] == orgs.west
    loop = admin.patch(f"/api/orgs/{orgs.east}", json={"parent_pk": orgs.willow})
    assert loop.status_code == 422
    busy = admin.delete(f"/api/orgs/{orgs.willow}")
    assert busy.status_code == 409 and "摄像机 1" in busy.json()["detail"]
    assert "下级机构 1" in admin.delete(f"/api/orgs/{orgs.east}").json()["detail"]
    assert admin.delete(f"/api/orgs/{pk}").status_code == 204
    with Session(runtime.engine) as session:
        assert session.get(OrganisationRow, pk) is None
        actions = session.exec(select(AuditRow.action).where(AuditRow.target_id == "sq-pine")).all()
        assert actions == ["org.create", "org.update", "org.delete"]


def test_a_street_admin_manages_only_its_subtree(street_admin, runtime, orgs) -> None:
    ok = street_admin.post(
        "/api/orgs", json={"code": "sq-pine", "name": "松树社区", "kind": "community", "parent_pk": orgs.east}
    )
    assert ok.status_code == 201
    elsewhere = street_admin.post(
        "/api/orgs", json={"code": "sq-y", "name": "y", "kind": "community", "parent_pk": orgs.west}
    )
    assert elsewhere.status_code == 404  # outside its scope: does not exist
    assert street_admin.patch(f"/api/orgs/{orgs.district}", json={"name": "x"}).status_code == 404
    made = street_admin.post(
        "/api/people", json={"username": "li", "role": "property_manager", "org": "sq-willow", "password": PASSWORD}
    )
    assert made.status_code == 201, made.text
    assert made.json()["must_change_password"] is True and made.json()["org_name"] == "柳树社区"
    west = street_admin.post(
        "/api/people", json={"username": "wu", "role": "viewer", "org": "jd-west", "password": PASSWORD}
    )
    assert west.status_code == 404
    add_person(runtime.engine, "west-duty", "duty_operator", orgs.west)
    assert [p["username"] for p in street_admin.get("/api/people").json()] == ["east-admin", "li"]
    csv = "code,name,kind,parent_code\nsq-z,z,community,jd-east\n"
    r = street_admin.post("/api/orgs/import", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert r.status_code == 403


def test_people_are_created_changed_reset_disabled_and_deleted(admin, client, runtime, orgs) -> None:
    made = admin.post(
        "/api/people",
        json={"username": "zhao", "display_name": "赵六", "role": "viewer", "org": "brigade", "password": PASSWORD},
    )
    assert made.status_code == 201, made.text
    pk = made.json()["pk"]
    assert (
        admin.post(
            "/api/people", json={"username": "zhao", "role": "viewer", "org": "brigade", "password": PASSWORD}
        ).status_code
        == 409
    )
    weak = admin.post("/api/people", json={"username": "qian", "role": "viewer", "org": "brigade", "password": "qian"})
    assert weak.status_code == 422 and "至少需要 10 个字符" in weak.json()["detail"]
    changed = admin.patch(f"/api/people/{pk}", json={"role": "duty_operator", "org": "jd-east"})
    assert changed.status_code == 200 and (changed.json()["role"], changed.json()["org_code"]) == (
        "duty_operator",
        "jd-east",
    )
    other = client.__class__(client.app, base_url="http://testserver")
    assert sign_in(other, "zhao").status_code == 200
    assert admin.patch(f"/api/people/{pk}", json={"password": "temporary-pw-2"}).json()["must_change_password"] is True
    assert other.get("/api/me").status_code == 401  # a reset signs them out
    assert sign_in(other, "zhao", "temporary-pw-2").json()["must_change_password"] is True
    assert admin.patch(f"/api/people/{pk}", json={"disabled": True}).json()["disabled"] is True
    assert other.get("/api/me").status_code == 401
    me = admin.get("/api/me").json()
    root_pk = next(p["pk"] for p in admin.get("/api/people").json() if p["username"] == me["name"])
    assert admin.patch(f"/api/people/{root_pk}", json={"disabled": True}).status_code == 409
    assert admin.delete(f"/api/people/{root_pk}").status_code == 409
    assert admin.delete(f"/api/people/{pk}").status_code == 204
    audit = admin.get("/api/audit", params={"target_kind": "person", "target_id": "zhao"}).json()
    changes = [a["action"] for a in audit if a["action"].startswith("person.")]
    assert changes == ["person.delete", "person.update", "person.password_reset", "person.update", "person.create"]
    assert all("password" not in (a["after"] or {}) for a in audit)


def test_the_audit_is_newest_first_filtered_and_scoped(admin, client, runtime, orgs) -> None:
    admin.post("/api/orgs", json={"code": "sq-pine", "name": "松树社区", "kind": "community", "parent_pk": orgs.west})
    admin.post("/api/orgs", json={"code": "sq-oak", "name": "橡树社区", "kind": "community", "parent_pk": orgs.east})
    sign_in(client.__class__(client.app, base_url="http://testserver"), "nobody", "wrong-password")
    everything = admin.get("/api/audit").json()
    assert [a["action"] for a in everything][:3] == ["session.sign_in_failed", "org.create", "org.create"]
    assert everything[0]["actor_kind"] == "system" and everything[1]["actor_name"] == "root"
    page = admin.get("/api/audit", params={"limit": 1, "before": everything[0]["pk"]}).json()
    assert [a["pk"] for a in page] == [everything[1]["pk"]]
    assert [a["target_id"] for a in admin.get("/api/audit", params={"action": "org.create"}).json()] == [
        "sq-oak",
        "sq-pine",
    ]
    add_person(runtime.engine, "east-duty", "duty_operator", orgs.east)
    east = client.__class__(client.app, base_url="http://testserver")
    sign_in(east, "east-duty")
    seen = {a["target_id"] for a in east.get("/api/audit").json()}
    assert "sq-oak" in seen and "sq-pine" not in seen and "nobody" not in seen
    viewer = create_api_key(runtime.engine, "viewer", "screen")
    assert client.get("/api/audit", headers={"X-API-Key": viewer}).status_code == 403


def test_organisations_import_through_the_api(admin, runtime) -> None:
    yaml_text = "- {code: qy-plant, name: 东方化工厂, kind: enterprise, parent_code: jd-east}\n"
    r = admin.post("/api/orgs/import", content=yaml_text.encode(), headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200 and r.json()["created"] == ["qy-plant"]
    again = admin.post("/api/orgs/import", content=yaml_text.encode(), headers={"Content-Type": "application/yaml"})
    assert again.json()["unchanged"] == ["qy-plant"]
    bad = admin.post(
        "/api/orgs/import", content=b"code,name,kind,parent_code\nx,y,planet,\n", headers={"Content-Type": "text/csv"}
    )
    assert bad.status_code == 422 and "第 2 行" in bad.json()["detail"]
