"""Objects -> SensorMessage: device ids, alarm types from status bits, the test bit, readings, ids."""

from __future__ import annotations

import pytest

from lanewatch.alarms.gb26875 import encode
from lanewatch.alarms.gb26875.frame import decode_frame
from lanewatch.alarms.gb26875.info_objects import (
    ComponentState,
    DeviceOperation,
    DeviceState,
    SystemOperation,
    SystemState,
    decode_upload,
)
from lanewatch.alarms.gb26875.to_messages import upload_to_messages
from lanewatch.alarms.messages import AlarmType, DeviceType, IngestSource, MessageKind, Quantity
from tests.alarms.gb26875.conftest import DEVICE, WHEN, fire_packet, upload_packet

FIRE, FAULT, SHIELD, SUPERVISORY, POWER = (
    AlarmType.FIRE,
    AlarmType.FAULT,
    AlarmType.SHIELD,
    AlarmType.SUPERVISORY,
    AlarmType.POWER_FAULT,
)
ALARM, CLEAR = MessageKind.ALARM, MessageKind.CLEAR


def _messages(packet: bytes):
    frame = decode_frame(packet)
    return upload_to_messages(frame, decode_upload(frame.data))


def _kinds(messages) -> list[tuple[MessageKind, AlarmType | None]]:
    return [(m.kind, m.alarm_type) for m in messages]


STATUS_CASES = [
    (
        "component fire",
        2,
        encode.component_status(1, 1, 42, 10_005, ComponentState.NORMAL | ComponentState.FIRE, "3楼东走廊烟感", WHEN),
        f"gb:{DEVICE}:1-1:10005",
        DeviceType.SMOKE,
        False,
        [(ALARM, FIRE), (CLEAR, FAULT), (CLEAR, SHIELD), (CLEAR, SUPERVISORY), (CLEAR, POWER)],
    ),
    (
        "component fire in test mode",
        2,
        encode.component_status(1, 1, 31, 7, ComponentState.FIRE, "", WHEN),
        f"gb:{DEVICE}:1-1:7",
        DeviceType.HEAT,
        True,
        [(ALARM, FIRE), (CLEAR, FAULT), (CLEAR, SHIELD), (CLEAR, SUPERVISORY), (CLEAR, POWER)],
    ),
    (
        "component back to normal",
        2,
        encode.component_status(1, 1, 23, 8, ComponentState.NORMAL, "", WHEN),
        f"gb:{DEVICE}:1-1:8",
        DeviceType.MANUAL_CALL_POINT,
        False,
        [(CLEAR, FIRE), (CLEAR, FAULT), (CLEAR, SHIELD), (CLEAR, SUPERVISORY), (CLEAR, POWER)],
    ),
    (
        "component shield, supervisory, power fault",
        2,
        encode.component_status(
            12,
            2,
            97,
            65_536,
            ComponentState.NORMAL | ComponentState.SHIELD | ComponentState.SUPERVISORY | ComponentState.POWER_FAULT,
            "",
            WHEN,
        ),
        f"gb:{DEVICE}:12-2:65536",
        DeviceType.OTHER,
        False,
        [(CLEAR, FIRE), (CLEAR, FAULT), (ALARM, SHIELD), (ALARM, SUPERVISORY), (ALARM, POWER)],
    ),
    (
        "reserved component bits are ignored",
        2,
        encode.component_status(1, 1, 42, 9, 0xFE01, "", WHEN),
        f"gb:{DEVICE}:1-1:9",
        DeviceType.SMOKE,
        False,
        [(CLEAR, FIRE), (CLEAR, FAULT), (CLEAR, SHIELD), (CLEAR, SUPERVISORY), (CLEAR, POWER)],
    ),
    (
        "system bus fault and backup power",
        1,
        encode.system_status(1, 2, SystemState.NORMAL | SystemState.BUS_FAULT | SystemState.BACKUP_POWER_FAULT, WHEN),
        f"gb:{DEVICE}:1-2",
        DeviceType.TRANSMISSION_DEVICE,
        False,
        [(CLEAR, FIRE), (ALARM, FAULT), (CLEAR, SHIELD), (CLEAR, SUPERVISORY), (ALARM, POWER)],
    ),
    (
        "system fire in test mode",
        1,
        encode.system_status(1, 1, SystemState.FIRE | SystemState.STARTED, WHEN),
        f"gb:{DEVICE}:1-1",
        DeviceType.TRANSMISSION_DEVICE,
        True,
        [(ALARM, FIRE), (CLEAR, FAULT), (CLEAR, SHIELD), (CLEAR, SUPERVISORY), (CLEAR, POWER)],
    ),
    (
        "device channel fault",
        21,
        encode.device_status(DeviceState.NORMAL | DeviceState.CHANNEL_FAULT, WHEN),
        f"gb:{DEVICE}",
        DeviceType.TRANSMISSION_DEVICE,
        False,
        [(CLEAR, FIRE), (ALARM, FAULT), (CLEAR, POWER)],
    ),
    (
        "device fire, line fault, main power",
        21,
        encode.device_status(
            DeviceState.NORMAL | DeviceState.FIRE | DeviceState.LINE_FAULT | DeviceState.MAIN_POWER_FAULT, WHEN
        ),
        f"gb:{DEVICE}",
        DeviceType.TRANSMISSION_DEVICE,
        False,
        [(ALARM, FIRE), (ALARM, FAULT), (ALARM, POWER)],
    ),
]


@pytest.mark.parametrize(
    ("type_flag", "obj", "device_id", "device_type", "test", "kinds"),
    [c[1:] for c in STATUS_CASES],
    ids=[c[0] for c in STATUS_CASES],
)
def test_status_words_become_one_alarm_or_clear_per_type(type_flag, obj, device_id, device_type, test, kinds):
    messages = _messages(upload_packet(5, type_flag, [obj]))
    assert _kinds(messages) == kinds
    assert {(m.device_id, m.device_type, m.test, m.source) for m in messages} == {
        (device_id, device_type, test, IngestSource.GB26875)
    }
    assert all(m.device_time == WHEN for m in messages)


def test_a_test_mode_fire_is_delivered_marked_test_with_its_description():
    fire = _messages(fire_packet(3, test=True))[0]
    assert (fire.kind, fire.alarm_type, fire.test) == (ALARM, FIRE, True)
    assert fire.detail.startswith("3楼东走廊烟感 · 点型光电感烟火灾探测器 · 火灾报警系统 1-1")
    assert "state: fire (test mode)" in fire.detail


def test_system_detail_names_the_state_bits():
    state = SystemState.NORMAL | SystemState.FIRE | SystemState.STARTED | SystemState.MANUAL
    detail = _messages(upload_packet(1, 1, [encode.system_status(18, 4, state, WHEN)]))[0].detail
    assert detail == "防烟排烟系统 18-4 · state: fire, started, manual"


ANALOG_CASES = [
    ("temperature", 3, 31, 235, Quantity.TEMPERATURE_C, 23.5, "温度 23.5 °C"),
    ("sub-zero temperature", 3, 31, -105, Quantity.TEMPERATURE_C, -10.5, "温度 -10.5 °C"),
    ("cable temperature", 3, 18, 652, Quantity.CABLE_TEMPERATURE_C, 65.2, "温度 65.2 °C"),
    ("pressure MPa", 4, 99, 3, Quantity.PRESSURE_MPA, 0.3, "压力 0.3 MPa"),
    ("pressure kPa", 5, 99, 1500, Quantity.PRESSURE_MPA, 0.15, "压力 150 kPa"),
    ("gas", 6, 11, 125, Quantity.GAS_LEL_PCT, 12.5, "气体浓度 12.5 %LEL"),
    ("tank level", 2, 92, 350, Quantity.LEVEL_M, 3.5, "高度 3.5 m"),
    ("residual current", 9, 17, 3, Quantity.RESIDUAL_CURRENT_MA, 300.0, "电流 0.3 A"),
    ("current of another component", 9, 16, 3, Quantity.OTHER, 0.3, "电流 0.3 A"),
    ("voltage", 8, 82, 2200, Quantity.OTHER, 220.0, "电压 220 V"),
    ("event count", 1, 0, 12, Quantity.OTHER, 12.0, "事件计数 12"),
    ("user-defined type", 200, 0, -7, Quantity.OTHER, -7.0, "analog type 200: raw -7"),
]


@pytest.mark.parametrize(
    ("analog_type", "component_type", "raw", "quantity", "value", "detail"),
    [c[1:] for c in ANALOG_CASES],
    ids=[c[0] for c in ANALOG_CASES],
)
def test_analog_values_become_readings_in_lanewatch_units(analog_type, component_type, raw, quantity, value, detail):
    obj = encode.component_analog(11, 1, component_type, 42, analog_type, raw, WHEN)
    [reading] = _messages(upload_packet(1, 3, [obj]))
    assert (reading.kind, reading.quantity, reading.device_id) == (
        MessageKind.READING,
        quantity,
        f"gb:{DEVICE}:11-1:42",
    )
    assert reading.value == pytest.approx(value)
    assert reading.detail.startswith(detail + " · ")


def test_operations_are_operation_messages_naming_what_was_done():
    system_ops = encode.operation_info(1, 1, SystemOperation.RESET | SystemOperation.SILENCE, 7, WHEN)
    device_ops = encode.device_operation(DeviceOperation.CHECK_RESPONSE | DeviceOperation.MANUAL_ALARM, 2, WHEN)
    [system] = _messages(upload_packet(1, 4, [system_ops]))
    [device] = _messages(upload_packet(2, 24, [device_ops]))
    assert (system.kind, system.device_id, system.alarm_type) == (MessageKind.OPERATION, f"gb:{DEVICE}:1-1", None)
    assert system.detail == "reset, silence by operator 7 · 火灾报警系统 1-1"
    assert (device.kind, device.device_id) == (MessageKind.OPERATION, f"gb:{DEVICE}")
    assert device.detail == "manual alarm, check response by operator 2 · transmission device"


def test_device_time_is_a_heartbeat_with_the_device_clock():
    [beat] = _messages(upload_packet(1, 28, [encode.device_time(WHEN)]))
    assert (beat.kind, beat.device_id, beat.device_time) == (MessageKind.HEARTBEAT, f"gb:{DEVICE}", WHEN)


def test_an_invalid_time_tag_still_delivers_the_fire():
    bad_tag = bytes([0, 0, 10, 6, 13, 24])  # month 13
    obj = encode.component_status(1, 1, 42, 1, ComponentState.NORMAL | ComponentState.FIRE, "", bad_tag)
    fire = _messages(upload_packet(1, 2, [obj]))[0]
    assert (fire.kind, fire.alarm_type, fire.device_time) == (ALARM, FIRE, None)


def test_unknown_type_flags_give_no_messages():
    assert _messages(upload_packet(1, 26, [bytes([3]) + "配置".encode("gb18030")])) == []


def test_message_ids_are_stable_per_packet_and_unique_per_event():
    packet = upload_packet(41, 2, [encode.component_status(1, 1, 42, n, 3, "", WHEN) for n in (1, 2)])
    first, again = _messages(packet), _messages(packet)
    ids = [m.message_id for m in first]
    assert ids == [m.message_id for m in again]  # a resend is the same messages
    assert len(set(ids)) == len(ids) == 10
    assert ids[0] == f"gb:{DEVICE}:41:0:0:0f1e0a060518"
    assert ids[5].startswith(f"gb:{DEVICE}:41:1:0:")
    other_serial = _messages(upload_packet(42, 2, [encode.component_status(1, 1, 42, 1, 3, "", WHEN)]))
    later = bytes([16, 30, 10, 6, 5, 24])
    same_serial_later = _messages(upload_packet(41, 2, [encode.component_status(1, 1, 42, 1, 3, "", later)]))
    assert other_serial[0].message_id != ids[0] != same_serial_later[0].message_id
