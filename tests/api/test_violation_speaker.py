"""The speaker calls of a violation through the API: the log (newest first), a person's stop, the audit."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from lanewatch.events.speaker.settings import SpeakerTarget
from lanewatch.store.speaker_warnings import SpeakerWarnings
from lanewatch.store.tables import ViolationRow, as_utc
from tests.support.webhook_receiver import Receiver

VID = "cam1-lane-a-0002"


@pytest.fixture
def speaker(runtime):
    """A real receiver and a SpeakerWarnings calling it for cam1, with the violation's time and a tick."""
    with Session(runtime.engine) as session:  # only VID still lasts
        for other in ("cam1-lane-a-0000", "cam1-lane-a-0001"):
            ended = session.get(ViolationRow, other)
            assert ended is not None
            ended.end_s = ended.last_seen_s
            session.add(ended)
        session.commit()
    receiver = Receiver(statuses=[503])
    target = SpeakerTarget(name="东门喇叭", camera="cam1", after_s=60, repeat_s=30, url=f"{receiver.base}/play")
    warnings = SpeakerWarnings(runtime.engine, [target], zone=ZoneInfo("Asia/Shanghai"))
    with Session(runtime.engine) as session:
        row = session.get(ViolationRow, VID)
        assert row is not None
        became = as_utc(row.violation_at)
    yield receiver, warnings, lambda s: warnings.tick(became + timedelta(seconds=s))
    warnings.stop()
    receiver.close()


def test_the_log_shows_each_call_newest_first_and_the_audit_has_them(client, keys, speaker) -> None:
    _receiver, warnings, tick = speaker
    assert VID in warnings.watched()  # active violations are read from the store at start
    assert [tick(60), tick(90)] == [1, 1]
    r = client.get(f"/api/violations/{VID}/speaker", headers=keys.headers("viewer"))
    assert r.status_code == 200, r.text
    log = r.json()
    assert log["calling"] is True and log["stopped"] is False and log["stopped_by"] is None
    assert [(c["call"], c["status"]) for c in log["calls"]] == [(2, 200), (1, 503)]
    assert log["calls"][1]["error"].startswith("HTTP 503") and log["calls"][0]["error"] is None
    assert all(c["target"] == "东门喇叭" and not c["pending"] for c in log["calls"])
    audit = client.get(
        "/api/audit", params={"target_kind": "violation", "target_id": VID}, headers=keys.headers("admin")
    )
    assert audit.status_code == 200, audit.text
    rows = [e for e in audit.json() if e["action"] == "speaker.call"]
    assert [(e["actor_name"], e["after"]["call"], e["after"]["status"]) for e in rows] == [
        ("system", 2, 200),
        ("system", 1, 503),
    ]


def test_a_person_stops_the_calls_once(client, keys, speaker) -> None:
    receiver, _warnings, tick = speaker
    assert tick(60) == 1
    denied = client.post(f"/api/violations/{VID}/speaker/stop", headers=keys.headers("viewer"))
    assert denied.status_code == 403
    r = client.post(f"/api/violations/{VID}/speaker/stop", headers=keys.headers("operator"))
    assert r.status_code == 200, r.text
    assert r.json()["stopped"] is True and r.json()["calling"] is False
    assert r.json()["stopped_by"] == "operator-key"
    again = client.post(f"/api/violations/{VID}/speaker/stop", headers=keys.headers("admin"))
    assert again.status_code == 200 and again.json()["stopped_by"] == "operator-key"
    assert [tick(90), tick(120)] == [0, 0] and len(receiver.requests) == 1
    audit = client.get(
        "/api/audit", params={"target_kind": "violation", "target_id": VID}, headers=keys.headers("admin")
    )
    assert [e["actor_name"] for e in audit.json() if e["action"] == "speaker.stop"] == ["operator-key"]


def test_an_unknown_violation_is_404(client, keys) -> None:
    assert client.get("/api/violations/nosuch/speaker", headers=keys.headers("viewer")).status_code == 404
    assert client.post("/api/violations/nosuch/speaker/stop", headers=keys.headers("operator")).status_code == 404
