"""`RuleEngine`: readings in, rule-derived ALARM / CLEAR messages out.

The engine remembers, per device, just enough to apply `DeviceRules`:

- thresholds: whether each rule is pending (condition met since when, by
  device time) or active. An alarm needs the condition held for `held_s`
  and clears once the reading is back past the limit by `clear_hysteresis`;
- rate of rise: the readings of the last `window_s`, thinned to at most
  `RISE_POINTS_PER_WINDOW`, so memory stays bounded however fast a device
  reports;
- low battery: below `low_battery_pct` alarms, `BATTERY_CLEAR_MARGIN_PCT`
  above it clears.

One alarm type is one alarm to the duty desk, however many rules can raise
it (the 25 and 50 %LEL gas levels are both `gas_leak`): an ALARM goes out
whenever a rule enters, naming the most severe one; the CLEAR only once no
rule of that type is active any more.

Readings are ordered by device time (``at`` when the device sends none).
A reading older than the newest one evaluated for its quantity is a late
delivery or a repeat and is skipped, so it can neither fake a rise nor
restart a timer (readings with the same time, e.g. a batch without device
times, are all evaluated, in order); one older by `CLOCK_JUMP_S` or more
means the device's clock was set back, and timing restarts from it (active
alarms stay).
Test-mode readings have their own state, so a test never hides or clears a
real alarm, and what they raise carries ``test=True``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from lanewatch.alarms.device_types import (
    SEVERITY_OF,
    DeviceRules,
    RateOfRiseRule,
    Severity,
    ThresholdRule,
    default_rules,
    effective_rules,
)
from lanewatch.alarms.messages import AlarmType, IngestSource, MessageKind, Quantity, SensorMessage
from lanewatch.words.said import say

__all__ = [
    "SEVERITY_OF",
    "DeviceRules",
    "RateOfRiseRule",
    "RuleEngine",
    "Severity",
    "ThresholdRule",
    "default_rules",
    "effective_rules",
]

CLOCK_JUMP_S = 3600.0
RISE_POINTS_PER_WINDOW = 60
RISE_CLEAR_FRACTION = 0.5  # a rise alarm clears below half its rate, so it cannot flap
BATTERY_CLEAR_MARGIN_PCT = 5.0  # battery gauges jitter by a few percent
DEFAULT_MAX_DEVICES = 50_000

# The words of each quantity (a catalogue key, in the configured language: a rule's detail is stored) and its unit.
_LABELS: dict[Quantity, tuple[str, str]] = {
    Quantity.RESIDUAL_CURRENT_MA: ("alarms.quantity.residual_current", "mA"),
    Quantity.CABLE_TEMPERATURE_C: ("alarms.quantity.cable_temperature", "°C"),
    Quantity.TEMPERATURE_C: ("alarms.quantity.temperature", "°C"),
    Quantity.GAS_LEL_PCT: ("alarms.quantity.combustible_gas", "%LEL"),
    Quantity.PRESSURE_MPA: ("alarms.quantity.pressure", "MPa"),
    Quantity.LEVEL_M: ("alarms.quantity.water_level", "m"),
    Quantity.SMOKE_DB_M: ("alarms.quantity.smoke", "dB/m"),
    Quantity.BATTERY_PCT: ("alarms.quantity.battery", "%"),
    Quantity.OTHER: ("alarms.quantity.reading", ""),
}


class _Key(NamedTuple):
    """One rule's identity across rule edits: changing a limit keeps its state, a new rule starts fresh."""

    kind: str  # "limit", "rise" or "battery"
    quantity: Quantity
    alarm_type: AlarmType
    direction: str = ""  # "above" / "below" for limits
    rank: int = 0  # 0 = mildest limit of the same quantity, alarm and direction


@dataclass(slots=True)
class _RuleState:
    active: bool = False
    pending_since: float | None = None


@dataclass(slots=True)
class _DeviceState:
    last_t: dict[Quantity, float] = field(default_factory=dict)
    rules: dict[_Key, _RuleState] = field(default_factory=dict)
    reported: set[AlarmType] = field(default_factory=set)  # ALARM sent, CLEAR not yet
    history: dict[Quantity, deque[tuple[float, float]]] = field(default_factory=dict)


def _label(quantity: Quantity) -> str:
    return say(_LABELS[quantity][0])


def _text(quantity: Quantity, value: float) -> str:
    return f"{_label(quantity)} {value:g} {_LABELS[quantity][1]}".rstrip()


def _unit(quantity: Quantity, value: float) -> str:
    return f"{value:g} {_LABELS[quantity][1]}".rstrip()


class RuleEngine:
    """Applies `DeviceRules` to a stream of readings. Thread-safe; remembers at most `max_devices` devices.

    Call `evaluate` once per new reading (after duplicate removal); the
    least recently heard device is forgotten first when the bound is hit.
    """

    def __init__(self, max_devices: int = DEFAULT_MAX_DEVICES) -> None:
        if max_devices < 1:
            raise ValueError("max_devices must be at least 1")
        self._max_devices = max_devices
        self._states: OrderedDict[tuple[str, bool], _DeviceState] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)

    def forget(self, device_id: str) -> None:
        """Drop everything remembered about a device (deleted, or its rules reset)."""
        with self._lock:
            for test in (False, True):
                self._states.pop((device_id, test), None)

    def evaluate(self, device_id: str, rules: DeviceRules, message: SensorMessage, at: datetime) -> list[SensorMessage]:
        """The ALARM / CLEAR messages this message causes under `rules` (usually none)."""
        if message.value is None:
            return []
        if message.kind is MessageKind.BATTERY:
            quantity = Quantity.BATTERY_PCT
        elif message.kind is MessageKind.READING and message.quantity is not None:
            quantity = message.quantity
        else:
            return []
        when = message.device_time or at
        t, value = when.timestamp(), message.value
        relevant = (
            quantity is Quantity.BATTERY_PCT
            or any(rule.quantity is quantity for rule in rules.thresholds)
            or (rules.rate_of_rise is not None and rules.rate_of_rise.quantity is quantity)
        )
        with self._lock:
            if not relevant and (device_id, message.test) not in self._states:
                return []  # nothing to watch and nothing remembered: keep no state
            state = self._state(device_id, message.test)
            if not self._in_order(state, quantity, t):
                return []
            changes = self._apply(state, rules, quantity, t, value)
            return [
                self._derived(device_id, message, when, quantity, kind, alarm_type, detail)
                for kind, alarm_type, detail in self._report(state, changes)
            ]

    def _state(self, device_id: str, test: bool) -> _DeviceState:
        key = (device_id, test)
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = _DeviceState()
            while len(self._states) > self._max_devices:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(key)
        return state

    @staticmethod
    def _in_order(state: _DeviceState, quantity: Quantity, t: float) -> bool:
        last = state.last_t.get(quantity)
        if last is not None and t < last:
            if last - t < CLOCK_JUMP_S:
                return False  # late delivery, or a repeat of an older reading
            for key, rule_state in state.rules.items():  # the device clock was set back
                if key.quantity is quantity:
                    rule_state.pending_since = None
            state.history.pop(quantity, None)
        state.last_t[quantity] = t
        return True

    def _apply(
        self, state: _DeviceState, rules: DeviceRules, quantity: Quantity, t: float, value: float
    ) -> dict[AlarmType, list[tuple[_Key, str, str]]]:
        """Steps every rule on `quantity`; returns per alarm type the (key, 'alarm'|'clear', detail) changes."""
        changes: dict[AlarmType, list[tuple[_Key, str, str]]] = {}

        def step(key: _Key, trips: bool, clears: bool, held_s: float, alarm: str, clear: str) -> None:
            rule_state = state.rules.setdefault(key, _RuleState())
            changes.setdefault(key.alarm_type, [])
            if rule_state.active:
                if clears:
                    rule_state.active = False
                    changes[key.alarm_type].append((key, "clear", clear))
                return
            if not trips:
                rule_state.pending_since = None
                return
            if rule_state.pending_since is None:
                rule_state.pending_since = t
            held = t - rule_state.pending_since
            if held >= held_s:
                rule_state.active, rule_state.pending_since = True, None
                held_for = say("alarms.rule.held_for", held=f"{held:g}") if held_s else ""
                changes[key.alarm_type].append((key, "alarm", alarm + held_for))

        live: set[_Key] = set()
        for key, rule in _threshold_keys(rules.thresholds, quantity):
            live.add(key)
            reading, sign = _text(quantity, value), "≥" if rule.above is not None else "≤"
            step(
                key,
                *_threshold_test(rule, value),
                rule.held_s,
                f"{reading} {sign} {_unit(quantity, rule.limit)}",
                say("alarms.rule.normal_again", reading=reading, clear=_unit(quantity, _clear_at(rule))),
            )
        rise = rules.rate_of_rise
        if rise is not None and rise.quantity is quantity:
            key = _Key("rise", quantity, rise.alarm_type)
            live.add(key)
            rate = _rise_per_minute(state, rise, t, value)
            if rate is not None:
                floor = rise.rise_per_minute * RISE_CLEAR_FRACTION
                step(
                    key,
                    rate >= rise.rise_per_minute,
                    rate < floor,
                    0.0,
                    say(
                        "alarms.rule.rising",
                        label=_label(quantity),
                        rate=f"{rate:.1f}",
                        unit=_LABELS[quantity][1],
                        limit=f"{rise.rise_per_minute:g}",
                        window=f"{rise.window_s:g}",
                    ),
                    say(
                        "alarms.rule.rise_below",
                        label=_label(quantity),
                        rate=f"{rate:.1f}",
                        unit=_LABELS[quantity][1],
                        floor=f"{floor:g}",
                    ),
                )
        else:
            state.history.pop(quantity, None)
        if quantity is Quantity.BATTERY_PCT:
            key = _Key("battery", quantity, AlarmType.LOW_BATTERY)
            live.add(key)
            clear_at = min(rules.low_battery_pct + BATTERY_CLEAR_MARGIN_PCT, 100.0)
            step(
                key,
                value < rules.low_battery_pct,
                value >= clear_at,
                0.0,
                say("alarms.rule.battery_low", value=f"{value:g}", limit=f"{rules.low_battery_pct:g}"),
                say("alarms.rule.battery_back", value=f"{value:g}", clear=f"{clear_at:g}"),
            )
        for key in [key for key in state.rules if key.quantity is quantity and key not in live]:
            changes.setdefault(key.alarm_type, [])
            if state.rules.pop(key).active:
                changes[key.alarm_type].append(
                    (key, "clear", say("alarms.rule.removed", reading=_text(quantity, value)))
                )
        return changes

    @staticmethod
    def _report(
        state: _DeviceState, changes: dict[AlarmType, list[tuple[_Key, str, str]]]
    ) -> list[tuple[MessageKind, AlarmType, str]]:
        """One message per alarm type at most: ALARM on any rule's entry, CLEAR when its last rule clears."""
        out: list[tuple[MessageKind, AlarmType, str]] = []
        for alarm_type, steps in changes.items():
            entered = [(key, detail) for key, what, detail in steps if what == "alarm"]
            if entered:
                _, detail = max(entered, key=lambda item: item[0].rank)
                state.reported.add(alarm_type)
                out.append((MessageKind.ALARM, alarm_type, detail))
            elif alarm_type in state.reported and not any(
                rule_state.active for key, rule_state in state.rules.items() if key.alarm_type is alarm_type
            ):
                state.reported.discard(alarm_type)
                cleared = [detail for _, what, detail in steps if what == "clear"]
                out.append((MessageKind.CLEAR, alarm_type, cleared[-1] if cleared else "no rule active"))
        return out

    @staticmethod
    def _derived(
        device_id: str,
        message: SensorMessage,
        when: datetime,
        quantity: Quantity,
        kind: MessageKind,
        alarm_type: AlarmType,
        detail: str,
    ) -> SensorMessage:
        base = message.message_id or f"{device_id}@{when.isoformat()}"
        message_id = f"{base}#rule:{alarm_type}:{kind}"
        if len(message_id) > 200:
            message_id = "rule:" + hashlib.sha256(message_id.encode()).hexdigest()
        return SensorMessage(
            device_id=device_id,
            kind=kind,
            alarm_type=alarm_type,
            quantity=quantity,
            value=message.value,
            device_time=when,
            message_id=message_id,
            test=message.test,
            device_type=message.device_type,
            detail=detail[:500],
            source=IngestSource.RULE,
        )


def _threshold_keys(thresholds: list[ThresholdRule], quantity: Quantity) -> list[tuple[_Key, ThresholdRule]]:
    """The rules on `quantity`, ranked mildest first within the same alarm type and direction."""
    keyed: list[tuple[_Key, ThresholdRule]] = []
    groups: dict[tuple[AlarmType, str], list[ThresholdRule]] = {}
    for rule in thresholds:
        if rule.quantity is quantity:
            groups.setdefault((rule.alarm_type, "above" if rule.above is not None else "below"), []).append(rule)
    for (alarm_type, direction), members in groups.items():
        members.sort(key=lambda rule: rule.limit, reverse=direction == "below")
        keyed += [(_Key("limit", quantity, alarm_type, direction, rank), rule) for rank, rule in enumerate(members)]
    return keyed


def _threshold_test(rule: ThresholdRule, value: float) -> tuple[bool, bool]:
    """(the reading trips the rule, the reading clears it): at or past the limit trips; back past it by the
    margin clears (strictly back inside the limit when there is no margin)."""
    clear_at = _clear_at(rule)
    if rule.above is not None:
        return value >= rule.above, (value <= clear_at if rule.clear_hysteresis else value < rule.above)
    return value <= rule.limit, (value >= clear_at if rule.clear_hysteresis else value > rule.limit)


def _clear_at(rule: ThresholdRule) -> float:
    """Where an active threshold alarm clears; rounded so 0.10 + 0.02 clears at 0.12, not 0.12000000000000001."""
    if rule.above is not None:
        return round(rule.above - rule.clear_hysteresis, 9)
    return round(rule.limit + rule.clear_hysteresis, 9)


def _rise_per_minute(state: _DeviceState, rule: RateOfRiseRule, t: float, value: float) -> float | None:
    """The rise since the oldest reading of the last window, per minute; None until half a window is covered."""
    history = state.history.get(rule.quantity)
    if history is None:
        history = state.history[rule.quantity] = deque(maxlen=RISE_POINTS_PER_WINDOW + 2)
    while history and history[0][0] < t - rule.window_s:
        history.popleft()
    rate = None
    if history and t - history[0][0] >= rule.window_s / 2:
        rate = (value - history[0][1]) / (t - history[0][0]) * 60.0
    if not history or t - history[-1][0] >= rule.window_s / RISE_POINTS_PER_WINDOW:
        history.append((t, value))
    return rate
