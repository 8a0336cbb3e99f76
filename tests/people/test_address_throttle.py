"""Guessing from one address across many usernames: after 20 failures in 15 minutes that address waits,
told in Chinese for how long; the address behind a trusted proxy is the one the proxy added."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from lanewatch.config import SignInSettings
from lanewatch.people.throttle import ADDRESS_LIMIT, AddressThrottle
from lanewatch.store.people_tables import AuditRow
from lanewatch.store.tables import utcnow

from .conftest import PASSWORD, add_person

START = utcnow()


def test_the_twentieth_failure_in_the_window_blocks_the_address_for_the_window() -> None:
    throttle = AddressThrottle(limit=20, window=timedelta(minutes=15))
    for n in range(19):
        assert throttle.failed("10.0.0.9", START + timedelta(seconds=n)) is None
    assert throttle.blocked_until("10.0.0.9", START + timedelta(seconds=30)) is None
    until = throttle.failed("10.0.0.9", START + timedelta(seconds=40))
    assert until == START + timedelta(seconds=40, minutes=15)
    assert throttle.blocked_until("10.0.0.9", START + timedelta(minutes=10)) == until
    assert throttle.blocked_until("10.0.0.8", START + timedelta(minutes=10)) is None  # another address
    assert throttle.blocked_until("10.0.0.9", until + timedelta(seconds=1)) is None  # waited: may try again


def test_failures_older_than_the_window_do_not_count() -> None:
    throttle = AddressThrottle(limit=3, window=timedelta(minutes=15))
    assert throttle.failed("a", START) is None
    assert throttle.failed("a", START + timedelta(minutes=10)) is None
    assert throttle.failed("a", START + timedelta(minutes=20)) is None  # the first one has left the window
    assert throttle.failed("a", START + timedelta(minutes=21)) is not None


def spray(client, count: int, headers: dict[str, str] | None = None):
    """`count` wrong passwords, each for another username; the last answer."""
    answer = None
    for n in range(count):
        answer = client.post("/api/session", json={"username": f"guess{n}", "password": "x"}, headers=headers)
    return answer


def test_guessing_many_usernames_from_one_address_makes_it_wait(client, runtime, orgs) -> None:
    add_person(runtime.engine, "zhang", "viewer", orgs.willow)
    before = spray(client, ADDRESS_LIMIT - 1)
    assert before is not None and before.status_code == 401
    last = spray(client, 1)
    assert last is not None and last.status_code == 429
    assert "此地址登录失败次数过多" in last.json()["detail"] and "15 分钟后再试" in last.json()["detail"]
    assert 800 < int(last.headers["Retry-After"]) <= 900
    right = client.post("/api/session", json={"username": "zhang", "password": PASSWORD})
    assert right.status_code == 429  # even the right password waits
    en = client.post(
        "/api/session", json={"username": "zhang", "password": PASSWORD}, headers={"Accept-Language": "en"}
    )
    assert en.json()["detail"].startswith("Too many failed sign-ins from this address")
    with Session(runtime.engine) as session:
        reasons = [row.after["reason"] for row in session.exec(select(AuditRow)) if row.after]
    assert reasons.count("address_wait") == 2 and reasons.count("wrong") == ADDRESS_LIMIT
    assert "lw_session" not in client.cookies


def test_the_lockout_of_one_address_leaves_others_signing_in(client, runtime, orgs) -> None:
    client.app.state.sign_in = SignInSettings(trust_forwarded_proto=True)
    add_person(runtime.engine, "zhang", "viewer", orgs.willow)
    # the proxy appends the real peer; whatever the client wrote before it must not count
    for n in range(ADDRESS_LIMIT):
        spray(client, 1, headers={"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.7"})
    attacker = client.post(
        "/api/session", json={"username": "zhang", "password": PASSWORD}, headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert attacker.status_code == 429
    office = client.post(
        "/api/session", json={"username": "zhang", "password": PASSWORD}, headers={"X-Forwarded-For": "203.0.113.8"}
    )
    assert office.status_code == 200, office.text


def test_without_a_trusted_proxy_a_made_up_forwarded_for_changes_nothing(client, runtime, orgs) -> None:
    client.app.state.sign_in = SignInSettings(trust_forwarded_proto=False)
    add_person(runtime.engine, "zhang", "viewer", orgs.willow)
    for n in range(ADDRESS_LIMIT):
        spray(client, 1, headers={"X-Forwarded-For": f"198.51.100.{n}"})
    again = client.post(
        "/api/session", json={"username": "zhang", "password": PASSWORD}, headers={"X-Forwarded-For": "192.0.2.1"}
    )
    assert again.status_code == 429
