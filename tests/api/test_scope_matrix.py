"""Role × route × inside/outside scope: the answer each caller gets from each route about each street's records.

Inside its scope a caller with the permission gets the route's success;
outside, the record does not exist (404, the same words as an unknown id);
without the permission 403; without credentials 401. What a caller sees is
`scope_world.SEES` (written by hand); what a role may do is the table in
`lanewatch.people.roles` — spot checks of the issue's role descriptions are
in `test_roles_do_what_the_issue_says`.
"""

from __future__ import annotations

import pytest

from lanewatch.people.roles import Permission, allows

from .conftest import LANE
from .scope_world import CALLERS, SEES, World, world_fixture  # noqa: F401  (the `world` fixture)

P = Permission
STREET = {  # the records a path names, per street
    "s1": {"cam": "cam1", "dev": "dev-e1"},
    "s2": {"cam": "cam2", "dev": "dev-e2"},
}
ROUTES = [  # method, path, body, permission, success status
    ("GET", "/api/cameras/{cam}", None, P.READ, 200),
    ("GET", "/api/cameras/{cam}/frame.jpg", None, P.READ, 200),
    ("GET", "/api/cameras/{cam}/detections", None, P.READ, 200),
    ("GET", "/api/cameras/{cam}/zones", None, P.READ, 200),
    ("GET", "/api/cameras/{cam}/zones/lane-a", None, P.READ, 200),
    ("GET", "/api/cameras/{cam}/zones/export", None, P.READ, 200),
    ("GET", "/api/violations/{cam}-lane-a-0000", None, P.READ, 200),
    ("GET", "/api/violations/{cam}-lane-a-0000/snapshot.jpg", None, P.READ, 200),
    ("GET", "/api/lanes/passages?camera={cam}", None, P.READ, 200),
    ("GET", "/api/alarms/{dev}:fire", None, P.READ, 200),
    ("GET", "/api/alarms/devices/{dev}", None, P.READ, 200),
    ("GET", "/api/alarms/devices/{dev}/history", None, P.READ, 200),
    ("POST", "/api/violations/{cam}-lane-a-0000/ack", {"comment": "在处理"}, P.VIOLATIONS_HANDLE, 200),
    ("POST", "/api/violations/{cam}-lane-a-0001/resolve", {}, P.VIOLATIONS_HANDLE, 200),
    ("GET", "/api/violations/{cam}-lane-a-0000/speaker", None, P.READ, 200),
    ("POST", "/api/violations/{cam}-lane-a-0002/speaker/stop", None, P.VIOLATIONS_HANDLE, 200),
    ("POST", "/api/alarms/{dev}:fire/ack", {}, P.ALARMS_HANDLE, 200),
    ("POST", "/api/alarms/{dev}:fire/confirm", {"outcome": "false_alarm"}, P.ALARMS_HANDLE, 200),
    ("POST", "/api/alarms/{dev}:fault/resolve", {}, P.ALARMS_HANDLE, 200),
    ("POST", "/api/cameras/{cam}/zones", {**LANE, "id": "lane-b"}, P.ZONES_EDIT, 201),
    ("PUT", "/api/cameras/{cam}/zones/lane-a", {**LANE, "name": "消防通道"}, P.ZONES_EDIT, 200),
    ("DELETE", "/api/cameras/{cam}/zones/lane-a", None, P.ZONES_EDIT, 204),
    ("PUT", "/api/cameras/{cam}/zones/import", {"camera": "{cam}", "zones": [LANE]}, P.ZONES_EDIT, 200),
    ("PATCH", "/api/cameras/{cam}", {"name": "新名字"}, P.CAMERAS_EDIT, 200),
    ("DELETE", "/api/cameras/{cam}", None, P.CAMERAS_EDIT, 204),
    ("PATCH", "/api/alarms/devices/{dev}", {"name": "三楼"}, P.DEVICES_EDIT, 200),
    ("PATCH", "/api/alarms/devices/{dev}", {"maintenance": True}, P.DEVICES_TEST, 200),
]


def _fill(world: World, text: str, street: str) -> str:
    names = STREET[street]
    for kind in ("fire", "fault"):  # an alarm is named by its device and type in the table
        text = text.replace(f"{{dev}}:{kind}", world.alarms[f"{names['dev']}:{kind}"])
    return text.replace("{cam}", names["cam"]).replace("{dev}", names["dev"])


def _body(world: World, body, street: str):
    if isinstance(body, dict):
        return {k: _fill(world, v, street) if isinstance(v, str) else v for k, v in body.items()}
    return body


def _subject(path: str, street: str) -> str:
    return STREET[street]["dev"] if "{dev}" in path else STREET[street]["cam"]


CASES = [
    pytest.param(method, path, body, permission, ok, caller, street, id=f"{caller}-{street}-{method} {path}")
    for method, path, body, permission, ok in ROUTES
    for caller in CALLERS
    for street in STREET
]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the whole table once; lists run on both backends
@pytest.mark.parametrize(("method", "path", "body", "permission", "ok", "caller", "street"), CASES)
def test_matrix(client, world: World, method, path, body, permission, ok, caller, street) -> None:
    url = _fill(world, path, street)
    role = CALLERS[caller][0]
    r = client.request(method, url, json=_body(world, body, street), headers=world.headers(caller))
    if not allows(role, permission):
        assert r.status_code == 403, r.text
        assert "may not do this" in r.json()["detail"]
    elif _subject(path, street) in SEES[caller]:
        assert r.status_code == ok, r.text
    else:
        assert r.status_code == 404, r.text
        subject = _subject(path, street)
        if subject in url:  # the same words as for an id that does not exist (alarm ids name no device)
            unknown = url.replace(subject, "nosuch")
            answer = client.request(method, unknown, json=_body(world, body, street), headers=world.headers(caller))
            assert answer.status_code == 404
            assert r.json()["detail"] == answer.json()["detail"].replace("nosuch", subject)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("method", "path", "body", "permission", "ok"), ROUTES, ids=[f"{m} {p}" for m, p, *_ in ROUTES]
)
def test_no_credentials_is_401(client, world: World, method, path, body, permission, ok) -> None:
    r = client.request(method, _fill(world, path, "s1"), json=_body(world, body, "s1"))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        ("property_manager", {P.ZONES_EDIT, P.VIOLATIONS_HANDLE}, {P.CAMERAS_EDIT, P.ALARMS_HANDLE, P.KEYS_MANAGE}),
        ("duty_operator", {P.ALARMS_HANDLE, P.VIOLATIONS_HANDLE}, {P.ZONES_EDIT, P.CAMERAS_EDIT, P.DEVICES_EDIT}),
        ("enterprise", {P.READ, P.DEVICES_TEST}, {P.ALARMS_HANDLE, P.DEVICES_EDIT, P.VIOLATIONS_HANDLE}),
        ("maintainer", {P.CAMERAS_EDIT, P.DEVICES_EDIT, P.DEVICES_TEST}, {P.VIOLATIONS_HANDLE, P.ALARMS_HANDLE}),
        ("viewer", {P.READ}, {P.VIOLATIONS_HANDLE, P.ALARMS_HANDLE, P.ZONES_EDIT}),
        ("operator", {P.READ, P.VIOLATIONS_HANDLE, P.ALARMS_HANDLE, P.ALARMS_INGEST}, {P.ZONES_EDIT, P.KEYS_MANAGE}),
        ("device", {P.ALARMS_INGEST}, {P.READ}),
    ],
)
def test_roles_do_what_the_issue_says(role, may, may_not) -> None:
    """The issue's role descriptions (and the key roles' powers from before people existed)."""
    assert all(allows(role, p) for p in may) and not any(allows(role, p) for p in may_not)
