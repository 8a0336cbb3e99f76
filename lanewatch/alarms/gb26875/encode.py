"""Builders for GB/T 26875.3 packets: the tests, the simulator and the server's answers use them.

A transmission device reporting a smoke detector in fire alarm, as bytes::

    from datetime import datetime, timezone
    from lanewatch.alarms.gb26875 import encode
    from lanewatch.alarms.gb26875.info_objects import ComponentState

    now = datetime.now(timezone.utc)
    obj = encode.component_status(1, 1, 42, 10_005, ComponentState.NORMAL | ComponentState.FIRE,
                                  "3楼东走廊烟感", now)
    packet = encode.encode_frame(7, encode.Command.SEND_DATA, encode.upload(2, [obj]),
                                 source="0000000a0001", destination="000000000000", when=now)

Every object builder takes ``when`` as an aware datetime (written in the
device's local zone ``tz``, China Standard Time by default) or as 6 raw
bytes (to build invalid time tags on purpose). Values out of range raise
ValueError. To read the centre's answer, use ``frame.decode_frame`` (one
whole packet) or ``scanner.FrameScanner`` (a stream); the answer's command
is ``Command.CONFIRM`` or ``Command.DENY`` and it echoes the serial.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from lanewatch.alarms.gb26875.codes import ANALOG_TYPES
from lanewatch.alarms.gb26875.frame import CHINA_TZ, TIME_TAG_SIZE, Command, encode_time_tag, pack_frame
from lanewatch.alarms.gb26875.info_objects import (
    ComponentAnalog,
    ComponentStatus,
    DeviceOperationInfo,
    DeviceStatus,
    DeviceTime,
    SystemOperationInfo,
    SystemStatus,
    pack_object,
)

__all__ = [
    "Command",
    "analog_raw",
    "component_analog",
    "component_status",
    "device_operation",
    "device_status",
    "device_time",
    "encode_frame",
    "operation_info",
    "system_status",
    "time_tag",
    "upload",
    "upload_frame",
]

TimeLike = datetime | bytes


def time_tag(when: TimeLike, tz: tzinfo = CHINA_TZ) -> bytes:
    """The 6-byte time tag for ``when``; raw bytes pass through unchanged (length checked)."""
    if isinstance(when, datetime):
        return encode_time_tag(when, tz)
    if len(when) != TIME_TAG_SIZE:
        raise ValueError("a raw time tag is 6 bytes")
    return bytes(when)


def system_status(
    system_type: int, system_address: int, status: int, when: TimeLike, *, tz: tzinfo = CHINA_TZ
) -> bytes:
    """Type 1 object: a building system's status word (``info_objects.SystemState`` bits)."""
    return pack_object(SystemStatus(system_type, system_address, int(status), time_tag(when, tz)))


def component_status(
    system_type: int,
    system_address: int,
    component_type: int,
    component_address: int,
    status: int,
    description: str,
    when: TimeLike,
    *,
    tz: tzinfo = CHINA_TZ,
) -> bytes:
    """Type 2 object: a component's status word (``ComponentState`` bits) and description (≤ 31 GB18030 bytes)."""
    return pack_object(
        ComponentStatus(
            system_type, system_address, component_type, component_address, int(status), description, time_tag(when, tz)
        )
    )


def component_analog(
    system_type: int,
    system_address: int,
    component_type: int,
    component_address: int,
    analog_type: int,
    raw_value: int,
    when: TimeLike,
    *,
    tz: tzinfo = CHINA_TZ,
) -> bytes:
    """Type 3 object: an analog value as raw counts (-32768..32767; see ``analog_raw``)."""
    return pack_object(
        ComponentAnalog(
            system_type, system_address, component_type, component_address, analog_type, raw_value, time_tag(when, tz)
        )
    )


def operation_info(
    system_type: int, system_address: int, flags: int, operator: int, when: TimeLike, *, tz: tzinfo = CHINA_TZ
) -> bytes:
    """Type 4 object: an operation on a building system (``SystemOperation`` bits) by operator number."""
    return pack_object(SystemOperationInfo(system_type, system_address, int(flags), operator, time_tag(when, tz)))


def device_status(status: int, when: TimeLike, *, tz: tzinfo = CHINA_TZ) -> bytes:
    """Type 21 object: the transmission device's status byte (``DeviceState`` bits)."""
    return pack_object(DeviceStatus(int(status), time_tag(when, tz)))


def device_operation(flags: int, operator: int, when: TimeLike, *, tz: tzinfo = CHINA_TZ) -> bytes:
    """Type 24 object: an operation on the transmission device (``DeviceOperation`` bits)."""
    return pack_object(DeviceOperationInfo(int(flags), operator, time_tag(when, tz)))


def device_time(when: TimeLike, *, tz: tzinfo = CHINA_TZ) -> bytes:
    """Type 28 object: the transmission device's clock."""
    return pack_object(DeviceTime(time_tag(when, tz)))


def analog_raw(analog_type: int, value: float) -> int:
    """A physical value in the analog type's unit (°C, MPa, %LEL...) -> the raw count on the wire."""
    spec = ANALOG_TYPES.get(analog_type)
    step = spec.step if spec is not None else 1
    raw = round(value / step)
    if not -32768 <= raw <= 32767:
        raise ValueError(f"{value} does not fit an analog value of type {analog_type}")
    return raw


def upload(info_type: int, objects: Sequence[bytes]) -> bytes:
    """The application data unit: type flag, object count, the objects (all of that type)."""
    if not 0 <= info_type <= 255:
        raise ValueError(f"the type flag is 0-255, not {info_type}")
    if len(objects) > 255:
        raise ValueError("one data unit holds at most 255 objects")
    return bytes((info_type, len(objects))) + b"".join(objects)


def encode_frame(
    serial: int,
    command: int,
    data: bytes,
    *,
    source: str,
    destination: str,
    when: TimeLike,
    version: tuple[int, int] = (1, 0),
    tz: tzinfo = CHINA_TZ,
) -> bytes:
    """One whole packet. ``source``/``destination`` are 12 hex digits; ``when`` is the send time."""
    return pack_frame(
        serial, int(command), data, source=source, destination=destination, time_tag=time_tag(when, tz), version=version
    )


def upload_frame(
    serial: int,
    info_type: int,
    objects: Sequence[bytes],
    *,
    source: str,
    destination: str,
    when: TimeLike,
    tz: tzinfo = CHINA_TZ,
) -> bytes:
    """Shortcut: a send-data packet (command 2) carrying one data unit of ``objects``."""
    return encode_frame(
        serial, Command.SEND_DATA, upload(info_type, objects), source=source, destination=destination, when=when, tz=tz
    )
