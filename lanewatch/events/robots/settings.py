"""Settings of the group-robot and SMS notification targets (``notifications`` in the service settings).

Kept apart from `lanewatch.config` so the robot formatters import nothing of the service; the
service settings embed `NotificationSettings`.
"""

from __future__ import annotations

import string
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from lanewatch.events.robots.templates import DEFAULT_TEMPLATES, SAMPLE_FIELDS, TEMPLATE_FIELDS

RobotKind = Literal["wecom", "dingtalk", "feishu", "sms"]
NotifiedEvent = Literal["violation.new", "alarm.new", "camera.moved"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SmsGateway(_Strict):
    """How one SMS gateway wants its HTTP request; string values are templates over ``{text}`` and ``{phones}``."""

    phones: list[str] = Field(
        min_length=1, max_length=100, title="Phone numbers", description="Joined with commas into {phones}."
    )
    body: dict[str, Any] = Field(
        default_factory=lambda: {"phones": "{phones}", "content": "{text}"},
        title="JSON body template",
        description="Sent as JSON; every string value is filled in ({text}, {phones}), other values sent as is.",
    )
    headers: dict[str, str] = Field(default_factory=dict, title="Extra request headers (e.g. an API key)")

    @model_validator(mode="after")
    def _placeholders_known(self) -> SmsGateway:
        for key, value in self.body.items():
            if isinstance(value, str):
                for _, name, _, _ in string.Formatter().parse(value):
                    if name is not None and name not in ("text", "phones"):
                        raise ValueError(f"sms body {key!r}: unknown placeholder {{{name}}} (use {{text}}, {{phones}})")
        return self


class NotificationTarget(_Strict):
    """One group robot or SMS gateway, and which events of which cameras, zones and enterprises it gets."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\n]+$", title="Name", description="'值班群'.")
    kind: RobotKind = Field(title="Kind", description="wecom (企业微信), dingtalk (钉钉), feishu (飞书), sms.")
    url: str = Field(
        min_length=1,
        max_length=2000,
        pattern=r"^https?://\S+$",
        title="Webhook URL",
        description="The robot's webhook with its key / access_token, or the SMS gateway's endpoint.",
    )
    secret: SecretStr | None = Field(
        None,
        max_length=200,
        title="Signing secret",
        description="dingtalk: the SEC… 加签 secret; feishu: the 签名校验 secret; sms: signs X-Lanewatch-Signature. "
        "wecom robots are not signed (the key is in the URL).",
    )
    events: list[NotifiedEvent] = Field(
        default_factory=lambda: list[NotifiedEvent](["violation.new", "alarm.new", "camera.moved"]),
        min_length=1,
        title="Events sent",
        description="camera.moved: the camera's view shifted; the property manager must redraw or confirm its zones.",
    )
    cameras: list[str] = Field(default_factory=list, title="Only these cameras", description="Empty: every camera.")
    zones: list[str] = Field(default_factory=list, title="Only these zone ids", description="Empty: every zone.")
    enterprises: list[str] = Field(
        default_factory=list, title="Only alarms of these enterprises", description="Empty: every enterprise."
    )
    organisation: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        title="Only events of this organisation",
        description="An organisation's code (a street, a community, an enterprise): the target then gets only the "
        "events of cameras and devices in it or below it, as that organisation's own webhooks do. Empty: all.",
    )
    alarm_types: list[str] = Field(default_factory=lambda: ["fire"], title="Alarm types sent")
    include_test_alarms: bool = Field(False, title="Also send alarms a device reported in test mode")
    templates: dict[NotifiedEvent, str] = Field(
        default_factory=dict,
        title="Message templates",
        description="Per event, replacing the Chinese default; placeholders in braces, e.g. {camera_name}.",
    )
    card: bool = Field(False, title="Feishu: send an interactive card instead of text")
    sms: SmsGateway | None = Field(None, title="SMS gateway request (kind sms only)")

    @model_validator(mode="after")
    def _consistent(self) -> NotificationTarget:
        if (self.kind == "sms") != (self.sms is not None):
            raise ValueError("`sms` settings are required for kind sms and only allowed there")
        if self.kind == "dingtalk" and self.secret is not None and not self.secret.get_secret_value():
            raise ValueError("dingtalk secret is empty")
        for event, template in self.templates.items():
            for _, name, _, _ in string.Formatter().parse(template):
                if name is not None and name not in TEMPLATE_FIELDS[event]:
                    known = ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS[event])
                    raise ValueError(f"template {event}: unknown placeholder {{{name}}}; known: {known}")
            template.format_map(SAMPLE_FIELDS[event])  # format errors ("{:x}" on text) surface now
        return self

    def template(self, event: str) -> str:
        return self.templates.get(event) or DEFAULT_TEMPLATES[event]  # type: ignore[call-overload]


class NotificationSettings(_Strict):
    """Group robots and SMS; each new violation, fire alarm or moved camera is sent once to each matching target."""

    public_url: str | None = Field(
        None,
        pattern=r"^https?://\S+[^/]$",
        title="Public address of this lanewatch",
        description="Base of the snapshot links in messages, e.g. https://lanewatch.example.gov.cn; "
        "None: messages carry no link.",
    )
    link_valid_hours: float = Field(
        72.0,
        gt=0,
        le=24 * 365,
        title="Evidence links valid for (h)",
        description="A message's snapshot link opens the picture without signing in (the people in a chat group "
        "have no account), signed by the server, until this many hours after it was sent.",
    )
    targets: list[NotificationTarget] = Field(default_factory=list, max_length=50, title="Targets")

    @model_validator(mode="after")
    def _unique_names(self) -> NotificationSettings:
        names = [t.name for t in self.targets]
        if len(names) != len(set(names)):
            raise ValueError("notification target names must be unique")
        return self
