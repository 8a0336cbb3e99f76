"""Group robots (WeChat Work, DingTalk, Feishu) and SMS through the webhook outbox, against real HTTP
receivers on 127.0.0.1 that check each vendor's documented body and recompute its signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from lanewatch.alarms.messages import SensorMessage
from lanewatch.alarms.service import AlarmService
from lanewatch.config import AlarmSettings, ServiceSettings, WebhookConfig
from lanewatch.events.robots import build_request
from lanewatch.events.robots.settings import NotificationSettings, NotificationTarget
from lanewatch.events.robots.templates import duration_text, local_time
from lanewatch.events.signature import verify_signature
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.store.alarm_tables import DeviceRow
from lanewatch.store.outbox import OutboxSink, WebhookDispatcher, enqueue, violation_key
from lanewatch.store.robot_targets import Robots
from lanewatch.store.tables import CameraRow
from tests.api.conftest import RecordingBus, app, client, keys, runtime  # noqa: F401  (shared fixtures)
from tests.support.outbox_rows import outbox_rows, wait_until
from tests.support.webhook_receiver import Receiver

START = datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC)  # 17:00 in Shanghai
FAST = WebhookConfig(timeout_s=2.0, retry_initial_s=0.05, retry_max_s=0.2, max_attempts=20)
PUBLIC = "https://lanewatch.example.gov.cn"
DING_SECRET = "SECd1n9t4lk-test-secret-0123456789abcdef"
FEISHU_SECRET = "fe1shu-test-secret"


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def start(answers=None) -> Receiver:
        made.append(Receiver(answers=answers, default_answer={"errcode": 0}))
        return made[-1]

    yield start
    for r in made:
        r.close()


@pytest.fixture
def run_dispatcher():
    started: list[WebhookDispatcher] = []

    def start(engine, robots: Robots) -> WebhookDispatcher:
        started.append(WebhookDispatcher(engine, FAST, poll_s=0.05, robots=robots))
        started[-1].start()
        return started[-1]

    yield start
    for d in started:
        d.stop(timeout=5)


def _violation(vid: str = "v1", zone: str = "lane-a", camera: str = "cam1") -> Violation:
    return Violation(
        id=vid,
        camera=camera,
        zone=zone,
        zone_name="东侧消防通道",
        label="car",
        start_s=0.0,
        violation_s=30.0,
        last_seen_s=125.0,
        end_s=None,
        started_at=START,
        violation_at=START + timedelta(seconds=30),
        ended_at=None,
        confidence=0.8,
        box=(0.1, 0.2, 0.3, 0.4),
        snapshot=f"cam1/{vid}.jpg",
        snapshot_clean=f"cam1/{vid}-clean.jpg",
    )


def _robots(engine, *targets: dict) -> Robots:
    with Session(engine) as session:
        if session.get(CameraRow, "cam1") is None:
            session.add(CameraRow(id="cam1", name="1号楼东门", source_url="rtsp://10.0.0.5/s"))
            session.commit()
    robots = Robots(engine, NotificationSettings(public_url=PUBLIC, targets=[NotificationTarget(**t) for t in targets]))
    robots.ensure()
    return robots


def _all_done(engine) -> bool:
    rows = outbox_rows(engine)
    return bool(rows) and all(r.delivered_at is not None for r in rows)


EXPECTED_TEXT = (
    "消防通道占用：1号楼东门 东侧消防通道，开始于 2026-06-01 17:00:00，已持续 2分05秒。"
    f"证据：{PUBLIC}/api/violations/v1/snapshot.jpg?annotated=1"
)


def test_wecom_gets_one_markdown_message_in_chinese(engine, receiver, run_dispatcher) -> None:
    r = receiver()
    robots = _robots(engine, {"name": "值班群", "kind": "wecom", "url": f"{r.base}/cgi-bin/webhook/send?key=K-123"})
    OutboxSink(engine)(ViolationEvent("new", None, _violation()))
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="wecom delivery")
    [req] = r.requests
    assert req["path"] == "/cgi-bin/webhook/send" and req["query"] == {"key": ["K-123"]}
    assert req["headers"]["Content-Type"].startswith("application/json")
    assert req["json"] == {"msgtype": "markdown", "markdown": {"content": f"**消防通道占用**\n{EXPECTED_TEXT}"}}
    assert "\\u" not in req["raw"].decode()  # UTF-8 Chinese, not escapes


def test_dingtalk_markdown_with_a_signature_dingtalk_would_accept(engine, receiver, run_dispatcher) -> None:
    r = receiver()
    robots = _robots(
        engine,
        {"name": "钉钉群", "kind": "dingtalk", "url": f"{r.base}/robot/send?access_token=T0K", "secret": DING_SECRET},
    )
    OutboxSink(engine)(ViolationEvent("new", None, _violation()))
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="dingtalk delivery")
    [req] = r.requests
    assert req["query"]["access_token"] == ["T0K"]
    timestamp = req["query"]["timestamp"][0]
    assert abs(int(timestamp) - time.time() * 1000) < 60_000  # milliseconds, within DingTalk's hour
    raw_sign = re.search(r"(?:^|&)sign=([^&]+)", req["raw_query"]).group(1)
    expected = base64.b64encode(
        hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert unquote_plus(raw_sign) == expected
    assert "+" not in raw_sign and "/" not in raw_sign and "=" not in raw_sign  # URL-encoded
    body = req["json"]
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "消防通道占用"
    assert EXPECTED_TEXT in body["markdown"]["text"]


@pytest.mark.parametrize("card", [False, True])
def test_feishu_text_or_card_with_its_body_signature(engine, receiver, run_dispatcher, card) -> None:
    r = receiver([(200, {"code": 0, "msg": "success"})])
    robots = _robots(
        engine,
        {
            "name": "飞书群",
            "kind": "feishu",
            "url": f"{r.base}/open-apis/bot/v2/hook/abc",
            "secret": FEISHU_SECRET,
            "card": card,
        },
    )
    OutboxSink(engine)(ViolationEvent("new", None, _violation()))
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="feishu delivery")
    [req] = r.requests
    body = req["json"]
    timestamp = body["timestamp"]
    assert abs(int(timestamp) - time.time()) < 60  # seconds
    key = f"{timestamp}\n{FEISHU_SECRET}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    if card:
        assert body["msg_type"] == "interactive"
        assert body["card"]["header"]["title"]["content"] == "消防通道占用"
        assert body["card"]["elements"][0]["text"]["content"] == EXPECTED_TEXT
    else:
        assert body["msg_type"] == "text" and body["content"] == {"text": f"消防通道占用\n{EXPECTED_TEXT}"}


def test_sms_gateway_request_from_its_template_signed(engine, receiver, run_dispatcher) -> None:
    r = receiver()
    secret = "sms-gateway-secret-0123"
    robots = _robots(
        engine,
        {
            "name": "短信",
            "kind": "sms",
            "url": f"{r.base}/sms/send",
            "secret": secret,
            "sms": {
                "phones": ["13800000001", "13900000002"],
                "body": {"mobile": "{phones}", "msg": "{text}", "sign_name": "消防"},
                "headers": {"X-Api-Key": "k1"},
            },
        },
    )
    OutboxSink(engine)(ViolationEvent("new", None, _violation()))
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="sms delivery")
    [req] = r.requests
    assert req["json"] == {
        "mobile": "13800000001,13900000002",
        "msg": f"【消防通道占用】{EXPECTED_TEXT}",
        "sign_name": "消防",
    }
    assert req["headers"]["X-Api-Key"] == "k1"
    h = req["headers"]
    assert verify_signature(secret, h["X-Lanewatch-Timestamp"], req["raw"], h["X-Lanewatch-Signature"])


def test_an_event_enqueued_twice_is_sent_once_per_target(engine, receiver, run_dispatcher) -> None:
    wecom, ding = receiver(), receiver()
    robots = _robots(
        engine,
        {"name": "a", "kind": "wecom", "url": f"{wecom.base}/send?key=1"},
        {"name": "b", "kind": "dingtalk", "url": f"{ding.base}/send?access_token=2", "secret": DING_SECRET},
    )
    event = ViolationEvent("new", None, _violation())
    sink = OutboxSink(engine)
    sink(event)
    sink(event)  # the pipeline replaying it after a restart
    with Session(engine) as session:  # and someone enqueueing it by hand
        from lanewatch.events.bus import violation_payload

        assert enqueue(session, "violation.new", violation_payload(event), violation_key(event)) == []
        session.commit()
    assert len(outbox_rows(engine)) == 2
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="deliveries")
    robots.ensure()  # a restart re-reads the settings: the same rows, nothing re-queued
    time.sleep(0.3)  # more dispatcher rounds
    assert len(wecom.requests) == 1 and len(ding.requests) == 1
    assert len(outbox_rows(engine)) == 2


def test_a_failing_robot_is_retried_until_it_accepts(engine, receiver, run_dispatcher) -> None:
    # WeChat Work answers refusals (rate limit, bad key) with HTTP 200 and an errcode
    r = receiver([(502, {}), (200, {"errcode": 45009, "errmsg": "api freq out of limit"})])
    robots = _robots(engine, {"name": "值班群", "kind": "wecom", "url": f"{r.base}/send?key=K"})
    OutboxSink(engine)(ViolationEvent("new", None, _violation()))
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="delivery after two failures")
    assert [q["status"] for q in r.requests] == [502, 200, 200]
    assert all(q["json"] == r.requests[0]["json"] for q in r.requests)
    [row] = outbox_rows(engine)
    assert row.attempts == 3 and "45009" in row.last_error


def test_other_zones_cameras_and_alarm_types_are_not_sent(engine, receiver, run_dispatcher) -> None:
    r = receiver()
    robots = _robots(engine, {"name": "A区", "kind": "wecom", "url": f"{r.base}/send?key=K", "zones": ["lane-a"]})
    sink = OutboxSink(engine)
    sink(ViolationEvent("new", None, _violation("v1", zone="lane-b")))
    sink(ViolationEvent("new", None, _violation("v2", zone="lane-a")))
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="both rows settled")
    [req] = r.requests
    assert "v2" in req["json"]["markdown"]["content"]
    skipped = [row for row in outbox_rows(engine) if row.idempotency_key == "v1:new"]
    assert skipped[0].last_error.startswith("skipped: zone lane-b")


def test_a_fire_alarm_reaches_the_robot_once_in_chinese(engine, receiver, run_dispatcher) -> None:
    r = receiver()
    robots = _robots(
        engine, {"name": "消防群", "kind": "wecom", "url": f"{r.base}/send?key=K", "enterprises": ["华强电子厂"]}
    )
    with Session(engine) as session:
        session.add(
            DeviceRow(
                id="smoke-7",
                type="smoke_detector",
                name="2层烟感",
                enterprise="华强电子厂",
                building="3号楼",
                location="2层",
            )
        )
        session.add(DeviceRow(id="smoke-8", type="smoke_detector", enterprise="别的公司"))
        session.add(DeviceRow(id="smoke-9", type="smoke_detector", enterprise="华强电子厂"))
        session.commit()
    alarms = AlarmService(engine, RecordingBus(), AlarmSettings())
    at = datetime(2026, 6, 1, 1, 30, tzinfo=UTC)
    fire = SensorMessage(device_id="smoke-7", kind="alarm", alarm_type="fire")
    alarms.submit([fire], at)
    alarms.submit([fire], at + timedelta(seconds=5))  # a repeat: the same alarm, no new message
    other = SensorMessage(device_id="smoke-8", kind="alarm", alarm_type="fire")
    fault = SensorMessage(device_id="smoke-9", kind="alarm", alarm_type="fault")
    alarms.submit([other, fault], at)
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="alarm deliveries")
    [req] = r.requests
    content = req["json"]["markdown"]["content"]
    assert content.startswith(
        "**火警**\n火警：华强电子厂 3号楼 2层 2层烟感（火灾报警），报警时间 2026-06-01 09:30:00。"
    )


def test_the_snapshot_link_opens_the_evidence_picture(client, keys, runtime) -> None:  # noqa: F811
    from lanewatch.store.tables import ViolationRow

    with Session(runtime.engine) as session:
        row = session.exec(select(ViolationRow)).first()
        payload = {
            "after": {
                "id": row.id,
                "camera": row.camera,
                "zone": row.zone,
                "zone_name": None,
                "label": "car",
                "started_at": START.isoformat(),
                "dwell_s": 40.0,
                "snapshot": row.snapshot,
            }
        }
    target = NotificationTarget(name="t", kind="wecom", url="http://127.0.0.1:9/send?key=K")
    request = build_request(target, "violation.new", payload, public_url="http://testserver")
    link = re.search(r"证据：(\S+)", json.loads(request.body)["markdown"]["content"]).group(1)
    assert link.startswith("http://testserver/api/violations/")
    answer = client.get(link, headers=keys.headers("viewer"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    assert answer.content[:2] == b"\xff\xd8"


def test_without_a_public_address_or_snapshot_there_is_no_link() -> None:
    target = NotificationTarget(name="t", kind="wecom", url="http://127.0.0.1:9/send?key=K")
    payload = {"after": {"id": "v1", "camera": "c", "zone": "z", "started_at": START.isoformat(), "dwell_s": 5}}
    text = json.loads(build_request(target, "violation.new", payload, public_url=PUBLIC).body)["markdown"]["content"]
    assert "证据：" in text and "http" not in text


def test_user_templates_and_their_errors() -> None:
    target = NotificationTarget(
        name="t", kind="wecom", url="http://x/send", templates={"violation.new": "占道 {zone_name} {duration}"}
    )
    payload = {"after": {"id": "v1", "camera": "c", "zone": "z", "zone_name": "北门", "dwell_s": 3725}}
    assert json.loads(build_request(target, "violation.new", payload).body)["markdown"]["content"].endswith(
        "占道 北门 1小时02分"
    )
    with pytest.raises(ValidationError, match=r"unknown placeholder \{plate\}.*\{camera_name\}"):
        NotificationTarget(name="t", kind="wecom", url="http://x/", templates={"violation.new": "{plate}"})
    with pytest.raises(ValidationError, match="`sms` settings are required"):
        NotificationTarget(name="t", kind="sms", url="http://x/")
    with pytest.raises(ValidationError, match=r"unknown placeholder \{to\}"):
        NotificationTarget(name="t", kind="sms", url="http://x/", sms={"phones": ["1"], "body": {"a": "{to}"}})
    with pytest.raises(ValidationError, match="kind"):
        NotificationTarget(name="t", kind="wechat", url="http://x/")
    with pytest.raises(ValidationError, match="unique"):
        NotificationSettings(targets=[{"name": "a", "kind": "wecom", "url": "http://x/"}] * 2)


def test_settings_take_notifications_from_yaml_keys() -> None:
    settings = ServiceSettings(
        notifications={
            "public_url": PUBLIC,
            "targets": [{"name": "群", "kind": "feishu", "url": "https://open.feishu.cn/h/1"}],
        }
    )
    assert settings.notifications.targets[0].events == ["violation.new", "alarm.new", "camera.moved"]
    with pytest.raises(ValidationError):
        ServiceSettings(notifications={"targets": [{"name": "群", "kind": "feishu", "url": "x", "colour": "red"}]})


@pytest.mark.parametrize(("seconds", "text"), [(0, "0秒"), (59.6, "1分00秒"), (125, "2分05秒"), (3600, "1小时00分")])
def test_chinese_durations(seconds, text) -> None:
    assert duration_text(seconds) == text


def test_times_are_shown_in_shanghai_and_naive_times_refused() -> None:
    assert local_time("2026-12-31T16:30:00+00:00") == "2027-01-01 00:30:00"  # the default time zone
    with pytest.raises(ValueError, match="without a timezone"):
        local_time("2026-12-31T16:30:00")


def test_messages_follow_the_configured_language_and_time_zone() -> None:
    from lanewatch.events.robots.templates import DEFAULT_TEMPLATES, TITLES
    from lanewatch.words import configure

    try:
        configure("en", "UTC")
        assert TITLES["alarm.new"] == "Fire alarm" and DEFAULT_TEMPLATES["violation.new"].startswith(
            "Fire lane blocked"
        )
        assert local_time("2026-12-31T16:30:00+00:00") == "2026-12-31 16:30:00" and duration_text(125) == "2 min 05 s"
    finally:
        configure("zh-CN", "Asia/Shanghai")
    assert TITLES["alarm.new"] == "火警" and DEFAULT_TEMPLATES["alarm.new"].startswith("火警：")


def test_a_messages_snapshot_link_is_signed_so_the_group_opens_it_without_an_account(
    engine, receiver, run_dispatcher
) -> None:
    from lanewatch.events.links import LinkSigner

    r = receiver()
    signer = LinkSigner(b"x" * 64, valid_s=72 * 3600)
    robots = _robots(engine, {"name": "值班群", "kind": "wecom", "url": f"{r.base}/cgi-bin/webhook/send?key=K"})
    robots.links = signer
    sent_at = time.time()
    OutboxSink(engine)(ViolationEvent("new", None, _violation()))
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="wecom delivery")
    [req] = r.requests
    content = req["json"]["markdown"]["content"]
    [link] = re.findall(rf"{re.escape(PUBLIC)}(/links/snapshot/v1\.jpg\?exp=(\d+)&sig=([0-9a-f]{{64}}))", content)
    _path, exp, sig = link
    assert signer.check("v1", int(exp), sig) is None  # the server this link points at opens it
    assert 72 * 3600 - 60 <= int(exp) - sent_at <= 72 * 3600 + 60  # for the configured 72 h
    assert "/api/violations/" not in content


def test_a_target_of_an_organisation_gets_only_its_subtree(engine, receiver, run_dispatcher) -> None:
    from tests.support.org_tree import add_orgs

    r = receiver()
    with Session(engine) as session:
        pks = add_orgs(
            session,
            [
                ("jd-east", "东街道", "street", "district"),
                ("sq-willow", "柳树社区", "community", "jd-east"),
                ("jd-west", "西街道", "street", "district"),
                ("sq-pine", "松树社区", "community", "jd-west"),
            ],
        )
        session.add(CameraRow(id="cam1", name="柳树东门", source_url="rtsp://10.0.0.5/s", org_pk=pks["sq-willow"]))
        session.add(CameraRow(id="cam2", name="松树北门", source_url="rtsp://10.0.0.6/s", org_pk=pks["sq-pine"]))
        session.commit()
    robots = _robots(
        engine, {"name": "东街道值班群", "kind": "wecom", "url": f"{r.base}/send?key=K", "organisation": "jd-east"}
    )
    sink = OutboxSink(engine)
    sink(ViolationEvent("new", None, _violation("v1", camera="cam1")))
    sink(ViolationEvent("new", None, _violation("v2", camera="cam2")))  # the other street's community
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="the street's delivery")
    [req] = r.requests
    assert "柳树东门" in req["json"]["markdown"]["content"]
    assert [row.idempotency_key for row in outbox_rows(engine)] == ["v1:new"]  # v2 never queued for it


def test_a_target_naming_an_unknown_organisation_is_refused_in_words(engine) -> None:
    with pytest.raises(ValueError, match="组织编码 jd-nowhere 不存在"):
        _robots(
            engine,
            {"name": "错配群", "kind": "wecom", "url": "https://qyapi.example/send", "organisation": "jd-nowhere"},
        )
