"""The one normalised message every sensor ingest path produces.

HTTP JSON, MQTT payloads and GB/T 26875.3 frames all become ``SensorMessage``
values before anything else looks at them, so rules, dedup, the alarm
lifecycle and the store see one shape whatever the wire was. The ingest
paths hand batches of them to a ``MessageSink`` (the alarm service).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

DEVICE_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,100}$"


class DeviceType(StrEnum):
    """Kinds of fire-protection sensors and panels the duty desk watches."""

    SMOKE = "smoke_detector"
    HEAT = "heat_detector"
    ELECTRICAL = "electrical_fire_monitor"  # residual current and cable temperature
    GAS = "combustible_gas"
    WATER_PRESSURE = "water_pressure"
    WATER_LEVEL = "water_level"
    MANUAL_CALL_POINT = "manual_call_point"
    TRANSMISSION_DEVICE = "transmission_device"  # user information transmission device / fire panel
    OTHER = "other"


class MessageKind(StrEnum):
    """What a message says."""

    READING = "reading"  # an analog value: ``quantity`` + ``value``
    ALARM = "alarm"  # the device itself reports an alarm of ``alarm_type``
    CLEAR = "clear"  # the device reports ``alarm_type`` back to normal
    HEARTBEAT = "heartbeat"  # alive, nothing else to say
    BATTERY = "battery"  # battery level in percent in ``value``
    TAMPER = "tamper"  # opened / removed
    OPERATION = "operation"  # an operator action on the site (reset, silence, test...), in ``detail``


class AlarmType(StrEnum):
    """The alarm an alarm/clear message is about (device-reported or raised by a rule)."""

    FIRE = "fire"
    FAULT = "fault"
    SUPERVISORY = "supervisory"  # 监管 (e.g. a valve or pump state being watched)
    SHIELD = "shield"  # 屏蔽 (disabled / isolated)
    POWER_FAULT = "power_fault"  # main or backup power
    GAS_LEAK = "gas_leak"
    RESIDUAL_CURRENT = "residual_current"
    CABLE_TEMPERATURE = "cable_temperature"
    PRESSURE_LOW = "pressure_low"
    PRESSURE_HIGH = "pressure_high"
    LEVEL_LOW = "level_low"
    LEVEL_HIGH = "level_high"
    HEAT_RISE = "heat_rise"  # rate-of-rise of temperature
    LOW_BATTERY = "low_battery"
    TAMPER = "tamper"
    OFFLINE = "offline"


class Quantity(StrEnum):
    """Analog quantities a reading can carry, with the unit in the name."""

    RESIDUAL_CURRENT_MA = "residual_current_ma"
    CABLE_TEMPERATURE_C = "cable_temperature_c"
    TEMPERATURE_C = "temperature_c"
    GAS_LEL_PCT = "gas_lel_pct"
    PRESSURE_MPA = "pressure_mpa"
    LEVEL_M = "level_m"
    SMOKE_DB_M = "smoke_db_m"
    BATTERY_PCT = "battery_pct"
    OTHER = "other"


class IngestSource(StrEnum):
    HTTP = "http"
    MQTT = "mqtt"
    GB26875 = "gb26875"
    SIMULATOR = "simulator"
    RULE = "rule"  # raised by lanewatch itself (thresholds, offline)


class SensorMessage(BaseModel):
    """One normalised message from (or about) a device."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device_id: str = Field(
        pattern=DEVICE_ID_PATTERN,
        title="Device id",
        description="Registry id. GB/T 26875.3 components are named "
        "'gb:<transmission device address>:<system type>-<system address>:<component address>'.",
    )
    kind: MessageKind
    alarm_type: AlarmType | None = Field(None, description="For alarm and clear messages.")
    quantity: Quantity | None = Field(None, description="For readings.")
    value: float | None = Field(None, allow_inf_nan=False, description="The reading, or the battery percent.")
    device_time: AwareDatetime | None = Field(None, description="When the device says it happened.")
    message_id: str | None = Field(
        None,
        max_length=200,
        description="The sender's id for this message: a repeat (MQTT redelivery, an "
        "HTTP retry) with the same id is counted once.",
    )
    test: bool = Field(False, description="The device reports this in test mode. Never a reason to drop a fire alarm.")
    device_type: DeviceType | None = Field(None, description="A hint, used when the device is not registered yet.")
    detail: str | None = Field(None, max_length=500, description="Free text: a component description, an operation.")
    source: IngestSource = IngestSource.HTTP

    @field_validator("device_time")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """Held in UTC: devices send local times (GB/T 26875.3 in China Standard Time), and SQLite
        keeps a datetime's wall clock but drops its offset, which read an 08:00+08:00 alarm as 08:00 UTC."""
        return value.astimezone(UTC) if value is not None else None


@dataclass(slots=True)
class IngestResult:
    """What a sink did with a batch: how many were new, repeats, or refused (with reasons)."""

    accepted: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


class MessageSink(Protocol):
    """Where ingest paths deliver messages. Must be safe to call from any thread; returns once stored."""

    def submit(self, messages: Sequence[SensorMessage], received_at: datetime) -> IngestResult: ...
