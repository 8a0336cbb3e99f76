"""`lanewatch serve` settings: the top-level ``ServiceSettings`` (defaults < YAML file < ``LANEWATCH_*``
environment), sign-in, and ``load_settings`` that reads them with errors naming the file and field."""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

from lanewatch.config.alarms import AlarmSettings, WebhookConfig
from lanewatch.config.base import StrictModel, TimeZoneName
from lanewatch.config.cameras import PictureHealthConfig
from lanewatch.config.detection import DetectorConfig, LookConfig, TrackerConfig
from lanewatch.config.links import CentreConfig, UplinkConfig
from lanewatch.events.robots.settings import NotificationSettings
from lanewatch.events.speaker.settings import SpeakerTargets
from lanewatch.words.times import DEFAULT_TIME_ZONE


class SignInSettings(StrictModel):
    """How long a person's sign-in lasts and when its cookie is marked Secure."""

    idle_hours: float = Field(
        12.0, gt=0, le=24 * 31, title="Signed out after idle (h)", description="A sign-in unused this long ends."
    )
    absolute_days: float = Field(
        7.0, gt=0, le=366, title="Signed out after (days)", description="A sign-in ends this long after it began."
    )
    trust_forwarded_proto: bool = Field(
        False,
        title="Trust X-Forwarded-Proto",
        description="Behind a reverse proxy that ends HTTPS: its X-Forwarded-Proto: https marks the cookie Secure, "
        "and the last X-Forwarded-For entry (the one it adds) is the address sign-in failures are counted for.",
    )


class ServiceSettings(BaseSettings):
    """`lanewatch serve`: defaults < the YAML file (``--config``) < ``LANEWATCH_*`` environment variables.

    Nested settings take a double underscore in the environment:
    ``LANEWATCH_DETECTOR__IMGSZ=1280``, ``LANEWATCH_LOOKS__REFRESH_S=60``.
    """

    model_config = SettingsConfigDict(env_prefix="LANEWATCH_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Field(
        Path("data"),
        title="Data directory",
        description="Holds the embedded SQLite database and the evidence snapshots.",
    )
    database_url: str | None = Field(
        None,
        title="Database URL",
        description="sqlite:///path or postgresql://user:pw@host/db; default: SQLite in the data directory.",
    )
    host: str = Field("127.0.0.1", title="Listen address")
    port: int = Field(8080, ge=0, le=65535, title="Listen port")
    max_body_bytes: int = Field(1_000_000, ge=1024, title="Largest accepted request body (bytes)")
    concurrent_requests: int = Field(
        24,
        ge=1,
        le=32,
        title="Requests served at once",
        description="More wait their turn. At most 32: the database pool holds 40 connections per process "
        "(PostgreSQL; SQLite 60), and the rest are kept for ingest, alarm escalation and webhook deliveries.",
    )
    queued_reads: int = Field(
        200,
        ge=0,
        le=100_000,
        title="Reads that may wait",
        description="GET requests waiting for a place beyond this are answered 503 with Retry-After at once, "
        "so under overload the answers that are given stay prompt. Writes and live streams always wait.",
    )
    read_wait_s: float = Field(
        5.0,
        gt=0,
        le=600,
        title="Longest wait of a read (s)",
        description="A GET request that waited this long for a place is answered 503 with Retry-After.",
    )
    language: Literal["zh-CN", "en"] = Field(
        "zh-CN",
        title="Language",
        description="Default language of evidence stamps, reports, CSV headings, notifications and error "
        "messages. The pages follow a person's setting, else the browser's languages, else zh-CN.",
    )
    time_zone: TimeZoneName = Field(
        DEFAULT_TIME_ZONE,
        title="Time zone",
        description="IANA time zone of the deployment (Asia/Shanghai, UTC, ...): evidence stamps, reports, CSV "
        "and notifications show times in it, with the offset.",
    )
    demo_source: str | None = Field(
        None,
        title="Demo camera source",
        description="With an empty database, add a demo camera reading this file or URL.",
    )
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    looks: LookConfig = Field(default_factory=LookConfig)
    picture: PictureHealthConfig = Field(
        default_factory=PictureHealthConfig,
        title="Picture health of every camera",
        description="When a camera's picture counts as covered, dark, blurred or moved.",
    )
    webhooks: WebhookConfig = Field(default_factory=WebhookConfig)
    notifications: NotificationSettings = Field(
        default_factory=NotificationSettings,
        title="Group robots and SMS",
        description="WeChat Work, DingTalk, Feishu robots and SMS gateways told of new violations and fire alarms.",
    )
    speakers: SpeakerTargets = Field(
        default_factory=list,
        max_length=200,
        title="Lane speakers (on-site warning)",
        description="IP speakers called to play a clip while a violation in their camera's zones lasts.",
    )
    alarms: AlarmSettings = Field(default_factory=AlarmSettings)
    sign_in: SignInSettings = Field(
        default_factory=SignInSettings, title="Sign-in", description="People's sign-in sessions (cookie)."
    )
    uplink: UplinkConfig = Field(
        default_factory=UplinkConfig,
        title="Edge: uplink to a centre",
        description="Forward this site's violations, camera health and alarms to the centre over MQTT.",
    )
    centre: CentreConfig = Field(
        default_factory=CentreConfig,
        title="Centre: ingest from the sites",
        description="Take the sites' records from the MQTT broker into this database.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment over the YAML file over defaults (the file comes from `load_settings`)."""
        yaml_file = _YAML_FILE.get()
        sources = [env_settings]
        if yaml_file is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file))
        return (init_settings, *sources)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lanewatch.db').resolve()}"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"


_YAML_FILE: ContextVar[Path | None] = ContextVar("lanewatch_yaml_file", default=None)


def load_settings(path: Path | None = None) -> ServiceSettings:
    """Read the settings; a bad file or variable raises ValueError naming the file/variable and the field."""
    from pydantic import ValidationError

    if path is not None:
        if not Path(path).is_file():
            raise ValueError(f"config file not found: {path}")
        try:
            loaded = yaml.safe_load(Path(path).read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"cannot read config {path}: {exc}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ValueError(f"config {path}: expected a mapping at the top level")
    token = _YAML_FILE.set(Path(path) if path is not None else None)
    try:
        return ServiceSettings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"config {path or '(environment)'} / LANEWATCH_* variables: {problems}") from None
    finally:
        _YAML_FILE.reset(token)
