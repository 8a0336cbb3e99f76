"""Information objects of an upload (command 2), decoded from and packed into bytes.

The application data unit is ``type flag 1 | object count 1 | objects``;
every object of one unit has the same fixed layout (8.2, 8.3). Each object
class below owns its layout (``FORMAT``), so decoding and the encoders in
``encode.py`` cannot drift apart. Status and operation words are kept as
integers with ``IntFlag`` views: a device may set reserved bits, and those
must not make a fire alarm undecodable.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, fields
from enum import IntFlag
from typing import ClassVar

DESCRIPTION_SIZE = 31
DESCRIPTION_ENCODING = "gb18030"


class DataUnitError(ValueError):
    """The application data unit does not match its type flag and object count."""


class SystemState(IntFlag):
    """Status word of a building fire-facility system (8.2.1.1). NORMAL clear means test mode."""

    NORMAL = 1 << 0
    FIRE = 1 << 1
    FAULT = 1 << 2
    SHIELD = 1 << 3
    SUPERVISORY = 1 << 4
    STARTED = 1 << 5
    FEEDBACK = 1 << 6
    DELAY = 1 << 7
    MAIN_POWER_FAULT = 1 << 8
    BACKUP_POWER_FAULT = 1 << 9
    BUS_FAULT = 1 << 10
    MANUAL = 1 << 11  # the standard: 1 manual, 0 automatic
    CONFIG_CHANGED = 1 << 12
    RESET = 1 << 13


class ComponentState(IntFlag):
    """Status word of a component (8.2.1.2). NORMAL clear means test mode."""

    NORMAL = 1 << 0
    FIRE = 1 << 1
    FAULT = 1 << 2
    SHIELD = 1 << 3
    SUPERVISORY = 1 << 4
    STARTED = 1 << 5
    FEEDBACK = 1 << 6
    DELAY = 1 << 7
    POWER_FAULT = 1 << 8


class DeviceState(IntFlag):
    """Status byte of the user information transmission device (8.2.1.8). NORMAL clear means test mode."""

    NORMAL = 1 << 0
    FIRE = 1 << 1
    FAULT = 1 << 2
    MAIN_POWER_FAULT = 1 << 3
    BACKUP_POWER_FAULT = 1 << 4
    CHANNEL_FAULT = 1 << 5  # the link to the monitoring centre
    LINE_FAULT = 1 << 6  # the wiring to the monitored panels


class SystemOperation(IntFlag):
    """Operation flags of a building system (8.2.1.4)."""

    RESET = 1 << 0
    SILENCE = 1 << 1
    MANUAL_ALARM = 1 << 2
    ALARM_CLEARED = 1 << 3
    SELF_TEST = 1 << 4
    CONFIRM = 1 << 5
    TEST = 1 << 6


class DeviceOperation(IntFlag):
    """Operation flags of the transmission device (8.2.1.9)."""

    RESET = 1 << 0
    SILENCE = 1 << 1
    MANUAL_ALARM = 1 << 2
    ALARM_CLEARED = 1 << 3
    SELF_TEST = 1 << 4
    CHECK_RESPONSE = 1 << 5  # the answer to the centre's duty check (查岗应答)
    TEST = 1 << 6


def encode_description(text: str) -> bytes:
    """A component description as 31 GB18030 bytes, NUL padded, cut on a character boundary."""
    raw = b""
    for char in text:
        piece = char.encode(DESCRIPTION_ENCODING)
        if len(raw) + len(piece) > DESCRIPTION_SIZE:
            break
        raw += piece
    return raw.ljust(DESCRIPTION_SIZE, b"\x00")


def decode_description(raw: bytes) -> str:
    """31 GB18030 bytes -> text without padding; undecodable bytes become U+FFFD, never an error."""
    return raw.split(b"\x00", 1)[0].decode(DESCRIPTION_ENCODING, errors="replace").strip()


@dataclass(frozen=True, slots=True)
class SystemStatus:
    """Type 1: one building fire-facility system's status word."""

    TYPE: ClassVar[int] = 1
    FORMAT: ClassVar[struct.Struct] = struct.Struct("<BBH6s")
    system_type: int
    system_address: int
    status: int
    time_tag: bytes


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    """Type 2: one component's status word and its installer's description."""

    TYPE: ClassVar[int] = 2
    FORMAT: ClassVar[struct.Struct] = struct.Struct("<BBBIH31s6s")
    system_type: int
    system_address: int
    component_type: int
    component_address: int
    status: int
    description: str
    time_tag: bytes


@dataclass(frozen=True, slots=True)
class ComponentAnalog:
    """Type 3: one analog value of a component, as the raw signed count (see codes.ANALOG_TYPES)."""

    TYPE: ClassVar[int] = 3
    FORMAT: ClassVar[struct.Struct] = struct.Struct("<BBBIBh6s")
    system_type: int
    system_address: int
    component_type: int
    component_address: int
    analog_type: int
    raw_value: int
    time_tag: bytes


@dataclass(frozen=True, slots=True)
class SystemOperationInfo:
    """Type 4: an operator action on a building system's panel."""

    TYPE: ClassVar[int] = 4
    FORMAT: ClassVar[struct.Struct] = struct.Struct("<BBBB6s")
    system_type: int
    system_address: int
    flags: int
    operator: int
    time_tag: bytes


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """Type 21: the transmission device's own status byte."""

    TYPE: ClassVar[int] = 21
    FORMAT: ClassVar[struct.Struct] = struct.Struct("<B6s")
    status: int
    time_tag: bytes


@dataclass(frozen=True, slots=True)
class DeviceOperationInfo:
    """Type 24: an operator action on the transmission device."""

    TYPE: ClassVar[int] = 24
    FORMAT: ClassVar[struct.Struct] = struct.Struct("<BB6s")
    flags: int
    operator: int
    time_tag: bytes


@dataclass(frozen=True, slots=True)
class DeviceTime:
    """Type 28: the transmission device's clock (lanewatch treats it as a heartbeat)."""

    TYPE: ClassVar[int] = 28
    FORMAT: ClassVar[struct.Struct] = struct.Struct("<6s")
    time_tag: bytes


InfoObject = (
    SystemStatus
    | ComponentStatus
    | ComponentAnalog
    | SystemOperationInfo
    | DeviceStatus
    | DeviceOperationInfo
    | DeviceTime
)
OBJECT_CLASSES: dict[int, type[InfoObject]] = {
    cls.TYPE: cls
    for cls in (
        SystemStatus,
        ComponentStatus,
        ComponentAnalog,
        SystemOperationInfo,
        DeviceStatus,
        DeviceOperationInfo,
        DeviceTime,
    )
}


def pack_object(obj: InfoObject) -> bytes:
    """One information object as its wire bytes."""
    values = [getattr(obj, field.name) for field in fields(obj)]
    if isinstance(obj, ComponentStatus):
        values[5] = encode_description(obj.description)
    try:
        return obj.FORMAT.pack(*values)
    except struct.error as exc:
        raise ValueError(f"type {obj.TYPE} object out of range: {exc}") from None


def _unpack_object(cls: type[InfoObject], raw: bytes) -> InfoObject:
    values = list(cls.FORMAT.unpack(raw))
    if cls is ComponentStatus:
        values[5] = decode_description(values[5])
    return cls(*values)


@dataclass(frozen=True, slots=True)
class Upload:
    """A decoded application data unit. ``known`` is False for type flags lanewatch does not decode."""

    type_flag: int
    count: int
    objects: tuple[InfoObject, ...]
    known: bool


def decode_upload(data: bytes) -> Upload:
    """The application data unit of an upload -> its objects; DataUnitError when the sizes disagree."""
    if len(data) < 2:
        raise DataUnitError(f"the data unit needs a type flag and an object count, got {len(data)} bytes")
    type_flag, count = data[0], data[1]
    cls = OBJECT_CLASSES.get(type_flag)
    if cls is None:
        return Upload(type_flag, count, (), known=False)
    size = cls.FORMAT.size
    if len(data) - 2 != count * size:
        raise DataUnitError(f"type {type_flag} with {count} objects needs {2 + count * size} bytes, got {len(data)}")
    objects = tuple(_unpack_object(cls, data[2 + i * size : 2 + (i + 1) * size]) for i in range(count))
    return Upload(type_flag, count, objects, known=True)
