"""Pydantic models for every setting, one source for CLI, API, docs and forms.

Every model is strict (``extra="forbid"``) so a typo in a config file is an
error, not a silently ignored option. Stages import their settings from
here; this module imports no stage.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

from lanewatch.events.robots.settings import NotificationSettings
from lanewatch.events.speaker.settings import SpeakerTargets
from lanewatch.words.times import DEFAULT_TIME_ZONE, time_zone_named


def _known_time_zone(name: str) -> str:
    time_zone_named(name)  # raises a ValueError naming the zone and giving examples
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_time_zone)]


class StrictModel(BaseModel):
    """Base for all settings: unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid")


class PictureHealthConfig(StrictModel):
    """When a camera's picture counts as covered, dark, blurred or moved (``video.picture_health``)."""

    enabled: bool = Field(True, title="Judge the picture", description="Off: only offline and frozen are reported.")
    every_s: float = Field(
        2.0, ge=0, le=600, title="Judge every (s)", description="At most one analysed frame per this much stream time."
    )
    confirm_s: float = Field(
        20.0,
        ge=0,
        le=3600,
        title="Confirm after (s)",
        description="A problem (or its end) must hold on every judged frame this long before it is reported, "
        "so a lorry filling the view or a headlight flash does not flap the state.",
    )
    dark_mean: float = Field(
        30.0, ge=0, le=255, title="Dark: mean brightness below", description="0–255; with the 95th percentile below."
    )
    dark_p95: float = Field(
        60.0,
        ge=0,
        le=255,
        title="Dark: 95th-percentile brightness below",
        description="0–255: even the brightest parts of the picture are dim.",
    )
    flat_std: float = Field(
        1.0,
        gt=0,
        le=255,
        title="Flat block: brightness spread below",
        description="A 1/16-of-the-width block whose standard deviation is under this has no texture.",
    )
    covered_fraction: float = Field(
        0.8, gt=0, le=1, title="Covered: flat fraction at least", description="Fraction of blocks without texture."
    )
    blurred_ratio: float = Field(
        0.3,
        gt=0,
        lt=1,
        title="Blurred: sharpness below this fraction of the reference",
        description="Sharpness is the variance of the Laplacian; the reference is the camera's own.",
    )
    reference_s: float = Field(
        60.0,
        gt=0,
        le=86_400,
        title="Sharpness reference from the first healthy (s)",
        description="The median sharpness of the first healthy pictures over this much stream time; the "
        "picture that completes it is the reference view for 'moved'.",
    )
    moved_shift: float = Field(
        0.05,
        gt=0,
        lt=1,
        title="Moved: view shifted by more than (fraction of the width)",
        description="The reference view's centre, carried through the fitted homography, moved this far.",
    )
    moved_every_s: float = Field(
        2.0,
        ge=0,
        le=3600,
        title="Moved: compare the view every (s)",
        description="ORB matching costs a few ms: it runs this often and its verdict holds in between.",
    )
    moved_confirm_s: float = Field(
        2.0,
        ge=0,
        le=3600,
        title="Moved: confirm after (s)",
        description="A shifted view must be found on every view check this long before it is reported (and "
        "its end after confirm_s). Shorter than confirm_s: a knocked camera must be reported within seconds, "
        "and a view check only concludes when the scene's fixed features agree, so traffic does not count.",
    )
    moved_min_features: int = Field(
        100,
        ge=10,
        le=500,
        title="Moved: judge only with this many reference features",
        description="ORB key points the reference view needs; flat scenes with fewer are not judged.",
    )


class SourceConfig(StrictModel):
    """Where one camera's pictures come from and how they are sampled."""

    camera: str = Field(
        title="Camera id",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="Short id used in records, file names and the API.",
    )
    url: str = Field(
        title="Source",
        min_length=1,
        description="A video file path, an rtsp:// or rtsps:// URL, or a folder of still images.",
    )
    sample_fps: float = Field(
        0.5,
        gt=0,
        le=30,
        title="Analysed frames per second",
        description="Frames are taken by stream time, not by frame count. The default, one "
        "look per 2 s, is at least the usual 1-2 s CCTV GOP, so 'auto' decoding "
        "decodes key frames only, which is what lets one machine watch many "
        "cameras; fire-lane grace times are tens of seconds.",
    )
    decode: Literal["auto", "all", "keyframes"] = Field(
        "auto",
        title="Decode mode",
        description="'keyframes' decodes only key frames (cheap); 'auto' does so when the sampling "
        "interval is at least the stream's GOP; 'all' decodes every frame.",
    )
    start_time: datetime | None = Field(
        None,
        title="Start time of a recorded file",
        description="Wall time of the file's first frame. Default: the container's creation_time, else the epoch.",
    )
    filename_pattern: str = Field(
        "%Y-%m-%d_%H_%M_%S",
        title="Image file-name time pattern",
        description="strptime pattern searched for in image file names (snapshot folders); "
        "falls back to the file's mtime when it does not match.",
    )
    timezone: str = Field(
        "UTC", title="Time zone", description="IANA zone for times without one (file names, naive creation_time)."
    )
    io_timeout_s: float = Field(
        5.0,
        gt=0,
        le=300,
        title="I/O timeout (s)",
        description="A live stream that sends nothing for this long is treated as disconnected.",
    )
    reconnect_initial_s: float = Field(0.5, gt=0, title="First reconnect delay (s)")
    reconnect_max_s: float = Field(
        30.0, gt=0, title="Longest reconnect delay (s)", description="The exponential backoff is capped here."
    )
    frozen_after_s: float = Field(
        30.0,
        gt=0,
        title="Frozen after (s)",
        description="Identical frames for this long of stream time mark the source frozen.",
    )
    picture: PictureHealthConfig = Field(
        default_factory=PictureHealthConfig,
        title="Picture health",
        description="When the picture counts as covered, dark, blurred or moved.",
    )
    duration_s: float | None = Field(None, gt=0, title="Stop after (s of stream time)")
    max_width: int | None = Field(
        None,
        ge=64,
        le=7680,
        title="Convert frames to at most this width (px)",
        description="Large streams are scaled while converting the decoded picture "
        "(one FFmpeg reformat, no full-size copy); evidence is at this size.",
    )
    replay: bool = Field(
        False,
        title="Replay a file as a live camera",
        description="Play a recorded file in real time, looping forever (demos, soak tests).",
    )


class DetectorConfig(StrictModel):
    """The object detector shared by all cameras."""

    weights: str | None = Field(
        None,
        title="Weights path",
        description="Model file or OpenVINO folder; see weights/README.md for the search order.",
    )
    imgsz: int = Field(
        960,
        ge=128,
        le=2560,
        multiple_of=32,
        title="Inference size (px)",
        description="Overview CCTV needs 960–1280 to see distant vehicles.",
    )
    confidence: float = Field(0.25, gt=0, lt=1, title="Minimum confidence")
    iou: float = Field(0.5, gt=0, lt=1, title="NMS IoU threshold")
    classes: list[str] = Field(
        default_factory=lambda: ["car", "truck", "bus", "motorcycle"],
        min_length=1,
        title="Classes to detect",
        description="COCO class names (e.g. bicycle, person) for the stock weights.",
    )
    batch_size: int = Field(8, ge=1, le=64, title="Frames per inference batch")
    device: str = Field("cpu", title="Torch device", description="'cpu', 'cuda:0', ...")
    backend: Literal["auto", "openvino", "ultralytics"] = Field(
        "auto",
        title="Detector backend",
        description="'openvino' runs an OpenVINO IR folder directly, the cameras' lane crops packed onto a few "
        "fixed input shapes (three 1920x600 crops at imgsz 960 share one 960x960 inference); "
        "'ultralytics' uses ultralytics.YOLO (any format, GPU); 'auto': openvino for *_openvino_model "
        "folders on the CPU, else ultralytics.",
    )
    processes: int = Field(
        1,
        ge=0,
        le=8,
        title="Detector worker processes",
        description="Inference runs in this many worker processes fed through shared memory "
        "(a crashed worker is restarted); 0 runs it inside the pipeline's process.",
    )
    threads: int | None = Field(
        None,
        ge=1,
        le=256,
        title="Inference threads per worker",
        description="Default: the machine's cores but one (left for decoding), divided by the "
        "worker processes; at least 1.",
    )
    timeout_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        title="Give up on a worker after (s)",
        description="A worker that answers no batch for this long is killed and restarted; its looks count as dropped.",
    )


class LookConfig(StrictModel):
    """What each sampled frame ("look") costs: skip unchanged lanes, infer on the lanes only."""

    change_gate: bool = Field(
        True,
        title="Skip unchanged looks",
        description="Do not run the detector when no zone region changed since the last "
        "inference; the previous detections are carried forward.",
    )
    refresh_s: float = Field(
        30.0,
        gt=0,
        title="Re-check at least every (s)",
        description="Force an inference this often even when nothing changed, so parked vehicles are re-confirmed.",
    )
    crop_to_zones: bool = Field(
        True,
        title="Infer on the lanes",
        description="Send the detector the bounding rectangle of the camera's zones "
        "(plus a margin) instead of the whole frame.",
    )
    crop_margin: float = Field(
        0.3,
        ge=0,
        le=1,
        title="Crop margin (fraction of the zones' size)",
        description="0.3 keeps PKLot per-space accuracy equal to full-frame inference; 0.15 lost 2 of 800 spaces.",
    )


class TrackerConfig(StrictModel):
    """Identity keeping at low analysed frame rates (0.5–2 fps)."""

    match_iou: float = Field(0.3, gt=0, lt=1, title="IoU needed to continue a track")
    max_missing_s: float = Field(
        120.0,
        gt=0,
        title="Forget a track unseen for (s)",
        description="Parked cars must keep their identity across missed detections.",
    )
    min_confidence: float = Field(
        0.25,
        ge=0,
        lt=1,
        title="Lowest confidence that may start a track",
        description="Weaker boxes may continue an existing track but never start one.",
    )


class WebhookConfig(StrictModel):
    """Delivery of webhook notifications from the outbox."""

    timeout_s: float = Field(5.0, gt=0, le=60, title="Request timeout (s)")
    retry_initial_s: float = Field(2.0, gt=0, title="First retry delay (s)")
    retry_max_s: float = Field(600.0, gt=0, title="Longest retry delay (s)")
    max_attempts: int = Field(50, ge=1, title="Give up after this many attempts")


class MqttConfig(StrictModel):
    """Sensor messages from an MQTT broker (see README, "Alarm ingest")."""

    enabled: bool = Field(False, title="Subscribe to a broker")
    host: str = Field("127.0.0.1", min_length=1, title="Broker host")
    port: int = Field(1883, ge=1, le=65535, title="Broker port")
    topic_root: str = Field(
        "lanewatch/alarms",
        min_length=1,
        pattern=r"^[^#+]+$",
        title="Topic root",
        description="lanewatch subscribes to '<root>/#'; the level after the root is the device id.",
    )
    client_id: str = Field(
        "lanewatch",
        min_length=1,
        max_length=64,
        title="Client id",
        description="Fixed, with a persistent session, so the broker keeps QoS 1 messages "
        "sent while lanewatch is reconnecting.",
    )
    username: str | None = Field(None, title="User name")
    password: SecretStr | None = Field(None, title="Password")
    qos: Literal[0, 1, 2] = Field(1, title="Subscription QoS")
    keepalive_s: int = Field(30, ge=5, le=3600, title="Keep-alive (s)")
    reconnect_max_s: float = Field(30.0, gt=0, title="Longest reconnect delay (s)")


class Gb26875Config(StrictModel):
    """The GB/T 26875.3-2011 TCP listener for user information transmission devices."""

    enabled: bool = Field(False, title="Listen for GB/T 26875.3 devices")
    host: str = Field("127.0.0.1", title="Listen address")
    port: int = Field(9026, ge=0, le=65535, title="Listen port")
    centre_address: str = Field(
        "000000000000",
        pattern=r"^[0-9A-Fa-f]{12}$",
        title="This centre's address",
        description="6 bytes, hex: the address devices are set to send to. Answers come from the address each "
        "upload was sent to, so a device set to another address is still answered; a warning names it.",
    )
    max_data_bytes: int = Field(
        1024,
        ge=64,
        le=65535,
        title="Largest application data unit (bytes)",
        description="A frame announcing more is dropped as oversized.",
    )
    idle_timeout_s: float = Field(300.0, gt=0, title="Close a silent connection after (s)")


class AlarmTarget(StrictModel):
    """A webhook receiver of alarm escalations or forwards (delivered signed, through the outbox)."""

    name: str = Field(
        min_length=1, max_length=100, title="Name", description="Who it is: 'duty desk', 'street centre'."
    )
    url: str = Field(
        min_length=1,
        max_length=2000,
        pattern=r"^https?://\S+$",
        title="URL",
        description="Where the signed POST goes (http or https).",
    )
    secret: SecretStr = Field(
        min_length=16, max_length=200, title="Signing secret", description="HMAC-SHA256 key for X-Lanewatch-Signature."
    )
    after_s: float = Field(
        60.0,
        gt=0,
        title="Escalate to this step after (s)",
        description="Seconds after the previous step; the first step is instead reached "
        "after the alarm severity's first-escalation time.",
    )


class FirstEscalation(StrictModel):
    """Seconds an alarm may stay unacknowledged before the chain's first step is called, per severity."""

    critical: float | None = Field(60.0, gt=0, title="Fire (critical)")
    high: float | None = Field(180.0, gt=0, title="High (gas, electrical)")
    medium: float | None = Field(900.0, gt=0, title="Medium (faults, offline, tamper)")
    low: float | None = Field(
        None, gt=0, title="Low (battery, shield, supervisory)", description="None: never escalated."
    )


class AlarmSettings(StrictModel):
    """The fire-sensor side: ingest paths (HTTP is always on), rules and escalation."""

    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    gb26875: Gb26875Config = Field(default_factory=Gb26875Config)
    escalation_chain: list[AlarmTarget] = Field(
        default_factory=list,
        max_length=10,
        title="Escalation chain",
        description="Called in order while an alarm stays unacknowledged (duty desk → micro fire station → "
        "property → street centre); after the last step every step is called again each repeat_s.",
    )
    first_escalation_s: FirstEscalation = Field(default_factory=FirstEscalation, title="First escalation after (s)")
    repeat_s: float = Field(
        120.0,
        gt=0,
        title="Repeat the chain every (s)",
        description="Once the last step is reached, until someone acknowledges.",
    )
    escalate_test_alarms: bool = Field(
        False,
        title="Escalate test-mode alarms",
        description="Alarms a device reports in test mode are shown but not escalated.",
    )
    forward_119: AlarmTarget | None = Field(
        None, title="119 forward target", description="Confirmed real fires are sent here; `after_s` is unused."
    )
    latching_types: list[str] = Field(
        default_factory=lambda: ["fire", "gas_leak"],
        title="Alarms a device clear never resolves",
        description="The clear is recorded; an operator resolves. Fire always latches.",
    )
    maintenance_false_alarms_per_day: int = Field(
        3,
        ge=1,
        title="Maintenance after more false alarms than",
        description="In any 24 h, counted from confirmed false alarms.",
    )
    offline_grace_factor: float = Field(
        2.5,
        ge=1,
        title="Offline after heartbeat interval ×",
        description="A device is offline when silent this many heartbeat intervals.",
    )
    scan_interval_s: float = Field(1.0, gt=0, le=60, title="Escalation and offline check every (s)")
    max_batch: int = Field(1000, ge=1, le=10_000, title="Messages per ingest request at most")
    readings_per_device: int = Field(500, ge=10, title="Stored messages kept per device")
    dedup_window_s: float = Field(86_400.0, gt=0, title="Remember message ids for (s)")


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
        description="Behind a reverse proxy that ends HTTPS: its X-Forwarded-Proto: https marks the cookie Secure.",
    )


SITE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
"""A site code: in MQTT topics and in the centre's ids ``<site>.<camera>``, so no '.', '/', '+' or '#'."""


class BrokerLink(StrictModel):
    """How to reach the MQTT broker between the sites and the centre (Mosquitto, an EMQX cluster, ...)."""

    host: str = Field("127.0.0.1", min_length=1, title="Broker host")
    port: int = Field(1883, ge=1, le=65535, title="Broker port", description="8883 is usual with TLS.")
    username: str | None = Field(None, title="User name", description="One account per edge, one for the centre.")
    password: SecretStr | None = Field(None, title="Password")
    tls: bool = Field(False, title="TLS", description="Connect over TLS, checking the broker against the system CAs.")
    keepalive_s: int = Field(30, ge=5, le=3600, title="Keep-alive (s)")
    reconnect_max_s: float = Field(
        30.0, gt=0, title="Longest reconnect delay (s)", description="Reconnects back off from 0.5 s to this."
    )
    session_expiry_s: int = Field(
        7 * 86_400,
        ge=60,
        title="Broker session kept for (s)",
        description="MQTT 5 session expiry: how long the broker keeps this client's session while it is away.",
    )


class UplinkConfig(BrokerLink):
    """The edge role: forward this site's records to the centre through a durable outbox (README, "Edge and
    centre")."""

    enabled: bool = Field(False, title="Forward records to a centre")
    site: str = Field(
        "site",
        pattern=SITE_PATTERN,
        title="Site code",
        description="This site's code: the code of its organisation at the centre. Client id "
        "'lanewatch-edge-<site>', topics 'lanewatch/v1/site/<site>/<kind>'.",
    )
    outbox_max_rows: int = Field(
        100_000,
        ge=10,
        title="Outbox limit (entries)",
        description="When more wait, the oldest camera-health and device-status entries are dropped (counted "
        "as uplink_dropped); "
        "violations and alarms are kept even beyond the limit, and counted as over the limit.",
    )
    inflight: int = Field(50, ge=1, le=1000, title="Messages awaiting PUBACK at once")
    confirm_timeout_s: float = Field(
        30.0,
        gt=0,
        title="Resend unconfirmed after (s)",
        description="An entry leaves the outbox when the centre confirms it stored it; one the broker took "
        "but no centre confirmed this long after is sent again (a broker restart can lose it before any "
        "centre process has subscribed again).",
    )


class CentreConfig(BrokerLink):
    """The centre role: take every site's records from the broker into this database (README, "Edge and centre")."""

    enabled: bool = Field(False, title="Ingest the sites' records")
    client_id: str = Field(
        "lanewatch-centre-1",
        min_length=1,
        max_length=64,
        pattern=r"^[^#+/]+$",
        title="Client id",
        description="One per centre process, fixed, so the broker keeps its session across restarts.",
    )
    share_group: str = Field(
        "centre",
        pattern=r"^[A-Za-z0-9_-]+$",
        title="Shared subscription group",
        description="Centre processes of one group split the messages ($share/<group>/lanewatch/v1/site/+/+).",
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
