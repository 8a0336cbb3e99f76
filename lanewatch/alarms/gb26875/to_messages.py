"""Decoded GB/T 26875.3 objects -> normalised ``SensorMessage`` values.

Device ids name what reported, under the transmission device that sent it::

    gb:<device address>                                  the transmission device
    gb:<device address>:<system type>-<system address>   a building system (panel)
    gb:<device address>:<system type>-<system address>:<component address>

Status words become one message per alarm type the word can express: ALARM
when any of its bits is set, CLEAR when none is (the alarm service ignores
clears of alarms that are not active). Bit 0 clear means the device is in
test mode: the messages carry ``test=True`` and are still delivered — a fire
reported in test mode is never dropped here.

Message ids are ``gb:<address>:<serial>:<object>:<message>:<object time tag>``:
a device resending a packet it got no confirm for repeats the serial and the
objects, so downstream dedup counts it once; the time tag keeps a new event
apart from an old one when a device restarts its serials at 0 on reconnect.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from enum import IntFlag

from lanewatch.alarms.gb26875 import codes
from lanewatch.alarms.gb26875.frame import CHINA_TZ, Frame, decode_time_tag
from lanewatch.alarms.gb26875.info_objects import (
    ComponentAnalog,
    ComponentState,
    ComponentStatus,
    DeviceOperation,
    DeviceOperationInfo,
    DeviceState,
    DeviceStatus,
    DeviceTime,
    InfoObject,
    SystemOperation,
    SystemOperationInfo,
    SystemState,
    SystemStatus,
    Upload,
)
from lanewatch.alarms.messages import AlarmType, DeviceType, IngestSource, MessageKind, Quantity, SensorMessage

DETAIL_LIMIT = 500

# Which bits raise which alarm type, per status word, in the order the messages are made.
_SYSTEM_ALARMS = (
    (AlarmType.FIRE, SystemState.FIRE),
    (AlarmType.FAULT, SystemState.FAULT | SystemState.BUS_FAULT),
    (AlarmType.SHIELD, SystemState.SHIELD),
    (AlarmType.SUPERVISORY, SystemState.SUPERVISORY),
    (AlarmType.POWER_FAULT, SystemState.MAIN_POWER_FAULT | SystemState.BACKUP_POWER_FAULT),
)
_COMPONENT_ALARMS = (
    (AlarmType.FIRE, ComponentState.FIRE),
    (AlarmType.FAULT, ComponentState.FAULT),
    (AlarmType.SHIELD, ComponentState.SHIELD),
    (AlarmType.SUPERVISORY, ComponentState.SUPERVISORY),
    (AlarmType.POWER_FAULT, ComponentState.POWER_FAULT),
)
_DEVICE_ALARMS = (
    (AlarmType.FIRE, DeviceState.FIRE),
    (AlarmType.FAULT, DeviceState.FAULT | DeviceState.CHANNEL_FAULT | DeviceState.LINE_FAULT),
    (AlarmType.POWER_FAULT, DeviceState.MAIN_POWER_FAULT | DeviceState.BACKUP_POWER_FAULT),
)


def upload_to_messages(frame: Frame, upload: Upload, *, tz: tzinfo = CHINA_TZ) -> list[SensorMessage]:
    """Every message the upload's objects say, in object order; none for unknown type flags."""
    messages: list[SensorMessage] = []
    for index, obj in enumerate(upload.objects):
        for number, fields in enumerate(_object_fields(frame.source, obj)):
            tag = getattr(obj, "time_tag", frame.time_tag)
            messages.append(
                SensorMessage(
                    device_time=decode_time_tag(tag, tz),
                    message_id=f"gb:{frame.source}:{frame.serial}:{index}:{number}:{tag.hex()}",
                    source=IngestSource.GB26875,
                    **fields,
                )
            )
    return messages


def _object_fields(address: str, obj: InfoObject) -> list[dict]:
    """The per-message fields (all but time, id and source) for one object."""
    device = f"gb:{address}"
    if isinstance(obj, SystemStatus):
        system = _system_id(device, obj.system_type, obj.system_address)
        context = _system_text(obj.system_type, obj.system_address)
        return _status_fields(system, DeviceType.TRANSMISSION_DEVICE, SystemState(obj.status), _SYSTEM_ALARMS, context)
    if isinstance(obj, ComponentStatus):
        component = f"{_system_id(device, obj.system_type, obj.system_address)}:{obj.component_address}"
        context = _component_text(obj.description, obj.component_type, obj.system_type, obj.system_address)
        return _status_fields(
            component,
            codes.component_device_type(obj.component_type),
            ComponentState(obj.status),
            _COMPONENT_ALARMS,
            context,
        )
    if isinstance(obj, ComponentAnalog):
        return [_analog_fields(device, obj)]
    if isinstance(obj, DeviceStatus):
        return _status_fields(
            device, DeviceType.TRANSMISSION_DEVICE, DeviceState(obj.status), _DEVICE_ALARMS, "transmission device"
        )
    if isinstance(obj, SystemOperationInfo):
        system = _system_id(device, obj.system_type, obj.system_address)
        text = (
            f"{_operations(SystemOperation(obj.flags))} by operator {obj.operator} · "
            f"{_system_text(obj.system_type, obj.system_address)}"
        )
        return [_operation_fields(system, text)]
    if isinstance(obj, DeviceOperationInfo):
        text = f"{_operations(DeviceOperation(obj.flags))} by operator {obj.operator} · transmission device"
        return [_operation_fields(device, text)]
    if isinstance(obj, DeviceTime):
        return [
            {
                "device_id": device,
                "kind": MessageKind.HEARTBEAT,
                "device_type": DeviceType.TRANSMISSION_DEVICE,
                "detail": "transmission device clock",
            }
        ]
    return []


def _status_fields(
    device_id: str, device_type: DeviceType, state: IntFlag, alarms: Iterable[tuple[AlarmType, IntFlag]], context: str
) -> list[dict]:
    """One ALARM or CLEAR per alarm type the status word can express; test when bit 0 is clear."""
    test = not state & 1
    detail = _clip(f"{context} · state: {_flag_names(state, skip=1) or 'normal'}{' (test mode)' if test else ''}")
    return [
        {
            "device_id": device_id,
            "kind": MessageKind.ALARM if state & bits else MessageKind.CLEAR,
            "alarm_type": alarm_type,
            "test": test,
            "device_type": device_type,
            "detail": detail,
        }
        for alarm_type, bits in alarms
    ]


def _analog_fields(device: str, obj: ComponentAnalog) -> dict:
    """A reading in lanewatch's quantity and unit; OTHER (with the unit in the detail) when it has none."""
    component = f"{_system_id(device, obj.system_type, obj.system_address)}:{obj.component_address}"
    spec = codes.ANALOG_TYPES.get(obj.analog_type)
    where = f"{codes.component_type_name(obj.component_type)} · {_system_text(obj.system_type, obj.system_address)}"
    if spec is None:
        quantity, value = Quantity.OTHER, float(obj.raw_value)
        detail = f"analog type {obj.analog_type}: raw {obj.raw_value} · {where}"
    else:
        measured = round(obj.raw_value * spec.step, 6)
        quantity, value = spec.quantity, round(measured * spec.to_quantity, 9)
        if obj.analog_type == 3 and obj.component_type in codes.ELECTRICAL_COMPONENTS:
            quantity = Quantity.CABLE_TEMPERATURE_C
        elif obj.analog_type == 9 and obj.component_type == codes.RESIDUAL_CURRENT_COMPONENT:
            quantity, value = Quantity.RESIDUAL_CURRENT_MA, round(measured * 1000, 6)
        detail = f"{spec.name} {measured:g} {spec.unit}".rstrip() + f" · {where}"
    return {
        "device_id": component,
        "kind": MessageKind.READING,
        "quantity": quantity,
        "value": value,
        "device_type": codes.component_device_type(obj.component_type),
        "detail": _clip(detail),
    }


def _operation_fields(device_id: str, text: str) -> dict:
    device_type = DeviceType.TRANSMISSION_DEVICE
    return {"device_id": device_id, "kind": MessageKind.OPERATION, "device_type": device_type, "detail": _clip(text)}


def _system_id(device: str, system_type: int, system_address: int) -> str:
    return f"{device}:{system_type}-{system_address}"


def _system_text(system_type: int, system_address: int) -> str:
    return f"{codes.system_type_name(system_type)} {system_type}-{system_address}"


def _component_text(description: str, component_type: int, system_type: int, system_address: int) -> str:
    parts = [description] if description else []
    parts += [codes.component_type_name(component_type), _system_text(system_type, system_address)]
    return " · ".join(parts)


def _flag_names(flags: IntFlag, *, skip: int = 0) -> str:
    """The set bits as words (``MAIN_POWER_FAULT`` -> "main power fault"), leaving out ``skip``."""
    return ", ".join(
        (flag.name or str(int(flag))).lower().replace("_", " ") for flag in type(flags) if flag & flags and flag != skip
    )


def _operations(flags: IntFlag) -> str:
    return _flag_names(flags) or "no operation"


def _clip(text: str) -> str:
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 1] + "…"
