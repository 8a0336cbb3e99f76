"""Group-robot (WeChat Work, DingTalk, Feishu) and SMS-gateway notifications of new violations and fire alarms.

One small module per vendor builds its documented request; `build_request` picks it and
`response_error` reads the vendor's answer (they report refusals as HTTP 200 with an error code).
Delivery is the webhook outbox's (`lanewatch.store.outbox`): see `lanewatch.store.robot_targets`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from lanewatch.events.links import LinkSigner
from lanewatch.events.robots import dingtalk, feishu, sms, wecom
from lanewatch.events.robots.settings import NotificationSettings, NotificationTarget
from lanewatch.events.robots.templates import TITLES, fields, render
from lanewatch.events.signature import sign

__all__ = ["NotificationSettings", "NotificationTarget", "RobotRequest", "build_request", "response_error"]


@dataclass(frozen=True, slots=True)
class RobotRequest:
    """One HTTP POST to a robot or gateway."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def message(
    target: NotificationTarget,
    event_type: str,
    payload: dict[str, Any],
    *,
    public_url: str | None,
    camera_name: str | None,
    links: LinkSigner | None = None,
) -> tuple[str, str]:
    """(title, text) of an event for one target, from its template."""
    values = fields(event_type, payload, public_url=public_url, camera_name=camera_name, links=links)
    return TITLES[event_type], render(target.template(event_type), values)


def build_request(
    target: NotificationTarget,
    event_type: str,
    payload: dict[str, Any],
    *,
    public_url: str | None = None,
    camera_name: str | None = None,
    now: float | None = None,
    links: LinkSigner | None = None,
) -> RobotRequest:
    """The vendor's request for one event; signatures are made for `now` (default: the clock)."""
    now = time.time() if now is None else now
    title, text = message(target, event_type, payload, public_url=public_url, camera_name=camera_name, links=links)
    secret = target.secret.get_secret_value() if target.secret is not None else None
    url, headers = target.url, {"Content-Type": "application/json; charset=utf-8"}
    if target.kind == "wecom":
        data = wecom.body(title, text)
    elif target.kind == "dingtalk":
        data = dingtalk.body(title, text)
        url = dingtalk.signed_url(url, secret, int(now * 1000))
    elif target.kind == "feishu":
        data = feishu.body(title, text, secret=secret, timestamp_s=int(now), card=target.card)
    else:
        assert target.sms is not None  # the settings guarantee it
        data = sms.body(target.sms, title, text)
        headers.update(target.sms.headers)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if target.kind == "sms" and secret:
        timestamp = str(int(now))
        headers.update({"X-Lanewatch-Timestamp": timestamp, "X-Lanewatch-Signature": sign(secret, timestamp, body)})
    return RobotRequest(url=url, body=body, headers=headers)


def response_error(kind: str, status: int, text: str) -> str | None:
    """None if the vendor accepted the message, else why not (retried by the outbox)."""
    if not 200 <= status < 300:
        return f"HTTP {status}: {text[:200]}"
    if kind == "sms":
        return None
    try:
        answer = json.loads(text)
    except ValueError:
        return f"{kind}: answer is not JSON: {text[:200]}"
    if not isinstance(answer, dict):
        return f"{kind}: unexpected answer: {text[:200]}"
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, None):
        msg = answer.get("errmsg", answer.get("msg", answer.get("StatusMessage", "")))
        return f"{kind} refused it: code {code}: {msg}"[:2000]
    return None
