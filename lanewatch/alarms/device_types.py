"""What each kind of fire-protection device is watched for: severities, rule models, defaults.

A device's rules are its type's defaults (`default_rules`) with the
device's own stored overrides laid over them (`effective_rules`). The
`RuleEngine` in `rules.py` applies them to readings.

The defaults follow the Chinese standards and design practice a fire
protection engineer checks against; each figure's source is given where it
is set. They are starting points: every one can be overridden per device.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator, model_validator

from lanewatch.alarms.messages import AlarmType, DeviceType, Quantity


class Severity(StrEnum):
    """How urgent an alarm is; drives escalation times and the duty desk's ordering."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


SEVERITY_OF: dict[AlarmType, Severity] = {
    AlarmType.FIRE: Severity.CRITICAL,
    AlarmType.GAS_LEAK: Severity.HIGH,
    AlarmType.RESIDUAL_CURRENT: Severity.HIGH,
    AlarmType.CABLE_TEMPERATURE: Severity.HIGH,
    AlarmType.HEAT_RISE: Severity.HIGH,
    AlarmType.FAULT: Severity.MEDIUM,
    AlarmType.POWER_FAULT: Severity.MEDIUM,
    AlarmType.PRESSURE_LOW: Severity.MEDIUM,
    AlarmType.PRESSURE_HIGH: Severity.MEDIUM,
    AlarmType.LEVEL_LOW: Severity.MEDIUM,
    AlarmType.LEVEL_HIGH: Severity.MEDIUM,
    AlarmType.OFFLINE: Severity.MEDIUM,
    AlarmType.TAMPER: Severity.MEDIUM,
    AlarmType.LOW_BATTERY: Severity.LOW,
    AlarmType.SHIELD: Severity.LOW,
    AlarmType.SUPERVISORY: Severity.LOW,
}

MAX_THRESHOLDS = 32
# Numbers must be JSON numbers (not strings, not true/false) and finite.
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
HeartbeatSeconds = Annotated[Number, Field(ge=10, le=7 * 86400)]
BatteryPercent = Annotated[Number, Field(ge=0, le=100)]
# Raised elsewhere: offline by the heartbeat watch, low battery by `low_battery_pct`.
_NOT_RULE_ALARMS = {AlarmType.OFFLINE: "the heartbeat watch", AlarmType.LOW_BATTERY: "'low_battery_pct'"}


def _check_rule_target(quantity: Quantity, alarm_type: AlarmType) -> None:
    if quantity is Quantity.BATTERY_PCT:
        raise ValueError("the battery level is watched by 'low_battery_pct', not by a rule")
    if alarm_type in _NOT_RULE_ALARMS:
        raise ValueError(f"'{alarm_type}' is raised by {_NOT_RULE_ALARMS[alarm_type]}, not by a rule")


class ThresholdRule(BaseModel):
    """An alarm when a reading stays at or past a limit; cleared once it is back past the limit by a margin."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quantity: Quantity = Field(title="Quantity", description="Which readings the rule looks at.")
    alarm_type: AlarmType = Field(title="Alarm raised")
    above: Number | None = Field(
        None, title="Alarm at or above", description="Give exactly one of 'above' and 'below'."
    )
    below: Number | None = Field(None, title="Alarm at or below")
    held_s: Number = Field(
        0.0,
        ge=0,
        le=86400,
        title="Held for (s)",
        description="The condition must hold this long, by device time, before the alarm; "
        "one reading back inside the limit restarts the count.",
    )
    clear_hysteresis: Number = Field(
        0.0,
        ge=0,
        title="Clear margin",
        description="The alarm clears only once the reading is back past the "
        "limit by this much, so a value hovering at the limit "
        "does not flap.",
    )

    @model_validator(mode="after")
    def _one_limit(self) -> ThresholdRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of 'above' or 'below'")
        _check_rule_target(self.quantity, self.alarm_type)
        return self

    @property
    def limit(self) -> float:
        return self.above if self.above is not None else self.below  # type: ignore[return-value]


class RateOfRiseRule(BaseModel):
    """An alarm when a temperature climbs fast, whatever its level: the 'R' of a rate-of-rise heat detector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quantity: Quantity = Field(Quantity.TEMPERATURE_C, title="Quantity")
    rise_per_minute: Number = Field(
        gt=0,
        title="Rise per minute",
        description="Alarm when the reading climbs at least this much per minute "
        "over the window; clears below half of it.",
    )
    window_s: Number = Field(
        ge=1,
        le=3600,
        title="Window (s)",
        description="The rise is measured from the oldest reading in the last window_s; "
        "it needs readings at least every window_s / 2.",
    )
    alarm_type: AlarmType = Field(AlarmType.HEAT_RISE, title="Alarm raised")

    @model_validator(mode="after")
    def _target(self) -> RateOfRiseRule:
        _check_rule_target(self.quantity, self.alarm_type)
        return self


def _check_distinct(thresholds: list[ThresholdRule]) -> None:
    """Two rules with the same quantity, alarm, direction and limit would be one rule counted twice."""
    seen: dict[tuple[Quantity, AlarmType, bool, float], int] = {}
    for index, rule in enumerate(thresholds):
        key = (rule.quantity, rule.alarm_type, rule.above is not None, rule.limit)
        if key in seen:
            raise ValueError(
                f"thresholds[{index}]: the same rule as thresholds[{seen[key]}] "
                f"({rule.quantity}, {rule.alarm_type}, limit {rule.limit:g})"
            )
        seen[key] = index


class DeviceRules(BaseModel):
    """Everything lanewatch watches on one device beyond what the device reports itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    heartbeat_s: HeartbeatSeconds = Field(
        title="Expected report interval (s)",
        description="A device silent for longer (times the offline grace factor) is reported offline.",
    )
    thresholds: list[ThresholdRule] = Field(default_factory=list, max_length=MAX_THRESHOLDS, title="Thresholds")
    rate_of_rise: RateOfRiseRule | None = Field(None, title="Rate of rise")
    low_battery_pct: BatteryPercent = Field(
        20.0, title="Low battery below (%)", description="0 turns the low-battery alarm off."
    )

    @model_validator(mode="after")
    def _distinct(self) -> DeviceRules:
        _check_distinct(self.thresholds)
        return self


class RuleOverrides(BaseModel):
    """A device's stored overrides: any subset of `DeviceRules`' fields."""

    model_config = ConfigDict(extra="forbid")

    heartbeat_s: HeartbeatSeconds | None = None
    thresholds: list[ThresholdRule] | None = Field(None, max_length=MAX_THRESHOLDS)
    rate_of_rise: RateOfRiseRule | None = None  # an explicit null turns the type's rate-of-rise off
    low_battery_pct: BatteryPercent | None = None

    @field_validator("heartbeat_s", "thresholds", "low_battery_pct", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null (leave it out to keep the device type's default)")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> RuleOverrides:
        _check_distinct(self.thresholds or [])
        return self


_MAINS_S = 300.0  # mains-powered devices report every few minutes
_NB_IOT_S = 86400.0  # battery NB-IoT detectors report once a day to save battery


def default_rules(device_type: DeviceType) -> DeviceRules:
    """The rules a device of this type gets unless it overrides them (a fresh value each call)."""
    heat = [
        # GB 4716-2005, class A1: static response temperature 54–65 °C; 54 °C is where an A1 detector may alarm.
        ThresholdRule(quantity=Quantity.TEMPERATURE_C, alarm_type=AlarmType.FIRE, above=54, clear_hysteresis=5),
    ]
    electrical = [
        # GB 14287.2: residual-current alarm settable 20–1000 mA; GB 50116-2013 §9.2.3 advises 300–500 mA.
        # Held 10 s to ride through switching transients, well inside the standard's 30 s response time.
        ThresholdRule(
            quantity=Quantity.RESIDUAL_CURRENT_MA,
            alarm_type=AlarmType.RESIDUAL_CURRENT,
            above=300,
            held_s=10,
            clear_hysteresis=30,
        ),
        # GB 14287.3: temperature alarm settable 55–140 °C; 70 °C is the PVC cable's rated conductor temperature.
        ThresholdRule(
            quantity=Quantity.CABLE_TEMPERATURE_C, alarm_type=AlarmType.CABLE_TEMPERATURE, above=70, clear_hysteresis=5
        ),
    ]
    gas = [
        # GB 15322.1 / GB/T 50493-2019: first-level alarm ≤ 25 %LEL, second-level ≤ 50 %LEL.
        ThresholdRule(quantity=Quantity.GAS_LEL_PCT, alarm_type=AlarmType.GAS_LEAK, above=25, clear_hysteresis=5),
        ThresholdRule(quantity=Quantity.GAS_LEL_PCT, alarm_type=AlarmType.GAS_LEAK, above=50, clear_hysteresis=5),
    ]
    pressure = [
        # GB 50974-2014 §5.2.2: at least 0.10 MPa static at the least favourable hydrant (tall public buildings).
        ThresholdRule(
            quantity=Quantity.PRESSURE_MPA,
            alarm_type=AlarmType.PRESSURE_LOW,
            below=0.10,
            held_s=30,
            clear_hysteresis=0.02,
        ),
        # GB 50974-2014 §6.2.1: above 1.20 MPa at a sprinkler the system must be zoned; set to your rating.
        ThresholdRule(
            quantity=Quantity.PRESSURE_MPA,
            alarm_type=AlarmType.PRESSURE_HIGH,
            above=1.20,
            held_s=30,
            clear_hysteresis=0.05,
        ),
    ]
    # A1R rate-of-rise: GB 4716 tests response at 10 °C/min; one minute of readings shows it.
    rise = RateOfRiseRule(rise_per_minute=10, window_s=60)
    match device_type:
        case DeviceType.SMOKE | DeviceType.MANUAL_CALL_POINT | DeviceType.OTHER:
            return DeviceRules(heartbeat_s=_NB_IOT_S)
        case DeviceType.HEAT:
            return DeviceRules(heartbeat_s=_NB_IOT_S, thresholds=heat, rate_of_rise=rise)
        case DeviceType.ELECTRICAL:
            return DeviceRules(heartbeat_s=_MAINS_S, thresholds=electrical)
        case DeviceType.GAS:
            return DeviceRules(heartbeat_s=_MAINS_S, thresholds=gas)
        case DeviceType.WATER_PRESSURE:
            return DeviceRules(heartbeat_s=3600, thresholds=pressure)  # battery gauges report hourly
        case DeviceType.WATER_LEVEL:
            return DeviceRules(heartbeat_s=3600)  # no level default: every tank differs; set it per device
        case DeviceType.TRANSMISSION_DEVICE:
            # GB 50440-2007 allows the centre's patrol of a transmission device up to 2 h; they beat far oftener.
            return DeviceRules(heartbeat_s=_MAINS_S)
    raise ValueError(f"unknown device type {device_type!r}")


def effective_rules(device_type: DeviceType, overrides: dict[str, Any] | None) -> DeviceRules:
    """The type's defaults with the device's overrides laid over them.

    A per-device ``thresholds`` list replaces the type's rules for the
    quantities it names and keeps the others; ``"rate_of_rise": null`` turns
    the type's rate-of-rise off. Invalid overrides raise ``ValueError`` with
    every problem named by field, in the device owner's terms.
    """
    base = default_rules(device_type)
    if overrides is None:
        return base
    if not isinstance(overrides, dict):
        raise ValueError(f"rule overrides must be a JSON object, not {type(overrides).__name__}")
    try:
        given = RuleOverrides.model_validate(overrides)
    except ValidationError as exc:
        raise ValueError(describe_errors(exc)) from None
    merged: dict[str, Any] = dict(base)
    for name in given.model_fields_set:
        merged[name] = getattr(given, name)
    if given.thresholds is not None:
        named = {rule.quantity for rule in given.thresholds}
        merged["thresholds"] = [rule for rule in base.thresholds if rule.quantity not in named] + given.thresholds
    return DeviceRules(**merged)


def describe_errors(exc: ValidationError) -> str:
    """Pydantic's errors as '; '-joined 'field[index].name: what is wrong' lines."""
    lines = []
    for error in exc.errors():
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "is required"
        lines.append(f"{where}: {message}" if where else message)
    return "; ".join(lines)
