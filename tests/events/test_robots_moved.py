"""A camera whose view moved is announced once to the group robots and SMS targets of that camera,
through the outbox, against the real HTTP receiver: the property manager must redraw or confirm its zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from lanewatch.events.robots import build_request
from lanewatch.events.robots.settings import NotificationTarget
from lanewatch.store.outbox import OutboxSink
from lanewatch.store.tables import ZoneRow
from lanewatch.video.health import HealthEvent, SourceState
from tests.events.test_robots import PUBLIC, _all_done, _robots, receiver, run_dispatcher  # noqa: F401
from tests.support.outbox_rows import outbox_rows, wait_until

AT = datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC)  # 17:00 in Shanghai
DETAIL = (
    "the view shifted by 12% of its width (48 features): its violations are unreliable; "
    "redraw or confirm the zones in the zone editor"
)
EXPECTED = (
    "**摄像头画面移位**\n摄像头画面移位：1号楼东门，发现于 2026-06-01 17:00:00。估计偏移约为画面宽度的12%。"
    "移位期间该摄像头的占用判断不可靠，请物业在区域编辑器中重新绘制或确认车道区域："
    f"{PUBLIC}/editor?camera=cam1"
)


def _moved(camera: str = "cam1", detail: str = DETAIL) -> HealthEvent:
    return HealthEvent(camera=camera, state=SourceState.MOVED, at=AT, detail=detail, offset_s=300.0)


def _contents(r) -> list[str]:
    return [req["json"]["markdown"]["content"] for req in r.requests]


def test_a_moved_camera_is_announced_once_in_chinese(engine, receiver, run_dispatcher) -> None:  # noqa: F811
    r = receiver()
    robots = _robots(engine, {"name": "物业群", "kind": "wecom", "url": f"{r.base}/send?key=K"})
    sink = OutboxSink(engine)
    sink.health(_moved())
    sink.health(_moved())  # the same health event again (a replay): nothing new
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="moved message")
    assert _contents(r) == [EXPECTED]
    assert "\\u" not in r.requests[0]["raw"].decode()
    assert len(outbox_rows(engine)) == 1


def test_a_moved_camera_goes_only_to_its_own_targets(engine, receiver, run_dispatcher) -> None:  # noqa: F811
    ours, theirs, by_zone = receiver(), receiver(), receiver()
    robots = _robots(
        engine,
        {"name": "本小区", "kind": "wecom", "url": f"{ours.base}/send?key=A", "cameras": ["cam1"]},
        {"name": "别的小区", "kind": "wecom", "url": f"{theirs.base}/send?key=B", "cameras": ["cam9"]},
        {"name": "B区", "kind": "wecom", "url": f"{by_zone.base}/send?key=C", "zones": ["lane-b"]},
    )
    with Session(engine) as session:
        session.add(
            ZoneRow(
                camera_id="cam1",
                zone_id="lane-a",
                name="东侧消防通道",
                polygon=[[0, 0], [1, 0], [1, 1]],
                dwell_seconds=30,
                exit_grace_seconds=5,
                classes=["car"],
                anchor="bottom_center",
            )
        )
        session.commit()
    OutboxSink(engine).health(_moved())
    run_dispatcher(engine, robots)
    wait_until(lambda: _all_done(engine), what="moved rows settled")
    assert _contents(ours) == [EXPECTED]
    assert theirs.requests == [] and by_zone.requests == []
    errors = sorted(row.last_error or "" for row in outbox_rows(engine))
    assert errors[1:] == [
        "skipped: camera cam1 is not sent to 别的小区",
        "skipped: no zone of camera cam1 is sent to B区",
    ]


def test_other_health_states_and_unsubscribed_targets_get_nothing(engine, receiver) -> None:  # noqa: F811
    r = receiver()
    _robots(engine, {"name": "违章群", "kind": "wecom", "url": f"{r.base}/send?key=K", "events": ["violation.new"]})
    sink = OutboxSink(engine)
    sink.health(_moved())
    sink.health(HealthEvent(camera="cam1", state=SourceState.OFFLINE, at=AT, detail="no frames"))
    assert outbox_rows(engine) == []  # neither event is queued for a target that does not take it
    assert r.requests == []


def test_without_an_estimate_or_public_address_the_text_stays_clean() -> None:
    target = NotificationTarget(name="短信", kind="sms", url="https://sms.example.com/send", sms={"phones": ["1"]})
    payload = {"type": "camera.moved", "camera": "cam 2", "at": AT.isoformat(), "detail": "view moved"}
    text = build_request(target, "camera.moved", payload, camera_name="南门", now=0).body.decode()
    assert "摄像头画面移位：南门，发现于 2026-06-01 17:00:00。移位期间" in text
    assert "偏移约" not in text and "editor" not in text
    linked = build_request(target, "camera.moved", payload, public_url=PUBLIC, now=0).body.decode()
    assert f"{PUBLIC}/editor?camera=cam%202" in linked and "cam 2，发现于" in linked


def test_the_moved_template_is_editable_and_checked() -> None:
    target = NotificationTarget(
        name="群",
        kind="wecom",
        url="https://qyapi.weixin.qq.com/send?key=K",
        templates={"camera.moved": "{camera_name} 移位了，{shift}请重画：{editor_url}"},
    )
    payload = {"type": "camera.moved", "camera": "cam1", "at": AT.isoformat(), "detail": DETAIL}
    body = build_request(target, "camera.moved", payload, public_url=PUBLIC, camera_name="东门", now=0).body.decode()
    assert f"东门 移位了，估计偏移约为画面宽度的12%。请重画：{PUBLIC}/editor?camera=cam1" in body
    with pytest.raises(ValidationError, match=r"unknown placeholder \{zone_name\}.*\{editor_url\}"):
        NotificationTarget(
            name="群", kind="wecom", url="https://x.example/s", templates={"camera.moved": "{zone_name}"}
        )
