"""Settings of the sensor side and of outgoing notifications: webhooks, MQTT and GB/T 26875.3 ingest,
alarm targets and escalation."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from lanewatch.config.base import StrictModel


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
