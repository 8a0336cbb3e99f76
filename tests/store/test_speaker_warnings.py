"""On-site warning: the lane's speaker is called while a violation lasts, against a real HTTP receiver on
127.0.0.1. The scheduler's clock is driven explicitly (`tick(now)`), so nothing depends on machine speed."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from lanewatch.events.speaker.settings import SpeakerTarget
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.people.caller import Caller
from lanewatch.store import speaker_log
from lanewatch.store.outbox import OutboxSink
from lanewatch.store.speaker_warnings import SpeakerWarnings
from lanewatch.store.tables import CameraRow, ViolationRow
from tests.support.webhook_receiver import Receiver, free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")
BECAME = datetime(2026, 6, 1, 9, 0, 30, tzinfo=UTC)  # 17:00:30 in Shanghai


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def start(statuses=None) -> Receiver:
        made.append(Receiver(statuses=statuses))
        return made[-1]

    yield start
    for r in made:
        r.close()


@pytest.fixture
def made():
    """Every SpeakerWarnings a test makes, closed after it."""
    warnings: list[SpeakerWarnings] = []
    yield warnings
    for w in warnings:
        w.stop()


def _violation(vid: str = "v1", zone: str = "lane-a", *, became: datetime = BECAME, ended: bool = False) -> Violation:
    return Violation(
        id=vid,
        camera="cam1",
        zone=zone,
        zone_name="东侧消防通道",
        label="car",
        start_s=0.0,
        violation_s=30.0,
        last_seen_s=40.0,
        end_s=200.0 if ended else None,
        started_at=became - timedelta(seconds=30),
        violation_at=became,
        ended_at=became + timedelta(seconds=170) if ended else None,
        confidence=0.8,
        box=(0.1, 0.2, 0.3, 0.4),
    )


def _speakers(engine, made, *targets: dict) -> SpeakerWarnings:
    with Session(engine) as session:
        if session.get(CameraRow, "cam1") is None:
            session.add(CameraRow(id="cam1", name="1号楼东门", source_url="rtsp://10.0.0.5/s"))
            session.commit()
    made.append(SpeakerWarnings(engine, [SpeakerTarget(**t) for t in targets], zone=SHANGHAI))
    return made[-1]


def _happen(engine, speakers: SpeakerWarnings, kind: str, violation: Violation) -> None:
    """What the pipeline does: the store first, then the speaker sink."""
    event = ViolationEvent(kind, None if kind == "new" else violation, violation)  # type: ignore[arg-type]
    OutboxSink(engine)(event)
    speakers(event)


def _calls(engine, vid: str = "v1") -> list[dict]:
    with Session(engine) as session:
        return [r.after or {} for r in speaker_log.calls(session, vid)]


def _target(r: Receiver, **changes) -> dict:
    return {"name": "东门喇叭", "camera": "cam1", "after_s": 60, "repeat_s": 30, "url": f"{r.base}/play", **changes}


def at(seconds: float) -> datetime:
    return BECAME + timedelta(seconds=seconds)


def test_calls_at_the_interval_while_it_lasts_and_stop_when_it_ends(engine, receiver, made) -> None:
    r = receiver()
    speakers = _speakers(engine, made, _target(r, url=f"{r.base}/api/play?clip={{clip}}", clip="3"))
    _happen(engine, speakers, "new", _violation())
    sent = [speakers.tick(at(s)) for s in (0, 59.9, 60, 61, 89.9, 90, 120.5, 149)]
    assert sent == [0, 0, 1, 0, 0, 1, 1, 0]
    assert [(q["method"], q["path"], q["query"]) for q in r.requests] == [("GET", "/api/play", {"clip": ["3"]})] * 3
    calls = _calls(engine)
    assert [c["call"] for c in calls] == [3, 2, 1]  # newest first
    assert all(c["status"] == 200 and c["error"] is None and not c["pending"] for c in calls)
    assert all(c["target"] == "东门喇叭" and c["duration_ms"] >= 0 for c in calls)
    _happen(engine, speakers, "end", _violation(ended=True))
    assert speakers.tick(at(150)) == 0 and speakers.tick(at(400)) == 0
    assert len(r.requests) == 3


def test_an_end_seen_only_in_the_store_stops_the_calls_too(engine, receiver, made) -> None:
    r = receiver()
    speakers = _speakers(engine, made, _target(r))
    _happen(engine, speakers, "new", _violation())
    assert speakers.tick(at(60)) == 1
    OutboxSink(engine)(ViolationEvent("end", _violation(), _violation(ended=True)))  # the sink missed it
    assert speakers.tick(at(90)) == 0 and speakers.watched() == set()


@pytest.mark.parametrize("how", ["person stops", "acknowledged", "resolved"])
def test_a_person_stops_the_calls(engine, receiver, made, how) -> None:
    r = receiver()
    speakers = _speakers(engine, made, _target(r))
    _happen(engine, speakers, "new", _violation())
    assert speakers.tick(at(60)) == 1
    with Session(engine) as session:
        if how == "person stops":
            assert speaker_log.stop(session, Caller(pk=1, name="张三", role="operator", kind="person"), "v1")
            assert not speaker_log.stop(session, Caller(pk=2, name="李四", role="operator", kind="person"), "v1")
        else:
            row = session.get(ViolationRow, "v1")
            assert row is not None
            row.state = how
            session.add(row)
        session.commit()
        if how == "person stops":
            stop = speaker_log.stopped(session, "v1")
            assert stop is not None and stop.by == "张三"
    assert [speakers.tick(at(s)) for s in (90, 120, 300)] == [0, 0, 0]
    assert len(r.requests) == 1


def test_quiet_hours_call_nothing_then_calls_resume(engine, receiver, made) -> None:
    r = receiver()
    became = datetime(2026, 6, 1, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    speakers = _speakers(engine, made, _target(r, quiet_hours=["22:00-07:00"]))
    _happen(engine, speakers, "new", _violation(became=became))
    for minutes in range(1, 8 * 60, 7):  # all night long, until 06:59 Shanghai
        assert speakers.tick(became + timedelta(minutes=minutes)) == 0
    assert speakers.tick(datetime(2026, 6, 1, 22, 59, 59, tzinfo=UTC)) == 0  # 06:59:59
    assert r.requests == [] and _calls(engine) == []
    morning = datetime(2026, 6, 1, 23, 0, 5, tzinfo=UTC)  # 07:00:05 in Shanghai: one call, not a burst
    assert speakers.tick(morning) == 1 and len(r.requests) == 1
    assert _calls(engine)[0]["call"] == (8.5 * 3600 - 60 + 5) // 30 + 1


def test_a_failing_speaker_is_logged_and_retried_at_the_next_interval(engine, receiver, made) -> None:
    r = receiver(statuses=[500])
    down = f"http://127.0.0.1:{free_port()}/play"
    speakers = _speakers(engine, made, _target(r), _target(r, name="西门喇叭", url=down, timeout_s=2))
    _happen(engine, speakers, "new", _violation())
    assert speakers.tick(at(60)) == 2
    assert speakers.tick(at(70)) == 0  # not retried before the next interval
    first = {c["target"]: c for c in _calls(engine)}
    assert first["东门喇叭"]["status"] == 500 and first["东门喇叭"]["error"].startswith("HTTP 500")
    assert first["西门喇叭"]["status"] is None and first["西门喇叭"]["error"].startswith("ConnectError")
    assert speakers.tick(at(90)) == 2
    latest = {c["target"]: c for c in _calls(engine)[:2]}
    assert latest["东门喇叭"] == {**latest["东门喇叭"], "call": 2, "status": 200, "error": None}
    assert latest["西门喇叭"]["call"] == 2 and latest["西门喇叭"]["error"].startswith("ConnectError")
    assert len(r.requests) == 2


def test_templates_render_chinese_in_url_json_and_xml(engine, receiver, made) -> None:
    r = receiver()
    speakers = _speakers(
        engine,
        made,
        _target(
            r,
            name="网关",
            method="POST",
            url=f"{r.base}/gateway/{{camera}}?text={{zone_name}}",
            headers={"X-Call": "{call}"},
            json_body={
                "device": "{camera}",
                "tts": "{camera_name}{zone_name}有{label}占用{duration}，请立即驶离",
                "n": 2,
            },
            auth={"kind": "basic", "username": "admin", "password": "pw"},
        ),
        _target(
            r,
            name="海康",
            method="PUT",
            url=f"{r.base}/ISAPI/Event/triggers/{{id}}",
            body="<AudioPlay><audioID>{clip}</audioID><text>{zone_name}</text></AudioPlay>",
            body_escape="xml",
            clip="7",
        ),
    )
    violation = _violation()
    _happen(engine, speakers, "new", violation)
    with Session(engine) as session:
        row = session.get(ViolationRow, "v1")
        assert row is not None
        row.zone_name = "东侧消防通道 <A&B>"
        session.add(row)
        session.commit()
    assert speakers.tick(at(65)) == 2
    post, put = sorted(r.requests, key=lambda q: q["method"])
    assert post["method"] == "POST" and post["path"] == "/gateway/cam1"
    assert unquote(post["raw_query"]) == "text=东侧消防通道 <A&B>"
    assert post["headers"]["X-Call"] == "1" and post["headers"]["Authorization"] == "Basic YWRtaW46cHc="
    assert post["headers"]["Content-Type"].startswith("application/json")
    assert json.loads(post["body"]) == {
        "device": "cam1",
        "tts": "1号楼东门东侧消防通道 <A&B>有小汽车占用1分05秒，请立即驶离",
        "n": 2,
    }
    assert put["path"] == "/ISAPI/Event/triggers/v1"
    assert (
        put["body"].decode() == "<AudioPlay><audioID>7</audioID><text>东侧消防通道 &lt;A&amp;B&gt;</text></AudioPlay>"
    )


def test_a_restart_does_not_call_twice_for_a_logged_call(engine, receiver, made) -> None:
    r = receiver()
    first = _speakers(engine, made, _target(r))
    _happen(engine, first, "new", _violation())
    assert first.tick(at(60)) == 1
    first.stop()
    again = _speakers(engine, made, _target(r))  # no events: it reads the active violations from the store
    assert again.watched() == {"v1"}
    assert again.tick(at(60)) == 0 and again.tick(at(89)) == 0
    assert again.tick(at(90)) == 1
    assert [c["call"] for c in _calls(engine)] == [2, 1] and len(r.requests) == 2


def test_a_call_interrupted_by_a_stop_is_marked_and_not_repeated(engine, receiver, made) -> None:
    r = receiver()
    _speakers(engine, made, _target(r))
    OutboxSink(engine)(ViolationEvent("new", None, _violation()))
    with Session(engine) as session:  # the process died after logging call 1, before its answer
        speaker_log.begin_call(session, "v1", "东门喇叭", 1, 60.0)
        session.commit()
    again = _speakers(engine, made, _target(r))
    assert again.tick(at(61)) == 0 and r.requests == []
    [call] = _calls(engine)
    assert call["pending"] is False and call["error"] == speaker_log.INTERRUPTED


def test_zones_and_max_calls(engine, receiver, made) -> None:
    r = receiver()
    speakers = _speakers(engine, made, _target(r, zones=["lane-a"], max_calls=2, after_s=0))
    _happen(engine, speakers, "new", _violation("v1", "lane-a"))
    _happen(engine, speakers, "new", _violation("v2", "lane-b"))
    assert speakers.watched() == {"v1"}
    assert [speakers.tick(at(s)) for s in (0, 30, 60, 90)] == [1, 1, 0, 0]
    assert _calls(engine, "v2") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": "http://x/{nope}"}, "unknown placeholder {nope}"),
        ({"json_body": {"a": ["{zone_nam}"]}}, "json_body.a[0]: unknown placeholder"),
        ({"quiet_hours": ["22:00-7:00"]}, "HH:MM-HH:MM"),
        ({"quiet_hours": ["08:00-08:00"]}, "the same"),
        ({"body": "<a/>", "json_body": {}}, "not both"),
        ({"repeat_s": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_settings_are_refused_clearly(changes, message) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("{", r"\{")):
        SpeakerTarget(**{"name": "a", "camera": "c", "url": "http://x/play", **changes})


class _DigestSpeaker:
    """A speaker that wants HTTP digest authentication (RFC 7616, MD5, qop=auth), like ISAPI devices."""

    REALM, NONCE = "IP Speaker", "5f3a9c"

    def __init__(self, username: str, password: str) -> None:
        self.played: list[bytes] = []
        speaker = self

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                header = self.headers.get("Authorization", "")
                parts = dict(re.findall(r'(\w+)="?([^",]+)"?', header.removeprefix("Digest ")))
                ha1 = md5(f"{username}:{speaker.REALM}:{password}")
                ha2 = md5(f"PUT:{parts.get('uri', '')}")
                expected = md5(f"{ha1}:{speaker.NONCE}:{parts.get('nc')}:{parts.get('cnonce')}:auth:{ha2}")
                if header.startswith("Digest ") and parts.get("response") == expected:
                    speaker.played.append(body)
                    self.send_response(200)
                else:
                    self.send_response(401)
                    self.send_header(
                        "WWW-Authenticate", f'Digest realm="{speaker.REALM}", nonce="{speaker.NONCE}", qop="auth"'
                    )
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("password", ["right", "wrong"])
def test_digest_authentication_like_an_isapi_device(engine, made, password) -> None:
    device = _DigestSpeaker("admin", "right")
    try:
        speakers = _speakers(
            engine,
            made,
            {
                "name": "北门音柱",
                "camera": "cam1",
                "method": "PUT",
                "url": f"{device.base}/ISAPI/play",
                "body": "<AudioPlay><audioID>{clip}</audioID></AudioPlay>",
                "clip": "2",
                "auth": {"kind": "digest", "username": "admin", "password": password},
            },
        )
        _happen(engine, speakers, "new", _violation())
        assert speakers.tick(at(60)) == 1
        [call] = _calls(engine)
        if password == "right":
            assert device.played == [b"<AudioPlay><audioID>2</audioID></AudioPlay>"] and call["status"] == 200
        else:
            assert device.played == [] and call["status"] == 401 and call["error"].startswith("HTTP 401")
    finally:
        device.close()
