"""The speaker warning and the group robots end to end on PostgreSQL, through the running service.

`Service` on a real PostgreSQL database (tests/support/postgres.py) with its HTTP API served by uvicorn
on 127.0.0.1: a violation handed to the pipeline's event sinks (what the pipeline does with one) is
stored, its speaker (a real HTTP receiver) is called from the warning time on at the set interval until
the violation ends, and the WeChat Work and DingTalk robots (real receivers, DingTalk signed) each get
the new violation once, in Chinese, with an evidence link that opens without signing in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from datetime import timedelta
from typing import ClassVar
from urllib.parse import unquote_plus

import cv2
import httpx
import numpy as np
import pytest
from sqlmodel import Session

from lanewatch.config import ServiceSettings
from lanewatch.detect.detections import Detections
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.service import Service
from lanewatch.store import speaker_log
from lanewatch.store.tables import CameraRow, ViolationRow, utcnow
from tests.support.outbox_rows import outbox_rows, wait_until
from tests.support.rtsp import free_port
from tests.support.serve import wait_for
from tests.support.webhook_receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
AFTER_S, REPEAT_S = 2.0, 2.0  # the warning time and the interval of the speaker's calls
DING_SECRET = "SECd1n9t4lk-e2e-secret-0123456789abcdef"
VID = "gate-east-0001"


class NoCameraDetector:
    """The service needs a detector; this one is never called (no enabled cameras)."""

    names: ClassVar[dict[int, str]] = {2: "car"}

    def detect(self, images):
        return [Detections.empty() for _ in images]


@pytest.fixture
def postgres_url(request):
    """A fresh PostgreSQL database at the latest schema (the session's template copied)."""
    cluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database(template=request.getfixturevalue("migrated_templates")("postgresql", request))
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture
def receivers():
    speaker = Receiver()
    wecom = Receiver(default_answer={"errcode": 0, "errmsg": "ok"})
    dingtalk = Receiver(default_answer={"errcode": 0, "errmsg": "ok"})
    yield speaker, wecom, dingtalk
    for r in (speaker, wecom, dingtalk):
        r.close()


@pytest.fixture
def served(tmp_path, postgres_url, receivers):
    """The service with speakers and robots configured, its API on a free port (also the messages' public URL)."""
    speaker, wecom, dingtalk = receivers
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = ServiceSettings(
        data_dir=tmp_path,
        database_url=postgres_url,
        speakers=[
            {
                "name": "东门喇叭",
                "camera": "gate",
                "after_s": AFTER_S,
                "repeat_s": REPEAT_S,
                "method": "POST",
                "url": f"{speaker.base}/play",
                "json_body": {"text": "{camera_name}{zone_name}禁止停车", "call": "{call}"},
            }
        ],
        notifications={
            "public_url": base,
            "targets": [
                {"name": "值班群", "kind": "wecom", "url": f"{wecom.base}/cgi-bin/webhook/send?key=K-e2e"},
                {
                    "name": "钉钉群",
                    "kind": "dingtalk",
                    "url": f"{dingtalk.base}/robot/send?access_token=T0K",
                    "secret": DING_SECRET,
                },
            ],
        },
        webhooks={"timeout_s": 5.0, "retry_initial_s": 0.1, "retry_max_s": 0.5},
    )
    import uvicorn

    from lanewatch.api.app import create_app

    service = Service(settings, detector=NoCameraDetector())
    assert service.engine.dialect.name == "postgresql"
    with Session(service.engine) as session:
        session.add(CameraRow(id="gate", name="东门", source_url="rtsp://10.0.0.9/s", enabled=False))
        session.commit()
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    service.start()
    thread.start()
    try:
        assert wait_for(lambda: server.started, 30), "the API did not start"
        yield service
    finally:
        server.should_exit = True
        thread.join(15)
        service.stop()


def _violation(service: Service) -> Violation:
    """A violation that has just begun, with a real JPEG as its evidence in the service's evidence folder."""
    picture = np.zeros((360, 640, 3), np.uint8)
    cv2.rectangle(picture, (200, 250), (320, 340), (0, 0, 255), 3)
    (service.evidence_dir / "gate").mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(service.evidence_dir / "gate" / f"{VID}.jpg"), picture)
    now = utcnow()
    return Violation(
        id=VID,
        camera="gate",
        zone="east",
        zone_name="东侧消防通道",
        label="car",
        start_s=0.0,
        violation_s=30.0,
        last_seen_s=30.0,
        end_s=None,
        started_at=now - timedelta(seconds=30),
        violation_at=now,
        ended_at=None,
        confidence=0.8,
        box=(0.3, 0.7, 0.5, 0.95),
        snapshot=f"gate/{VID}.jpg",
        snapshot_clean=f"gate/{VID}.jpg",
    )


def _send(service: Service, event: ViolationEvent) -> None:
    for sink in service.pipeline.event_sinks:  # what the pipeline does with each violation event
        sink(event)


def _with(v: Violation, **changes) -> Violation:
    return Violation(**{**{f: getattr(v, f) for f in v.__slots__}, **changes})


def test_speaker_calls_at_the_interval_while_it_lasts_and_stop_at_its_end(served, receivers) -> None:
    speaker, _wecom, _dingtalk = receivers
    began = time.monotonic()  # no later than the violation's time, which the calls are counted from
    lasting = _violation(served)
    _send(served, ViolationEvent("new", None, lasting))
    assert wait_for(lambda: len(speaker.requests) >= 3, 40), f"speaker called {len(speaker.requests)} times"
    updated = _with(lasting, last_seen_s=40.0)
    _send(served, ViolationEvent("update", lasting, updated))
    ended = _with(updated, end_s=41.0, ended_at=utcnow())
    _send(served, ViolationEvent("end", updated, ended))

    def settled() -> bool:  # every call begun before the end has come back and is logged
        with Session(served.engine) as session:
            calls = speaker_log.calls(session, VID)
        return all(not (c.after or {}).get("pending") for c in calls) and len(calls) == len(speaker.requests)

    assert wait_for(settled, 20)
    made = len(speaker.requests)
    time.sleep(3 * REPEAT_S)  # past at least two more due calls: none is made for an ended violation
    assert len(speaker.requests) == made
    with Session(served.engine) as session:
        row = session.get(ViolationRow, VID)
        assert row is not None and row.end_s == 41.0
    requests = speaker.requests
    assert all(r["path"] == "/play" and r["json"]["text"] == "东门东侧消防通道禁止停车" for r in requests)
    numbers = [int(r["json"]["call"]) for r in requests]
    assert numbers == sorted(set(numbers)) and numbers[0] == 1, numbers  # each call once, in order
    # Never before its time: after_s, then every repeat_s, counted from the violation (not from the last
    # call, so one call made late on a loaded machine is followed by the next on its own time).
    for r, number in zip(requests, numbers, strict=True):
        assert r["at"] - began >= AFTER_S + (number - 1) * REPEAT_S - 0.2, (number, r["at"] - began)


def test_robots_get_the_new_violation_once_in_chinese_with_a_link_that_opens(served, receivers) -> None:
    _speaker, wecom, dingtalk = receivers
    lasting = _violation(served)
    _send(served, ViolationEvent("new", None, lasting))
    assert wait_for(lambda: wecom.requests and dingtalk.requests, 30), "the robots were not called"
    updated = _with(lasting, last_seen_s=40.0)
    _send(served, ViolationEvent("update", lasting, updated))
    _send(served, ViolationEvent("end", updated, _with(updated, end_s=41.0, ended_at=utcnow())))
    wait_until(lambda: all(r.delivered_at is not None for r in outbox_rows(served.engine)), 30, what="all deliveries")
    time.sleep(1.0)  # a second delivery would have come by now
    [to_wecom], [to_dingtalk] = wecom.requests, dingtalk.requests

    assert to_wecom["path"] == "/cgi-bin/webhook/send" and to_wecom["query"] == {"key": ["K-e2e"]}
    assert to_wecom["json"]["msgtype"] == "markdown"
    wecom_text = to_wecom["json"]["markdown"]["content"]
    assert wecom_text.startswith("**消防通道占用**") and "东门 东侧消防通道" in wecom_text
    assert "\\u" not in to_wecom["raw"].decode()  # UTF-8 Chinese, not escapes

    assert to_dingtalk["query"]["access_token"] == ["T0K"]
    timestamp = to_dingtalk["query"]["timestamp"][0]
    sign = re.search(r"(?:^|&)sign=([^&]+)", to_dingtalk["raw_query"]).group(1)
    expected = hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
    assert unquote_plus(sign) == base64.b64encode(expected).decode()
    body = to_dingtalk["json"]
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "消防通道占用"
    assert "东门 东侧消防通道" in body["markdown"]["text"]

    base = served.settings.notifications.public_url
    for text in (wecom_text, body["markdown"]["text"]):
        [link] = re.findall(re.escape(base) + r"/links/snapshot/[^\s)\]]+", text)
        opened = httpx.get(link, timeout=10)  # no sign-in: the link is the permission
        assert opened.status_code == 200, opened.text
        assert opened.headers["content-type"] == "image/jpeg"
        picture = cv2.imdecode(np.frombuffer(opened.content, np.uint8), cv2.IMREAD_COLOR)
        assert picture is not None and picture.shape == (360, 640, 3)
    assert httpx.get(f"{base}/api/violations/{VID}/snapshot.jpg", timeout=10).status_code == 401  # the API needs one
