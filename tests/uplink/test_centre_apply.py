"""The centre's apply step alone (PostgreSQL): keys per site, duplicates and late updates, dead letters."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import CameraRow, ViolationRow, utcnow
from lanewatch.store.uplink_tables import UplinkDeadLetterRow, UplinkSiteRow
from lanewatch.uplink.centre_apply import apply_message
from tests.uplink.conftest import SITE


def _violation(vid: str, camera: str = "gate", last_seen_s: float = 31.0) -> dict:
    return {
        "id": vid, "camera": camera, "zone": "lane-1", "zone_name": "东门", "label": "car", "active": True,
        "start_s": 1.0, "violation_s": 30.0, "last_seen_s": last_seen_s, "end_s": None, "dwell_s": 30.0,
        "started_at": "2026-12-03T08:00:01+00:00", "violation_at": "2026-12-03T08:00:30+00:00", "ended_at": None,
        "confidence": 0.8, "box": [0.1, 0.2, 0.3, 0.4], "state": "new", "acknowledged_by": None,
        "acknowledged_at": None, "ack_comment": None, "resolved_by": None, "resolved_at": None,
        "resolve_comment": None, "updated_at": "2026-12-03T08:00:31+00:00",
    }  # fmt: skip


def _message(site: str, record: dict, seq: int, kind: str = "violation") -> tuple[str, bytes]:
    body = {"v": 1, "site": site, "kind": kind, "id": record["id"], "seq": seq, "type": kind,
            "edge_time": "2026-12-03T08:00:31+00:00", "sent_at": utcnow().isoformat(), "record": record}  # fmt: skip
    return f"lanewatch/v1/site/{site}/{kind}", json.dumps(body).encode()


def _apply(engine, topic: str, raw: bytes) -> str:
    with Session(engine) as session:
        outcome = apply_message(session, topic, raw, utcnow())
        session.commit()
    return outcome


def test_two_sites_cameras_of_the_same_name_stay_apart_in_their_organisations(two_sites) -> None:
    assert _apply(two_sites, *_message(SITE, _violation("a1"), 1)) == "applied"
    assert _apply(two_sites, *_message("site-b", _violation("b1"), 1)) == "applied"
    with Session(two_sites) as session:
        orgs = {o.code: o.pk for o in session.exec(select(OrganisationRow))}
        cameras = {c.id: c.org_pk for c in session.exec(select(CameraRow))}
        assert cameras == {f"{SITE}.gate": orgs[SITE], "site-b.gate": orgs["site-b"]}
        assert session.get(ViolationRow, "b1").camera == "site-b.gate"


@pytest.mark.parametrize("late_seq", [2, 1])  # the same message again; an older one after a newer
def test_a_repeat_or_an_older_update_changes_nothing(two_sites, late_seq) -> None:
    _apply(two_sites, *_message(SITE, _violation("a1", last_seen_s=31.0), 1))
    _apply(two_sites, *_message(SITE, _violation("a1", last_seen_s=99.0), 2))
    assert _apply(two_sites, *_message(SITE, _violation("a1", last_seen_s=5.0), late_seq)) == "duplicate"
    with Session(two_sites) as session:
        assert session.get(ViolationRow, "a1").last_seen_s == 99.0
        site = session.get(UplinkSiteRow, SITE)
        assert (site.messages, site.duplicates, site.last_seq) == (3, 1, 2)


def test_a_site_cannot_overwrite_another_sites_record(two_sites) -> None:
    _apply(two_sites, *_message(SITE, _violation("same-id"), 1))
    assert _apply(two_sites, *_message("site-b", _violation("same-id"), 1)) == "dead"
    with Session(two_sites) as session:
        assert session.get(ViolationRow, "same-id").camera == f"{SITE}.gate"
        letter = session.exec(select(UplinkDeadLetterRow)).one()
        assert letter.site == "site-b" and "already belongs" in letter.reason


@pytest.mark.parametrize(
    ("topic", "raw", "reason"),
    [
        ("lanewatch/v1/site/nowhere/violation", _message("nowhere", _violation("x"), 1)[1], "unknown site"),
        ("lanewatch/v1/site/site-a/violation", b"{not json", "not JSON"),
        ("lanewatch/v1/site/site-a/violation", _message("site-b", _violation("x"), 1)[1], "do not match"),
        ("lanewatch/v1/site/site-a/violation", json.dumps({"site": "site-a"}).encode(), "missing kind"),
    ],
)
def test_what_cannot_be_applied_is_kept_as_a_dead_letter_with_its_reason(centre_engine, topic, raw, reason) -> None:
    assert _apply(centre_engine, topic, raw) == "dead"
    with Session(centre_engine) as session:
        letter = session.exec(select(UplinkDeadLetterRow)).one()
        assert reason in letter.reason and letter.payload == raw.decode("utf-8", "replace")
        assert session.exec(select(ViolationRow)).first() is None
        site = session.get(UplinkSiteRow, topic.split("/")[3])
        assert site is not None and site.dead_letters == 1


def test_a_site_from_before_the_unreliable_mark_sends_unmarked_violations_and_a_bad_mark_is_refused(
    centre_engine,
) -> None:
    assert _apply(centre_engine, *_message(SITE, _violation("old-release"), 1)) == "applied"  # no such fields
    bad = {**_violation("bad-mark"), "unreliable": "yes", "unreliable_reason": "camera_moved"}
    assert _apply(centre_engine, *_message(SITE, bad, 1)) == "dead"
    with Session(centre_engine) as session:
        row = session.get(ViolationRow, "old-release")
        assert row is not None and (row.unreliable, row.unreliable_reason) == (False, None)
        assert session.get(ViolationRow, "bad-mark") is None
        reasons = [d.reason for d in session.exec(select(UplinkDeadLetterRow))]
    assert any("unreliable must be true or false" in r for r in reasons)
