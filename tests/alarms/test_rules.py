"""The rule engine: thresholds held for N s, hysteresis, rate of rise, low battery (`lanewatch.alarms.rules`)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from lanewatch.alarms.device_types import DeviceRules, default_rules, effective_rules
from lanewatch.alarms.messages import AlarmType, DeviceType, IngestSource, MessageKind, Quantity, SensorMessage
from lanewatch.alarms.rules import RISE_POINTS_PER_WINDOW, RuleEngine
from lanewatch.words import default_language, set_default_language

Q, A = Quantity, AlarmType
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
ALARM, CLEAR = MessageKind.ALARM, MessageKind.CLEAR


def reading(
    quantity: Quantity | None,
    value: float,
    second: float,
    *,
    device: str = "dev-1",
    kind: MessageKind = MessageKind.READING,
    test: bool = False,
    message_id: str | None = None,
    timed: bool = True,
) -> SensorMessage:
    return SensorMessage(
        device_id=device,
        kind=kind,
        quantity=quantity,
        value=value,
        test=test,
        device_time=T0 + timedelta(seconds=second) if timed else None,
        message_id=message_id,
    )


def feed(
    engine: RuleEngine, rules: DeviceRules, quantity: Quantity, series: list[tuple[float, float]], device: str = "dev-1"
) -> list[tuple[float, MessageKind, AlarmType]]:
    """(second, kind, alarm type) of every derived message, for (second, value) readings in arrival order."""
    out = []
    for second, value in series:
        for derived in engine.evaluate(device, rules, reading(quantity, value, second, device=device), T0):
            out.append((second, derived.kind, derived.alarm_type))
    return out


@pytest.mark.parametrize(
    ("device_type", "quantity", "series", "expected"),
    [
        # residual current held 10 s: alarm at the first reading 10 s into the condition
        (
            DeviceType.ELECTRICAL,
            Q.RESIDUAL_CURRENT_MA,
            [(0, 100), (5, 400), (10, 410), (15, 420), (20, 430)],
            [(15, ALARM, A.RESIDUAL_CURRENT)],
        ),
        # a reading back under the limit restarts the count
        (
            DeviceType.ELECTRICAL,
            Q.RESIDUAL_CURRENT_MA,
            [(0, 400), (8, 250), (9, 400), (15, 400), (19, 400)],
            [(19, ALARM, A.RESIDUAL_CURRENT)],
        ),
        # a transient shorter than held_s raises nothing
        (DeviceType.ELECTRICAL, Q.RESIDUAL_CURRENT_MA, [(0, 900), (5, 900), (9, 100), (30, 100)], []),
        # clears at limit - 30 mA
        (
            DeviceType.ELECTRICAL,
            Q.RESIDUAL_CURRENT_MA,
            [(0, 400), (10, 400), (20, 290), (30, 270), (40, 400)],
            [(10, ALARM, A.RESIDUAL_CURRENT), (30, CLEAR, A.RESIDUAL_CURRENT)],
        ),
        (
            DeviceType.ELECTRICAL,
            Q.CABLE_TEMPERATURE_C,
            [(0, 60), (60, 72), (120, 68), (180, 65)],
            [(60, ALARM, A.CABLE_TEMPERATURE), (180, CLEAR, A.CABLE_TEMPERATURE)],
        ),
        # two gas levels are one gas_leak alarm: raised at 25, raised again at 50, cleared once under 20
        (
            DeviceType.GAS,
            Q.GAS_LEL_PCT,
            [(0, 5), (1, 30), (2, 60), (3, 40), (4, 22), (5, 20)],
            [(1, ALARM, A.GAS_LEAK), (2, ALARM, A.GAS_LEAK), (5, CLEAR, A.GAS_LEAK)],
        ),
        (DeviceType.GAS, Q.GAS_LEL_PCT, [(0, 5), (1, 75), (2, 4)], [(1, ALARM, A.GAS_LEAK), (2, CLEAR, A.GAS_LEAK)]),
        # pressure low held 30 s, cleared at 0.12 MPa
        (
            DeviceType.WATER_PRESSURE,
            Q.PRESSURE_MPA,
            [(0, 0.30), (10, 0.08), (40, 0.07), (70, 0.11), (100, 0.12)],
            [(40, ALARM, A.PRESSURE_LOW), (100, CLEAR, A.PRESSURE_LOW)],
        ),
        (
            DeviceType.WATER_PRESSURE,
            Q.PRESSURE_MPA,
            [(0, 1.3), (20, 1.3), (30, 1.25), (50, 1.15)],
            [(30, ALARM, A.PRESSURE_HIGH), (50, CLEAR, A.PRESSURE_HIGH)],
        ),
        (
            DeviceType.HEAT,
            Q.TEMPERATURE_C,
            [(0, 30), (600, 56), (1200, 50), (1800, 49)],
            [(600, ALARM, A.FIRE), (1800, CLEAR, A.FIRE)],
        ),
        # quantities with no rule produce nothing
        (DeviceType.SMOKE, Q.TEMPERATURE_C, [(0, 30), (1, 90)], []),
        (DeviceType.ELECTRICAL, Q.GAS_LEL_PCT, [(0, 90)], []),
        (DeviceType.WATER_LEVEL, Q.LEVEL_M, [(0, 0.0)], []),
    ],
)
def test_default_thresholds(device_type: DeviceType, quantity: Quantity, series: list, expected: list) -> None:
    assert feed(RuleEngine(), default_rules(device_type), quantity, series) == expected


@pytest.mark.parametrize(("hysteresis", "expected_messages"), [(5, 1), (0, 6)])
def test_hysteresis_stops_flapping(hysteresis: float, expected_messages: int) -> None:
    rules = effective_rules(
        DeviceType.ELECTRICAL,
        {
            "thresholds": [
                {
                    "quantity": "cable_temperature_c",
                    "alarm_type": "cable_temperature",
                    "above": 70,
                    "clear_hysteresis": hysteresis,
                }
            ]
        },
    )
    hovering = [(second, 71 if second % 2 == 0 else 69) for second in range(6)]
    assert len(feed(RuleEngine(), rules, Q.CABLE_TEMPERATURE_C, hovering)) == expected_messages


@pytest.fixture
def language(request):
    """The deployment's language for the test (a rule's detail is stored in it), put back afterwards."""
    before = default_language()
    set_default_language(request.param)
    yield request.param
    set_default_language(before)


DERIVED_WORDS = {
    "en": ("residual current 412 mA ≥ 300 mA for 10 s", "residual current 100 mA, normal again (clears at 270 mA)"),
    "zh-CN": ("剩余电流 412 mA ≥ 300 mA，持续 10 秒", "剩余电流 100 mA，已恢复正常（低于 270 mA 即消警）"),
}


@pytest.mark.parametrize("language", sorted(DERIVED_WORDS), indirect=True)
def test_derived_message_fields(language: str) -> None:
    alarm_words, clear_words = DERIVED_WORDS[language]
    engine, rules = RuleEngine(), default_rules(DeviceType.ELECTRICAL)
    engine.evaluate("panel-3", rules, reading(Q.RESIDUAL_CURRENT_MA, 400, 0, message_id="m-1"), T0)
    source = reading(Q.RESIDUAL_CURRENT_MA, 412, 10, message_id="m-2")
    [alarm] = engine.evaluate("panel-3", rules, source, T0 + timedelta(hours=1))
    assert alarm.model_dump(exclude={"message_id"}) == {
        "device_id": "panel-3",
        "kind": ALARM,
        "alarm_type": A.RESIDUAL_CURRENT,
        "quantity": Q.RESIDUAL_CURRENT_MA,
        "value": 412,
        "device_time": source.device_time,
        "test": False,
        "device_type": None,
        "detail": alarm_words,
        "source": IngestSource.RULE,
    }
    assert alarm.message_id and "m-2" in alarm.message_id
    [clear] = engine.evaluate("panel-3", rules, reading(Q.RESIDUAL_CURRENT_MA, 100, 20), T0 + timedelta(hours=1))
    assert clear.kind is CLEAR and clear.detail == clear_words
    assert clear.message_id != alarm.message_id and "panel-3" in clear.message_id


def test_no_device_time_uses_the_arrival_time_and_long_ids_stay_valid() -> None:
    engine, rules = RuleEngine(), default_rules(DeviceType.GAS)
    at = T0 + timedelta(minutes=3)
    [alarm] = engine.evaluate("gas-1", rules, reading(Q.GAS_LEL_PCT, 30, 0, message_id="x" * 200, timed=False), at)
    assert alarm.device_time == at
    assert alarm.message_id is not None and len(alarm.message_id) <= 200


def test_a_batch_without_device_times_is_evaluated_in_order() -> None:
    engine, rules = RuleEngine(), default_rules(DeviceType.GAS)
    batch = [reading(Q.GAS_LEL_PCT, value, 0, timed=False) for value in (5, 10, 30, 31)]
    derived = [message for item in batch for message in engine.evaluate("gas-1", rules, item, T0)]
    assert [(message.kind, message.value) for message in derived] == [(ALARM, 30)]


def _ramp(start: float, per_minute: float, seconds: int, step: int = 10) -> list[tuple[float, float]]:
    return [(t, start + per_minute * t / 60) for t in range(0, seconds + 1, step)]


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        (_ramp(20, 2, 600), []),  # slow warming: nothing
        (_ramp(20, 8, 240), []),  # under 10 °C/min
        (_ramp(20, 15, 60), [(30, ALARM, A.HEAT_RISE)]),  # fast: alarm once half a window is seen
        # levels off: the rise over the last minute falls to 5 °C/min at 100 s, under half the limit at 110 s
        (
            _ramp(20, 15, 60) + [(t, 35) for t in range(70, 200, 10)],
            [(30, ALARM, A.HEAT_RISE), (110, CLEAR, A.HEAT_RISE)],
        ),
        ([(0, 20), (300, 60)], [(300, ALARM, A.FIRE)]),  # one reading per 5 min cannot show a rate
    ],
)
def test_rate_of_rise(series: list, expected: list) -> None:
    assert feed(RuleEngine(), default_rules(DeviceType.HEAT), Q.TEMPERATURE_C, series) == expected


def test_out_of_order_and_repeated_readings_do_not_fake_a_rise() -> None:
    engine, rules = RuleEngine(), default_rules(DeviceType.HEAT)
    # slow true warming, delivered shuffled, with repeats and one late outlier
    series = [
        (0, 20.0),
        (10, 20.3),
        (20, 20.7),
        (5, 10.0),
        (20, 20.7),
        (30, 21.0),
        (15, 11.0),
        (40, 21.3),
        (30, 21.0),
        (50, 21.7),
        (60, 22.0),
    ]
    assert feed(engine, rules, Q.TEMPERATURE_C, series) == []


def test_a_late_reading_does_not_restart_the_held_timer() -> None:
    rules = default_rules(DeviceType.ELECTRICAL)
    series = [(0, 400), (8, 400), (3, 100), (10, 400)]
    assert feed(RuleEngine(), rules, Q.RESIDUAL_CURRENT_MA, series) == [(10, ALARM, A.RESIDUAL_CURRENT)]


def test_a_clock_set_back_restarts_timing_and_keeps_alarming() -> None:
    engine, rules = RuleEngine(), default_rules(DeviceType.ELECTRICAL)
    day = 86400
    series = [(day, 400), (day + 10, 400), (0, 100), (5, 400), (15, 400)]
    assert feed(engine, rules, Q.RESIDUAL_CURRENT_MA, series) == [
        (day + 10, ALARM, A.RESIDUAL_CURRENT),
        (0, CLEAR, A.RESIDUAL_CURRENT),
        (15, ALARM, A.RESIDUAL_CURRENT),
    ]


@pytest.mark.parametrize("kind", [MessageKind.BATTERY, MessageKind.READING])
def test_low_battery_and_recovery(kind: MessageKind) -> None:
    engine, rules = RuleEngine(), default_rules(DeviceType.SMOKE)
    quantity = Q.BATTERY_PCT if kind is MessageKind.READING else None
    out = []
    for second, value in [(0, 60), (1, 25), (2, 19), (3, 18), (4, 22), (5, 19), (6, 26)]:
        derived = engine.evaluate("smk-1", rules, reading(quantity, value, second, kind=kind), T0)
        out += [(second, message.kind, message.alarm_type, message.quantity) for message in derived]
    assert out == [(2, ALARM, A.LOW_BATTERY, Q.BATTERY_PCT), (6, CLEAR, A.LOW_BATTERY, Q.BATTERY_PCT)]


def test_low_battery_override_and_off() -> None:
    low = effective_rules(DeviceType.SMOKE, {"low_battery_pct": 10})
    off = effective_rules(DeviceType.SMOKE, {"low_battery_pct": 0})
    assert feed(RuleEngine(), low, Q.BATTERY_PCT, [(0, 15), (1, 9)]) == [(1, ALARM, A.LOW_BATTERY)]
    assert feed(RuleEngine(), off, Q.BATTERY_PCT, [(0, 15), (1, 0)]) == []


def test_overrides_change_what_alarms() -> None:
    rules = effective_rules(
        DeviceType.ELECTRICAL,
        {"thresholds": [{"quantity": "residual_current_ma", "alarm_type": "residual_current", "above": 500}]},
    )
    assert feed(RuleEngine(), rules, Q.RESIDUAL_CURRENT_MA, [(0, 400), (30, 450), (31, 520)]) == [
        (31, ALARM, A.RESIDUAL_CURRENT)
    ]
    level = effective_rules(
        DeviceType.WATER_LEVEL,
        {
            "thresholds": [
                {"quantity": "level_m", "alarm_type": "level_low", "below": 2.5, "held_s": 60, "clear_hysteresis": 0.2}
            ]
        },
    )
    assert feed(RuleEngine(), level, Q.LEVEL_M, [(0, 3), (60, 2.4), (120, 2.4), (180, 2.6), (240, 2.7)]) == [
        (120, ALARM, A.LEVEL_LOW),
        (240, CLEAR, A.LEVEL_LOW),
    ]


def test_a_removed_rule_clears_its_alarm_and_a_moved_limit_keeps_it() -> None:
    engine = RuleEngine()
    rules = default_rules(DeviceType.GAS)
    assert feed(engine, rules, Q.GAS_LEL_PCT, [(0, 30)]) == [(0, ALARM, A.GAS_LEAK)]
    raised = effective_rules(
        DeviceType.GAS,
        {"thresholds": [{"quantity": "gas_lel_pct", "alarm_type": "gas_leak", "above": 28, "clear_hysteresis": 5}]},
    )
    assert feed(engine, raised, Q.GAS_LEL_PCT, [(1, 30)]) == []  # still the same active alarm
    none = effective_rules(
        DeviceType.GAS, {"thresholds": [{"quantity": "gas_lel_pct", "alarm_type": "gas_leak", "below": -1}]}
    )
    [(_second, kind, alarm_type)] = feed(engine, none, Q.GAS_LEL_PCT, [(2, 30)])
    assert (kind, alarm_type) == (CLEAR, A.GAS_LEAK)


def test_test_mode_is_evaluated_apart_and_marked() -> None:
    engine, rules = RuleEngine(), default_rules(DeviceType.GAS)
    [test_alarm] = engine.evaluate("gas-1", rules, reading(Q.GAS_LEL_PCT, 40, 0, test=True), T0)
    assert test_alarm.test is True and test_alarm.kind is ALARM
    [real_alarm] = engine.evaluate("gas-1", rules, reading(Q.GAS_LEL_PCT, 40, 1), T0)
    assert real_alarm.test is False and real_alarm.kind is ALARM
    [test_clear] = engine.evaluate("gas-1", rules, reading(Q.GAS_LEL_PCT, 0, 2, test=True), T0)
    assert test_clear.test is True and test_clear.kind is CLEAR
    assert engine.evaluate("gas-1", rules, reading(Q.GAS_LEL_PCT, 40, 3), T0) == []  # real alarm still on


@pytest.mark.parametrize("kind", [MessageKind.HEARTBEAT, MessageKind.ALARM, MessageKind.TAMPER])
def test_other_kinds_produce_nothing(kind: MessageKind) -> None:
    message = SensorMessage(
        device_id="gas-1", kind=kind, alarm_type=A.GAS_LEAK if kind is ALARM else None, value=99, device_time=T0
    )
    engine = RuleEngine()
    assert engine.evaluate("gas-1", default_rules(DeviceType.GAS), message, T0) == []
    assert len(engine) == 0


def test_forget_starts_over() -> None:
    engine, rules = RuleEngine(), default_rules(DeviceType.GAS)
    assert feed(engine, rules, Q.GAS_LEL_PCT, [(0, 30)]) == [(0, ALARM, A.GAS_LEAK)]
    engine.forget("dev-1")
    assert len(engine) == 0
    assert feed(engine, rules, Q.GAS_LEL_PCT, [(1, 30)]) == [(1, ALARM, A.GAS_LEAK)]


def test_concurrent_devices_each_alarm_and_clear_once() -> None:
    engine, rules = RuleEngine(), default_rules(DeviceType.ELECTRICAL)
    results: dict[str, list] = {}
    series = [(second, 400 if second < 40 else 100) for second in range(0, 60, 2)]

    def worker(worker_id: int) -> None:
        for device in range(25):
            name = f"w{worker_id}-d{device}"
            results[name] = feed(engine, rules, Q.RESIDUAL_CURRENT_MA, series, device=name)

    threads = [threading.Thread(target=worker, args=(worker_id,)) for worker_id in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 200 and len(engine) == 200
    assert all(out == [(10, ALARM, A.RESIDUAL_CURRENT), (40, CLEAR, A.RESIDUAL_CURRENT)] for out in results.values())


def test_memory_is_bounded() -> None:
    engine, gas = RuleEngine(max_devices=100), default_rules(DeviceType.GAS)
    for device in range(1000):
        engine.evaluate(f"gas-{device}", gas, reading(Q.GAS_LEL_PCT, 1, 0), T0)
    assert len(engine) == 100
    # ten readings a second: the rise history is thinned, yet a fast rise is still seen
    heat = default_rules(DeviceType.HEAT)
    series = [(tenth / 10, 20 + 0.02 * tenth) for tenth in range(3000)]  # 12 °C/min for 5 min
    assert feed(engine, heat, Q.TEMPERATURE_C, series, device="hot")[:1] == [(30, ALARM, A.HEAT_RISE)]
    history = engine._states[("hot", False)].history[Q.TEMPERATURE_C]
    assert len(history) <= RISE_POINTS_PER_WINDOW + 2


def test_invalid_max_devices() -> None:
    with pytest.raises(ValueError, match="max_devices"):
        RuleEngine(max_devices=0)
