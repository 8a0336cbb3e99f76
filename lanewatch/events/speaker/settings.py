"""Settings of the lanes' IP speakers (``speakers:`` in the service settings): when to call, and the HTTP request.

Kept apart from `lanewatch.config` (like the robots' settings) so the request builder imports nothing
of the service. The request is a template, not vendor code: the README shows the common forms
(a "play clip N" GET, a Hikvision ISAPI-style PUT with an XML body, a JSON POST to a gateway).
"""

from __future__ import annotations

import re
import string
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

SPEAKER_FIELDS: tuple[str, ...] = (
    "id",
    "camera",
    "camera_name",
    "zone",
    "zone_name",
    "label",
    "start",
    "duration",
    "duration_s",
    "call",
    "clip",
    "target",
)
"""Placeholders of the speaker request templates (url, headers, body, json_body)."""

_QUIET = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def quiet_window(text: str) -> tuple[time, time]:
    """``"22:00-07:00"`` → (22:00, 07:00); a window may cross midnight, its two ends must differ."""
    match = _QUIET.match(text)
    if match is None:
        raise ValueError(f"quiet hours {text!r}: write HH:MM-HH:MM, e.g. 22:00-07:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = time(h1, m1), time(h2, m2)
    if start == end:
        raise ValueError(f"quiet hours {text!r}: start and end are the same")
    return start, end


def _check_placeholders(where: str, template: str) -> None:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc} (write a literal brace as {{{{ or }}}})") from None
    for _, name, _, _ in parsed:
        if name is not None and name not in SPEAKER_FIELDS:
            known = ", ".join("{" + f + "}" for f in SPEAKER_FIELDS)
            raise ValueError(f"{where}: unknown placeholder {{{name}}}; known: {known}")
    template.format_map(dict.fromkeys(SPEAKER_FIELDS, "x"))  # format errors ("{id:x}") surface now


def _strings(value: Any, where: str) -> list[tuple[str, str]]:
    """Every string inside a JSON template, with where it is."""
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _strings(v, f"{where}[{i}]")]
    return []


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SpeakerAuth(_Strict):
    """HTTP authentication of the speaker (Hikvision ISAPI devices want digest)."""

    kind: Literal["basic", "digest"] = Field("digest", title="Scheme", description="basic or digest.")
    username: str = Field(min_length=1, max_length=200, title="User name")
    password: SecretStr = Field(max_length=200, title="Password")


class SpeakerTarget(_Strict):
    """One lane speaker: which violations it warns about, when, and the HTTP request that plays the clip."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\n]+$", title="Name", description="'东门喇叭'.")
    camera: str = Field(min_length=1, max_length=100, title="Camera id", description="The camera over the lane.")
    zones: list[str] = Field(
        default_factory=list, title="Zone ids", description="Only violations in these zones; empty: all its zones."
    )
    after_s: float = Field(
        60.0,
        ge=0,
        le=24 * 3600,
        title="First call after (s)",
        description="Call once the violation has lasted this long since it became a violation.",
    )
    repeat_s: float = Field(
        60.0, ge=1, le=24 * 3600, title="Repeat every (s)", description="Call again every N s while it lasts."
    )
    max_calls: int | None = Field(
        None, ge=1, le=1000, title="At most this many calls", description="Per violation; None: no limit."
    )
    quiet_hours: list[str] = Field(
        default_factory=list,
        max_length=10,
        title="Quiet hours",
        description="Windows like '22:00-07:00' in the deployment's time zone (`time_zone`); no call then.",
    )
    clip: str = Field("", max_length=500, title="Clip", description="Fills {clip}: the clip number or file name.")
    method: Literal["GET", "POST", "PUT"] = Field("GET", title="HTTP method")
    url: str = Field(
        min_length=1,
        max_length=2000,
        pattern=r"^https?://\S+$",
        title="URL template",
        description="Placeholders in braces, e.g. http://10.0.0.9/api/play?clip={clip}; values are URL-encoded.",
    )
    headers: dict[str, str] = Field(
        default_factory=dict, title="Header templates", description="Extra request headers, placeholders allowed."
    )
    body: str | None = Field(
        None, max_length=20_000, title="Body template", description="Sent as is after filling in (XML, form, text)."
    )
    body_escape: Literal["none", "xml"] = Field(
        "none", title="Escape body values", description="xml: <, > and & in the values are escaped (an XML body)."
    )
    json_body: dict[str, Any] | None = Field(
        None, title="JSON body template", description="Sent as JSON; every string value in it is filled in."
    )
    auth: SpeakerAuth | None = Field(None, title="Authentication")
    timeout_s: float = Field(5.0, gt=0, le=60, title="Request timeout (s)")

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_windows(cls, value: list[str]) -> list[str]:
        for window in value:
            quiet_window(window)
        return value

    @model_validator(mode="after")
    def _templates(self) -> SpeakerTarget:
        if self.body is not None and self.json_body is not None:
            raise ValueError("give `body` or `json_body`, not both")
        _check_placeholders("url", self.url)
        for key, value in self.headers.items():
            _check_placeholders(f"header {key}", value)
        if self.body is not None:
            _check_placeholders("body", self.body)
        for where, value in _strings(self.json_body, "json_body"):
            _check_placeholders(where, value)
        return self

    def windows(self) -> list[tuple[time, time]]:
        return [quiet_window(w) for w in self.quiet_hours]


def _unique_names(targets: list[SpeakerTarget]) -> list[SpeakerTarget]:
    names = [t.name for t in targets]
    if len(names) != len(set(names)):
        raise ValueError("speaker names must be unique (the call log names them)")
    return targets


SpeakerTargets = Annotated[list[SpeakerTarget], AfterValidator(_unique_names)]
