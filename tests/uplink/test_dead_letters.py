"""Replaying the centre's dead letters (PostgreSQL): applied once the site is added, never twice."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from lanewatch.cli import app
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import ViolationRow, utcnow
from lanewatch.store.uplink_tables import UplinkDeadLetterRow, UplinkRecordRow, UplinkSiteRow
from lanewatch.uplink.centre_apply import apply_message
from lanewatch.uplink.dead_letters import Replayed, replay
from tests.uplink.conftest import SITE
from tests.uplink.test_centre_apply import _message, _violation

NEW_SITE = "site-c"


def _apply(engine, topic: str, raw: bytes) -> str:
    with Session(engine) as session:
        outcome = apply_message(session, topic, raw, utcnow())
        session.commit()
    return outcome


def _add_site(engine, code: str = NEW_SITE) -> None:
    with Session(engine) as session:
        root = session.exec(select(OrganisationRow).where(OrganisationRow.code == "district")).one()
        session.add(OrganisationRow(code=code, name="C 社区", kind="community", parent_pk=root.pk))
        session.commit()


def _letters(engine) -> list[tuple[str | None, str]]:
    with Session(engine) as session:
        return [(d.site, d.reason) for d in session.exec(select(UplinkDeadLetterRow).order_by(UplinkDeadLetterRow.pk))]


def _count(engine, table) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_a_message_of_an_unknown_site_is_applied_once_after_the_site_is_added(centre_engine) -> None:
    assert _apply(centre_engine, *_message(NEW_SITE, _violation("c1", last_seen_s=42.0), 1)) == "dead"
    assert [site for site, _ in _letters(centre_engine)] == [NEW_SITE]

    assert replay(centre_engine, None) == Replayed(still_dead=1)  # the site is still unknown: kept as it was
    assert len(_letters(centre_engine)) == 1 and "unknown site" in _letters(centre_engine)[0][1]
    assert _count(centre_engine, ViolationRow) == 0

    _add_site(centre_engine)
    assert replay(centre_engine, None) == Replayed(applied=1)
    assert _letters(centre_engine) == []
    with Session(centre_engine) as session:
        row = session.get(ViolationRow, "c1")
        assert row is not None and row.camera == f"{NEW_SITE}.gate" and row.last_seen_s == 42.0
        updated = row.updated_at
        assert session.get(UplinkRecordRow, (NEW_SITE, "violation", "c1")).seq == 1
        org = session.exec(select(OrganisationRow).where(OrganisationRow.code == NEW_SITE)).one()
        assert session.get(UplinkSiteRow, NEW_SITE).org_pk == org.pk

    assert replay(centre_engine, None) == Replayed()  # again: nothing left, nothing changes
    assert _count(centre_engine, ViolationRow) == 1 and _letters(centre_engine) == []
    with Session(centre_engine) as session:
        assert session.get(ViolationRow, "c1").updated_at == updated


def test_a_letter_already_applied_meanwhile_is_a_duplicate_and_goes(centre_engine) -> None:
    message = _message(NEW_SITE, _violation("c2", last_seen_s=10.0), 1)
    assert _apply(centre_engine, *message) == "dead"
    _add_site(centre_engine)
    assert _apply(centre_engine, *_message(NEW_SITE, _violation("c2", last_seen_s=77.0), 2)) == "applied"
    assert replay(centre_engine, None) == Replayed(duplicates=1)  # seq 1 < 2: the older copy changes nothing
    assert _letters(centre_engine) == []
    with Session(centre_engine) as session:
        assert session.get(ViolationRow, "c2").last_seen_s == 77.0


def test_only_the_named_site_is_replayed_and_a_refusal_keeps_its_new_reason(centre_engine) -> None:
    _apply(centre_engine, *_message(SITE, _violation("taken"), 1))  # the known site holds the id "taken"
    assert _apply(centre_engine, *_message(NEW_SITE, _violation("taken"), 1)) == "dead"
    assert _apply(centre_engine, *_message("site-d", _violation("d1"), 1)) == "dead"
    _add_site(centre_engine)
    _add_site(centre_engine, "site-d")
    with Session(centre_engine) as session:
        counted = session.get(UplinkSiteRow, NEW_SITE).dead_letters

    assert replay(centre_engine, None, site=NEW_SITE) == Replayed(still_dead=1)
    letters = _letters(centre_engine)
    assert [site for site, _ in letters] == [NEW_SITE, "site-d"]
    assert "already belongs" in letters[0][1] and "unknown site" in letters[1][1]  # a new reason; d untouched
    with Session(centre_engine) as session:
        assert session.get(ViolationRow, "taken").camera == f"{SITE}.gate"
        assert session.get(ViolationRow, "d1") is None
        assert session.get(UplinkSiteRow, NEW_SITE).dead_letters == counted  # a failed replay is not counted


def test_an_unreadable_letter_stays(centre_engine) -> None:
    topic, raw = _message(NEW_SITE, _violation("c3"), 1)
    body = json.loads(raw)
    del body["seq"]
    assert _apply(centre_engine, topic, json.dumps(body).encode()) == "dead"
    _add_site(centre_engine)
    assert replay(centre_engine, None) == Replayed(still_dead=1)
    assert [reason for _, reason in _letters(centre_engine)] == ["missing seq"]


@pytest.mark.parametrize("lang, words", [("zh-CN", "已应用 1 条"), ("en", "1 applied")])
def test_the_command_replays_and_says_so_in_the_deployments_language(centre_engine, tmp_path, lang, words) -> None:
    _apply(centre_engine, *_message(NEW_SITE, _violation("c4"), 1))
    _add_site(centre_engine)
    config = tmp_path / "lanewatch.yaml"
    url = centre_engine.url.render_as_string(hide_password=False)
    config.write_text(f"data_dir: {tmp_path / 'data'}\ndatabase_url: {url}\nlanguage: {lang}\n")
    result = CliRunner().invoke(app, ["uplink", "replay-dead-letters", "--site", NEW_SITE, "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert words in result.output
    assert _letters(centre_engine) == [] and _count(centre_engine, ViolationRow) == 1
