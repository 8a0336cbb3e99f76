"""Passwords and accounts: the rules, argon2 hashes, the temporary lockout, "must change" on given passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from lanewatch.people import accounts, passwords
from lanewatch.people.accounts import AccountError, SignInRefused
from lanewatch.people.passwords import PasswordRuleError
from lanewatch.store.tables import utcnow

GOOD = "lane-watch-2026"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "至少需要 10 个字符"),
        (" " * 12, "至少需要 10 个字符"),
        ("Zhang.San01", "不能与用户名相同"),
        ("x" * 201, "最多 200"),
    ],
)
def test_a_password_that_breaks_a_rule_is_refused_in_chinese(password, problem) -> None:
    with pytest.raises(PasswordRuleError, match=problem):
        passwords.check_rules(password, "zhang.san01")


def test_the_rules_speak_english_when_asked() -> None:
    with pytest.raises(PasswordRuleError, match="at least 10 characters"):
        passwords.check_rules("short", "someone", "en")


def test_only_an_argon2_hash_is_kept_and_it_verifies() -> None:
    stored = passwords.hash_password(GOOD)
    assert stored.startswith("$argon2id$") and GOOD not in stored
    assert passwords.verify(stored, GOOD)
    assert not passwords.verify(stored, GOOD + "x")
    assert not passwords.verify(None, GOOD)  # nobody: the decoy never matches
    assert not passwords.verify("not a hash", GOOD)


@pytest.fixture
def person(engine):
    with Session(engine) as session:
        row = accounts.create(
            session, username="wang", password=GOOD, role="duty_operator", org_pk=1, display_name="王"
        )
        session.commit()
        session.refresh(row)
        return row


def _sign_in(engine, username, password):
    with Session(engine, expire_on_commit=False) as session:
        try:
            return accounts.check_sign_in(session, username, password)
        finally:
            session.commit()


def test_the_right_password_signs_in_and_a_given_password_must_be_changed(engine, person) -> None:
    signed = _sign_in(engine, "wang", GOOD)
    assert signed.pk == person.pk
    assert accounts.must_change_password(signed)  # created by someone else: a temporary password
    with Session(engine) as session:
        row = accounts.find(session, "wang")
        accounts.set_password(session, row, "a-new-password-1", by_owner=True)
        session.commit()
        assert not accounts.must_change_password(row)
        accounts.set_password(session, row, "reset-by-admin-1", by_owner=False)
        assert accounts.must_change_password(row)


def test_five_wrong_passwords_lock_the_person_for_15_minutes(engine, person) -> None:
    for left in (4, 3, 2, 1):
        with pytest.raises(SignInRefused) as refused:
            _sign_in(engine, "wang", "wrong-password")
        assert refused.value.reason == "wrong" and f"再错 {left} 次" in refused.value.message
    with pytest.raises(SignInRefused) as refused:
        _sign_in(engine, "wang", "wrong-password")
    assert refused.value.reason == "locked" and "15 分钟" in refused.value.message
    locked = refused.value.locked_until
    assert locked is not None and timedelta(minutes=14) < locked - utcnow() <= timedelta(minutes=15)
    with pytest.raises(SignInRefused) as refused:
        _sign_in(engine, "wang", GOOD)  # even the right password waits out the lock
    assert refused.value.reason == "locked"
    with Session(engine) as session:  # the lock runs out
        row = accounts.find(session, "wang")
        row.locked_until = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    assert _sign_in(engine, "wang", GOOD).failed_attempts == 0


def test_an_unknown_username_and_a_disabled_person_are_refused(engine, person) -> None:
    with pytest.raises(SignInRefused) as refused:
        _sign_in(engine, "nobody", GOOD)
    assert refused.value.reason == "wrong" and refused.value.message == "用户名或密码不正确。"
    with Session(engine) as session:
        row = accounts.find(session, "wang")
        row.disabled = True
        session.add(row)
        session.commit()
    with pytest.raises(SignInRefused, match="已停用") as refused:
        _sign_in(engine, "wang", GOOD)
    assert refused.value.reason == "disabled"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"username": "wang"}, "已被使用"),
        ({"username": "张三"}, "用户名须以字母或数字开头"),
        ({"role": "operator"}, "没有角色"),
        ({"org_pk": 999}, "机构 999 不存在"),
    ],
)
def test_a_bad_account_is_refused_with_the_reason(engine, person, changes, problem) -> None:
    fields = {"username": "li", "password": GOOD, "role": "viewer", "org_pk": 1, **changes}
    with Session(engine) as session, pytest.raises(AccountError, match=problem):
        accounts.create(session, **fields)
