"""Per-type default rules, severities, and per-device overrides (`lanewatch.alarms.device_types`)."""

from __future__ import annotations

import pytest

from lanewatch.alarms.device_types import (
    SEVERITY_OF,
    DeviceRules,
    Severity,
    ThresholdRule,
    default_rules,
    effective_rules,
)
from lanewatch.alarms.messages import AlarmType, DeviceType, Quantity

Q, A = Quantity, AlarmType


def limits(rules: DeviceRules) -> set[tuple[str, str, str, float]]:
    return {
        (rule.quantity, rule.alarm_type, "above" if rule.above is not None else "below", rule.limit)
        for rule in rules.thresholds
    }


def test_every_alarm_type_has_a_severity() -> None:
    assert set(SEVERITY_OF) == set(AlarmType)


@pytest.mark.parametrize(
    ("alarm_type", "severity"),
    [
        (A.FIRE, Severity.CRITICAL),
        (A.GAS_LEAK, Severity.HIGH),
        (A.RESIDUAL_CURRENT, Severity.HIGH),
        (A.CABLE_TEMPERATURE, Severity.HIGH),
        (A.HEAT_RISE, Severity.HIGH),
        (A.FAULT, Severity.MEDIUM),
        (A.POWER_FAULT, Severity.MEDIUM),
        (A.PRESSURE_LOW, Severity.MEDIUM),
        (A.PRESSURE_HIGH, Severity.MEDIUM),
        (A.LEVEL_LOW, Severity.MEDIUM),
        (A.LEVEL_HIGH, Severity.MEDIUM),
        (A.OFFLINE, Severity.MEDIUM),
        (A.TAMPER, Severity.MEDIUM),
        (A.LOW_BATTERY, Severity.LOW),
        (A.SHIELD, Severity.LOW),
        (A.SUPERVISORY, Severity.LOW),
    ],
)
def test_severity_of(alarm_type: AlarmType, severity: Severity) -> None:
    assert SEVERITY_OF[alarm_type] is severity


@pytest.mark.parametrize(
    ("device_type", "heartbeat_s", "expected_limits", "has_rise"),
    [
        (DeviceType.SMOKE, 86400, set(), False),
        (DeviceType.HEAT, 86400, {(Q.TEMPERATURE_C, A.FIRE, "above", 54)}, True),
        (
            DeviceType.ELECTRICAL,
            300,
            {
                (Q.RESIDUAL_CURRENT_MA, A.RESIDUAL_CURRENT, "above", 300),
                (Q.CABLE_TEMPERATURE_C, A.CABLE_TEMPERATURE, "above", 70),
            },
            False,
        ),
        (
            DeviceType.GAS,
            300,
            {(Q.GAS_LEL_PCT, A.GAS_LEAK, "above", 25), (Q.GAS_LEL_PCT, A.GAS_LEAK, "above", 50)},
            False,
        ),
        (
            DeviceType.WATER_PRESSURE,
            3600,
            {(Q.PRESSURE_MPA, A.PRESSURE_LOW, "below", 0.10), (Q.PRESSURE_MPA, A.PRESSURE_HIGH, "above", 1.20)},
            False,
        ),
        (DeviceType.WATER_LEVEL, 3600, set(), False),
        (DeviceType.MANUAL_CALL_POINT, 86400, set(), False),
        (DeviceType.TRANSMISSION_DEVICE, 300, set(), False),
        (DeviceType.OTHER, 86400, set(), False),
    ],
)
def test_default_rules(device_type: DeviceType, heartbeat_s: float, expected_limits: set, has_rise: bool) -> None:
    rules = default_rules(device_type)
    assert rules.heartbeat_s == heartbeat_s
    assert limits(rules) == expected_limits
    assert (rules.rate_of_rise is not None) == has_rise
    assert rules.low_battery_pct == 20


def test_defaults_cover_every_device_type_and_heat_rise_is_a1r() -> None:
    assert {device_type: default_rules(device_type) for device_type in DeviceType}
    rise = default_rules(DeviceType.HEAT).rate_of_rise
    assert rise is not None
    assert (rise.quantity, rise.rise_per_minute, rise.window_s, rise.alarm_type) == (
        Q.TEMPERATURE_C,
        10,
        60,
        A.HEAT_RISE,
    )
    residual = default_rules(DeviceType.ELECTRICAL).thresholds[0]
    assert residual.held_s == 10  # rides through switching transients


def test_default_rules_are_fresh_values() -> None:
    first = default_rules(DeviceType.GAS)
    first.thresholds.clear()
    assert len(default_rules(DeviceType.GAS).thresholds) == 2


@pytest.mark.parametrize("overrides", [None, {}])
def test_no_overrides_gives_the_defaults(overrides: dict | None) -> None:
    assert effective_rules(DeviceType.ELECTRICAL, overrides) == default_rules(DeviceType.ELECTRICAL)


@pytest.mark.parametrize(
    ("device_type", "overrides", "expected_limits"),
    [
        # replaces the residual-current rule, keeps the type's cable-temperature rule
        (
            DeviceType.ELECTRICAL,
            {"thresholds": [{"quantity": "residual_current_ma", "alarm_type": "residual_current", "above": 500}]},
            {
                (Q.RESIDUAL_CURRENT_MA, A.RESIDUAL_CURRENT, "above", 500),
                (Q.CABLE_TEMPERATURE_C, A.CABLE_TEMPERATURE, "above", 70),
            },
        ),
        # one gas rule replaces both gas levels
        (
            DeviceType.GAS,
            {"thresholds": [{"quantity": "gas_lel_pct", "alarm_type": "gas_leak", "above": 20}]},
            {(Q.GAS_LEL_PCT, A.GAS_LEAK, "above", 20)},
        ),
        # a type with no default gets the device's rules
        (
            DeviceType.WATER_LEVEL,
            {
                "thresholds": [
                    {"quantity": "level_m", "alarm_type": "level_low", "below": 2.5, "clear_hysteresis": 0.2},
                    {"quantity": "level_m", "alarm_type": "level_high", "above": 5.8},
                ]
            },
            {(Q.LEVEL_M, A.LEVEL_LOW, "below", 2.5), (Q.LEVEL_M, A.LEVEL_HIGH, "above", 5.8)},
        ),
        # an empty list names no quantity: defaults stay
        (
            DeviceType.GAS,
            {"thresholds": []},
            {(Q.GAS_LEL_PCT, A.GAS_LEAK, "above", 25), (Q.GAS_LEL_PCT, A.GAS_LEAK, "above", 50)},
        ),
    ],
)
def test_thresholds_override_by_quantity(device_type: DeviceType, overrides: dict, expected_limits: set) -> None:
    assert limits(effective_rules(device_type, overrides)) == expected_limits


def test_scalar_overrides_and_rate_of_rise_off() -> None:
    rules = effective_rules(DeviceType.HEAT, {"heartbeat_s": 3600, "low_battery_pct": 10, "rate_of_rise": None})
    assert (rules.heartbeat_s, rules.low_battery_pct, rules.rate_of_rise) == (3600, 10, None)
    assert limits(rules) == limits(default_rules(DeviceType.HEAT))
    faster = effective_rules(DeviceType.HEAT, {"rate_of_rise": {"rise_per_minute": 8, "window_s": 120}})
    assert faster.rate_of_rise is not None and faster.rate_of_rise.rise_per_minute == 8
    assert faster.rate_of_rise.alarm_type is A.HEAT_RISE


def test_full_rules_stored_as_overrides_round_trip() -> None:
    rules = effective_rules(DeviceType.WATER_PRESSURE, {"heartbeat_s": 600})
    assert effective_rules(DeviceType.WATER_PRESSURE, rules.model_dump(mode="json")) == rules


_GAS = {"quantity": "gas_lel_pct", "alarm_type": "gas_leak"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"thresholds": [{**_GAS, "above": 20, "below": 5}]}, "thresholds[0]: give exactly one of 'above' or 'below'"),
        ({"thresholds": [_GAS]}, "thresholds[0]: give exactly one of 'above' or 'below'"),
        (
            {"thresholds": [{**_GAS, "above": 20}, {**_GAS, "above": 20}]},
            "thresholds[1]: the same rule as thresholds[0]",
        ),
        ({"thresholds": [{**_GAS, "above": "20"}]}, "thresholds[0].above: Input should be a valid number"),
        ({"thresholds": [{**_GAS, "above": True}]}, "thresholds[0].above: Input should be a valid number"),
        ({"thresholds": [{**_GAS, "above": 20, "held_s": -1}]}, "thresholds[0].held_s: Input should be greater than"),
        ({"thresholds": [{**_GAS, "above": 20, "colour": "red"}]}, "thresholds[0].colour: unknown field"),
        ({"thresholds": [{"alarm_type": "gas_leak", "above": 20}]}, "thresholds[0].quantity: is required"),
        ({"thresholds": [{**_GAS, "quantity": "gas", "above": 20}]}, "thresholds[0].quantity: Input should be"),
        (
            {"thresholds": [{"quantity": "battery_pct", "alarm_type": "fault", "below": 10}]},
            "thresholds[0]: the battery level is watched by 'low_battery_pct'",
        ),
        ({"thresholds": [{**_GAS, "alarm_type": "offline", "above": 20}]}, "raised by the heartbeat watch"),
        ({"thresholds": "gas above 20"}, "thresholds: Input should be a valid list"),
        ({"thresholds": None}, "thresholds: must not be null"),
        ({"heartbeat_s": None}, "heartbeat_s: must not be null"),
        ({"heartbeat_s": 1}, "heartbeat_s: Input should be greater than or equal to 10"),
        ({"low_battery_pct": 120}, "low_battery_pct: Input should be less than or equal to 100"),
        (
            {"rate_of_rise": {"rise_per_minute": 0, "window_s": 60}},
            "rate_of_rise.rise_per_minute: Input should be greater",
        ),
        ({"rate_of_rise": {"rise_per_minute": 10}}, "rate_of_rise.window_s: is required"),
        ({"heartbeat": 300}, "heartbeat: unknown field"),
        ([{"heartbeat_s": 300}], "rule overrides must be a JSON object"),
    ],
)
def test_invalid_overrides_name_the_field(overrides: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        effective_rules(DeviceType.GAS, overrides)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValueError) as caught:
        effective_rules(DeviceType.GAS, {"heartbeat_s": "often", "low_battery_pct": -1})
    assert "heartbeat_s:" in str(caught.value) and "low_battery_pct:" in str(caught.value)


def test_threshold_rule_model_checks_directly() -> None:
    with pytest.raises(ValueError, match="exactly one of 'above' or 'below'"):
        ThresholdRule(quantity=Q.PRESSURE_MPA, alarm_type=A.PRESSURE_LOW)
    with pytest.raises(ValueError, match="the same rule"):
        low_level = ThresholdRule(quantity=Q.LEVEL_M, alarm_type=A.LEVEL_LOW, below=1)
        DeviceRules(heartbeat_s=300, thresholds=[low_level, low_level])
