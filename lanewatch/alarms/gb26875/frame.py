"""The GB/T 26875.3-2011 data packet: layout, checksum, addresses and time tags.

A packet on the wire (6.6, table 2)::

    @@ | serial 2 (LE) | version 2 (major, minor) | time tag 6 | source 6 | destination 6
       | data length 2 (LE) | command 1 | application data | checksum 1 | ##

The checksum is the byte sum, mod 256, of everything between the start and
the checksum. Addresses are 48-bit numbers sent low byte first; lanewatch
writes them as 12 hex digits, most significant first (the number an
installer reads off the device's settings), so ``"000000000001"`` goes on
the wire as ``01 00 00 00 00 00``. Time tags are the device's local wall
clock (second, minute, hour, day, month, year - 2000) with no zone, so they
are read in a configured zone (China Standard Time by default).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import IntEnum
from zoneinfo import ZoneInfo

START = b"@@"
END = b"##"
HEADER_SIZE = 27  # start .. command byte
TRAILER_SIZE = 3  # checksum + end
LENGTH_OFFSET = 24
TIME_TAG_SIZE = 6
ADDRESS_SIZE = 6
CHINA_TZ = ZoneInfo("Asia/Shanghai")

_HEADER = struct.Struct("<2sH2B6s6s6sHB")  # start, serial, major, minor, time, source, destination, length, command


class Command(IntEnum):
    """The control unit's command byte (6.6, table 3)."""

    CONTROL = 1  # centre -> device (e.g. time sync)
    SEND_DATA = 2  # an upload: alarms and states
    CONFIRM = 3  # answer to control / send data
    REQUEST = 4  # a query
    RESPONSE = 5  # answer to a query
    DENY = 6  # negative answer: checksum, length, markers wrong


class FrameError(ValueError):
    """A byte string is not one well-formed packet; ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Frame:
    """One packet with a good checksum and end marker. ``time_tag`` is kept raw: it may be invalid."""

    serial: int
    version: tuple[int, int]
    time_tag: bytes
    source: str
    destination: str
    command: int
    data: bytes


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A packet that started well but is wrong; the header fields are what the bytes said, for the deny."""

    reason: str
    serial: int
    source: str
    destination: str
    version: tuple[int, int] = (1, 0)


def checksum(body: bytes | bytearray | memoryview) -> int:
    """Sum of the bytes mod 256 (the standard's arithmetic checksum, carries dropped)."""
    return sum(body) & 0xFF


def address_to_bytes(address: str) -> bytes:
    """12 hex digits (most significant first) -> the 6 wire bytes (low byte first)."""
    if len(address) != 2 * ADDRESS_SIZE:
        raise ValueError(f"an address is 12 hex digits, got {len(address)} characters")
    return int(address, 16).to_bytes(ADDRESS_SIZE, "little")


def address_from_bytes(raw: bytes | bytearray) -> str:
    """6 wire bytes (low byte first) -> 12 lower-case hex digits, most significant first."""
    return f"{int.from_bytes(raw, 'little'):012x}"


def encode_time_tag(when: datetime, tz: tzinfo = CHINA_TZ) -> bytes:
    """An aware datetime as the 6-byte time tag of the device's local clock in ``tz``."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("time tags are made from timezone-aware datetimes")
    local = when.astimezone(tz)
    if not 2000 <= local.year <= 2099:
        raise ValueError(f"a time tag holds years 2000-2099, not {local.year}")
    return bytes((local.second, local.minute, local.hour, local.day, local.month, local.year - 2000))


def decode_time_tag(raw: bytes, tz: tzinfo = CHINA_TZ) -> datetime | None:
    """The time a tag names in ``tz``, or None when it names no real time (month 13, 25 o'clock...)."""
    if len(raw) != TIME_TAG_SIZE:
        return None
    second, minute, hour, day, month, year = raw
    if second > 59 or year > 99:
        return None
    try:
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


def header_fields(head: bytes | bytearray) -> tuple[int, str, str, int, tuple[int, int]]:
    """Serial, source, destination, announced data length and version from the first 27 bytes of a packet."""
    _, serial, major, minor, _, source, destination, length, _ = _HEADER.unpack_from(head)
    return serial, address_from_bytes(source), address_from_bytes(destination), length, (major, minor)


def pack_frame(
    serial: int,
    command: int,
    data: bytes,
    *,
    source: str,
    destination: str,
    time_tag: bytes,
    version: tuple[int, int] = (1, 0),
) -> bytes:
    """Lay out one packet with its checksum. Values out of range raise ValueError."""
    if not 0 <= serial <= 0xFFFF:
        raise ValueError(f"the serial number is 0-65535, not {serial}")
    if not 0 <= command <= 0xFF:
        raise ValueError(f"the command byte is 0-255, not {command}")
    if len(data) > 0xFFFF:
        raise ValueError("the application data unit holds at most 65535 bytes")
    if len(time_tag) != TIME_TAG_SIZE:
        raise ValueError("a time tag is 6 bytes")
    head = _HEADER.pack(
        START,
        serial,
        version[0],
        version[1],
        bytes(time_tag),
        address_to_bytes(source),
        address_to_bytes(destination),
        len(data),
        command,
    )
    body = head[2:] + bytes(data)
    return START + body + bytes((checksum(body),)) + END


def decode_frame(packet: bytes | bytearray, *, max_data_bytes: int = 0xFFFF) -> Frame:
    """Exactly one whole packet -> Frame, or FrameError saying what is wrong with it."""
    if len(packet) < HEADER_SIZE + TRAILER_SIZE:
        raise FrameError(f"truncated: {len(packet)} bytes is shorter than the smallest packet (30)")
    if packet[:2] != START:
        raise FrameError("bad start marker")
    _, serial, major, minor, time_tag, source, destination, length, command = _HEADER.unpack_from(packet)
    if length > max_data_bytes:
        raise FrameError(f"oversized: {length} bytes of data announced, at most {max_data_bytes} accepted")
    total = HEADER_SIZE + length + TRAILER_SIZE
    if len(packet) < total:
        raise FrameError(
            f"truncated: {length} bytes of data announced, {len(packet) - HEADER_SIZE - TRAILER_SIZE} present"
        )
    if len(packet) > total or packet[total - 2 : total] != END:
        raise FrameError("bad end marker: the announced length does not fit the packet")
    if checksum(packet[2 : total - 3]) != packet[total - 3]:
        raise FrameError("bad checksum")
    return Frame(
        serial=serial,
        version=(major, minor),
        time_tag=bytes(time_tag),
        source=address_from_bytes(source),
        destination=address_from_bytes(destination),
        command=command,
        data=bytes(packet[HEADER_SIZE : HEADER_SIZE + length]),
    )
