"""Signing in and out through the API: cookies, CSRF, sliding expiry, password change, /api/me."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from lanewatch.api.auth import create_api_key
from lanewatch.people.sessions import digest
from lanewatch.store.people_tables import AuditRow, PersonRow, SignInRow
from lanewatch.store.tables import utcnow

from .conftest import PASSWORD, add_person, sign_in


def test_signing_in_sets_an_httponly_session_and_a_readable_csrf_cookie(client, runtime, orgs) -> None:
    add_person(runtime.engine, "zhang", "property_manager", orgs.willow, display_name="张三")
    r = sign_in(client, "zhang")
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["kind"] == "person" and me["display_name"] == "张三" and me["role"] == "property_manager"
    assert me["org"] == {"pk": orgs.willow, "code": "sq-willow", "name": "柳树社区", "kind": "community"}
    assert "zones.edit" in me["permissions"] and "people.manage" not in me["permissions"]
    cookies = {c.split("=", 1)[0]: c.lower() for c in r.headers.get_list("set-cookie")}
    assert "httponly" in cookies["lw_session"] and "samesite=lax" in cookies["lw_session"]
    assert "httponly" not in cookies["lw_csrf"] and "secure" not in cookies["lw_session"]  # plain http
    token = client.cookies["lw_session"]
    with Session(runtime.engine) as session:
        row = session.exec(select(SignInRow)).one()
        assert row.token_hash == digest(token) and token not in row.token_hash
        assert row.expires_at - row.created_at == timedelta(days=7)
        assert session.exec(select(AuditRow.action)).all() == ["session.sign_in"]
    assert client.get("/api/me").json()["name"] == "zhang"
    assert client.get("/api/cameras").status_code == 200  # one sign-in serves the other routes
    assert sign_in(client, "zhang").status_code == 200  # signing in again ends the browser's old sign-in
    assert client.get("/api/me").status_code == 200
    client.cookies.clear()
    client.cookies.set("lw_session", token)
    assert client.get("/api/me").status_code == 401


@pytest.mark.parametrize(("trusted", "secure"), [(True, True), (False, False)])
def test_the_cookie_is_secure_behind_a_trusted_https_proxy(client, runtime, orgs, trusted, secure) -> None:
    from lanewatch.config import SignInSettings

    client.app.state.sign_in = SignInSettings(trust_forwarded_proto=trusted)
    add_person(runtime.engine, "zhang", "viewer", orgs.willow)
    r = client.post(
        "/api/session", json={"username": "zhang", "password": PASSWORD}, headers={"X-Forwarded-Proto": "https"}
    )
    assert ("secure" in r.headers["set-cookie"].lower()) is secure


def test_wrong_passwords_are_refused_in_chinese_and_the_fifth_locks(client, runtime, orgs) -> None:
    add_person(runtime.engine, "zhang", "viewer", orgs.willow)
    r = sign_in(client, "zhang", "not-the-password")
    assert r.status_code == 401 and "用户名或密码不正确" in r.json()["detail"]
    assert "lw_session" not in client.cookies
    for _ in range(3):
        sign_in(client, "zhang", "not-the-password")
    r = sign_in(client, "zhang", "not-the-password")
    assert r.status_code == 401 and "暂时锁定" in r.json()["detail"] and int(r.headers["Retry-After"]) > 800
    assert sign_in(client, "zhang").status_code == 401  # locked: even the right password waits
    en = client.post("/api/session", json={"username": "nobody", "password": "x"}, headers={"Accept-Language": "en"})
    assert en.json()["detail"] == "Wrong username or password."
    with Session(runtime.engine) as session:
        failed = session.exec(select(AuditRow).where(AuditRow.action == "session.sign_in_failed")).all()
        assert [row.target_id for row in failed][-1] == "nobody" and len(failed) == 7


def test_unsafe_requests_with_the_cookie_need_the_csrf_header_but_keys_do_not(client, runtime, orgs) -> None:
    add_person(runtime.engine, "boss", "admin", orgs.district)
    sign_in(client, "boss")
    csrf = client.headers.pop("X-CSRF-Token")
    r = client.patch("/api/me", json={"language": "en"})
    assert r.status_code == 403 and "X-CSRF-Token" in r.json()["detail"]
    assert client.patch("/api/me", json={"language": "en"}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    r = client.patch("/api/me", json={"language": "en"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["language"] == "en"
    bad = {"unknown": 1}  # errors now speak the person's language, whatever the browser says
    r = client.patch("/api/me", json=bad, headers={"X-CSRF-Token": csrf, "Accept-Language": "zh-CN"})
    assert r.status_code == 422 and r.json()["detail"].isascii(), r.json()
    key = create_api_key(runtime.engine, "admin", "robot")
    client.cookies.clear()
    made = client.post(
        "/api/cameras", json={"id": "c9", "name": "C9", "source_url": "rtsp://h/9"}, headers={"X-API-Key": key}
    )
    assert made.status_code == 201, made.text


def test_a_key_still_answers_me_with_its_organisation(client, runtime, orgs) -> None:
    key = create_api_key(runtime.engine, "viewer", "east-screen", org_pk=orgs.east)
    me = client.get("/api/me", headers={"Authorization": f"Bearer {key}"}).json()
    assert me["kind"] == "key" and me["org"]["code"] == "jd-east" and me["permissions"] == ["read"]
    assert client.get("/api/me").status_code == 401


def test_sign_out_ends_this_browser_only(client, runtime, orgs) -> None:
    add_person(runtime.engine, "zhang", "viewer", orgs.willow)
    sign_in(client, "zhang")
    other = client.__class__(client.app, base_url="http://testserver")
    sign_in(other, "zhang")
    old = client.cookies["lw_session"]
    r = client.delete("/api/session")
    assert r.status_code == 204
    client.cookies.clear()
    client.cookies.set("lw_session", old)  # a copied cookie is dead too
    assert client.get("/api/me").status_code == 401
    assert other.get("/api/me").status_code == 200


def test_an_idle_or_too_old_sign_in_ends(client, runtime, orgs) -> None:
    add_person(runtime.engine, "zhang", "viewer", orgs.willow)
    sign_in(client, "zhang")
    with Session(runtime.engine) as session:
        row = session.exec(select(SignInRow)).one()
        row.last_seen_at = utcnow() - timedelta(hours=11)
        session.add(row)
        session.commit()
    assert client.get("/api/me").status_code == 200  # used within 12 h: slides on
    with Session(runtime.engine) as session:
        row = session.exec(select(SignInRow)).one()
        assert utcnow() - row.last_seen_at.replace(tzinfo=row.last_seen_at.tzinfo or utcnow().tzinfo) < timedelta(
            minutes=1
        )
        row.last_seen_at = utcnow() - timedelta(hours=13)
        session.add(row)
        session.commit()
    r = client.get("/api/me")
    assert r.status_code == 401 and "登录已过期" in r.json()["detail"]
    sign_in(client, "zhang")
    with Session(runtime.engine) as session:
        row = session.exec(select(SignInRow).where(SignInRow.revoked_at == None)).all()[-1]  # noqa: E711
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    assert client.get("/api/me").status_code == 401


def test_a_disabled_person_is_signed_out_and_cannot_sign_in(client, runtime, orgs) -> None:
    pk = add_person(runtime.engine, "zhang", "viewer", orgs.willow)
    sign_in(client, "zhang")
    with Session(runtime.engine) as session:
        person = session.get(PersonRow, pk)
        person.disabled = True
        session.add(person)
        session.commit()
    assert client.get("/api/me").status_code == 401
    r = sign_in(client, "zhang")
    assert r.status_code == 401 and "已停用" in r.json()["detail"]


def test_a_given_password_must_be_changed_before_anything_else(client, runtime, orgs) -> None:
    add_person(runtime.engine, "zhang", "viewer", orgs.willow, must_change=True)
    assert sign_in(client, "zhang").json()["must_change_password"] is True
    r = client.get("/api/cameras")
    assert r.status_code == 403 and "请先修改初始密码" in r.json()["detail"]
    other = client.__class__(client.app, base_url="http://testserver")
    sign_in(other, "zhang")
    wrong = client.post("/api/me/password", json={"old_password": "nope", "new_password": "my-own-lane-01"})
    assert wrong.status_code == 403 and "原密码不正确" in wrong.json()["detail"]
    short = client.post("/api/me/password", json={"old_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422 and "至少需要 10 个字符" in short.json()["detail"]
    r = client.post("/api/me/password", json={"old_password": PASSWORD, "new_password": "my-own-lane-01"})
    assert r.status_code == 200 and r.json()["must_change_password"] is False
    assert client.get("/api/cameras").status_code == 200  # this browser stays signed in
    assert other.get("/api/me").status_code == 401  # the other one is signed out
    assert sign_in(other, "zhang", "my-own-lane-01").status_code == 200
