"""The packet codec: layout, checksum, addresses, time tags, and every way a packet can be broken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lanewatch.alarms.gb26875 import encode
from lanewatch.alarms.gb26875.frame import (
    CHINA_TZ,
    Command,
    FrameError,
    address_from_bytes,
    address_to_bytes,
    decode_frame,
    decode_time_tag,
    encode_time_tag,
)
from tests.alarms.gb26875.conftest import CENTRE, DEVICE, WHEN, fire_packet


def test_layout_matches_the_standard_byte_for_byte():
    data = bytes([21, 1, 0b1, 15, 30, 10, 6, 5, 24])
    packet = encode.encode_frame(
        0x1234, Command.SEND_DATA, data, source="0000000a0001", destination="000000000002", when=WHEN
    )
    assert packet[:2] == b"@@"
    assert packet[2:4] == b"\x34\x12"  # serial, low byte first
    assert packet[4:6] == b"\x01\x00"  # version 1.0
    assert packet[6:12] == bytes([15, 30, 10, 6, 5, 24])  # 10:30:15 6 May 2024, Shanghai time
    assert packet[12:18] == bytes([0x01, 0x00, 0x0A, 0, 0, 0])  # source address, low byte first
    assert packet[18:24] == bytes([0x02, 0, 0, 0, 0, 0])
    assert packet[24:26] == bytes([len(data), 0])  # data length, little-endian
    assert packet[26] == 2
    assert packet[27 : 27 + len(data)] == data
    assert packet[-3] == sum(packet[2:-3]) % 256
    assert packet[-2:] == b"##"
    assert len(packet) == 30 + len(data)


def test_round_trip_keeps_every_header_field():
    packet = encode.encode_frame(
        65535, Command.CONFIRM, b"", source=CENTRE, destination=DEVICE, when=WHEN, version=(1, 7)
    )
    frame = decode_frame(packet)
    assert (frame.serial, frame.version, frame.command, frame.data) == (65535, (1, 7), 3, b"")
    assert (frame.source, frame.destination) == (CENTRE, DEVICE)
    assert decode_time_tag(frame.time_tag) == WHEN


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("000000000001", b"\x01\x00\x00\x00\x00\x00"),
        ("0102030405aa", b"\xaa\x05\x04\x03\x02\x01"),
        ("FFFFFFFFFFFF", b"\xff" * 6),
    ],
)
def test_addresses_are_numbers_sent_low_byte_first(text, wire):
    assert address_to_bytes(text) == wire
    assert address_from_bytes(wire) == text.lower()


def _corrupt(packet: bytes, index: int, value: int) -> bytes:
    return packet[:index] + bytes([value]) + packet[index + 1 :]


GOOD = fire_packet(7)
CORRUPTIONS = [
    ("wrong checksum", _corrupt(GOOD, len(GOOD) - 3, (GOOD[-3] + 1) % 256), "bad checksum"),
    ("flipped data byte", _corrupt(GOOD, 30, GOOD[30] ^ 0x10), "bad checksum"),
    ("length one too big", _corrupt(GOOD, 24, GOOD[24] + 1), "truncated"),
    ("length one too small", _corrupt(GOOD, 24, GOOD[24] - 1), "bad end marker"),
    ("truncated", GOOD[:-5], "truncated"),
    ("only a header", GOOD[:20], "truncated"),
    ("bad end marker", GOOD[:-1] + b"$", "bad end marker"),
    ("bad start marker", b"@#" + GOOD[2:], "bad start marker"),
    ("trailing bytes", GOOD + b"\x00", "bad end marker"),
]


@pytest.mark.parametrize(("packet", "reason"), [(p, r) for _, p, r in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS])
def test_every_corruption_is_refused_with_its_reason(packet, reason):
    with pytest.raises(FrameError) as caught:
        decode_frame(packet)
    assert caught.value.reason.startswith(reason)


def test_oversized_packet_is_refused_before_reading_its_data():
    big = encode.encode_frame(1, Command.SEND_DATA, bytes(100), source=DEVICE, destination=CENTRE, when=WHEN)
    assert decode_frame(big, max_data_bytes=100).data == bytes(100)
    with pytest.raises(FrameError, match="oversized: 100 bytes"):
        decode_frame(big, max_data_bytes=64)


def test_the_good_packet_itself_decodes():
    assert decode_frame(GOOD).serial == 7


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (bytes([15, 30, 10, 6, 5, 24]), datetime(2024, 5, 6, 10, 30, 15, tzinfo=CHINA_TZ)),
        (bytes([0, 0, 0, 1, 1, 0]), datetime(2000, 1, 1, tzinfo=CHINA_TZ)),
        (bytes([59, 59, 23, 31, 12, 99]), datetime(2099, 12, 31, 23, 59, 59, tzinfo=CHINA_TZ)),
        (bytes([0, 0, 0, 29, 2, 24]), datetime(2024, 2, 29, tzinfo=CHINA_TZ)),
        (bytes([0, 0, 0, 1, 13, 24]), None),  # month 13
        (bytes([0, 0, 0, 0, 5, 24]), None),  # day 0
        (bytes([0, 0, 0, 30, 2, 24]), None),  # 30 February
        (bytes([0, 0, 24, 1, 5, 24]), None),  # 24 o'clock
        (bytes([0, 60, 0, 1, 5, 24]), None),  # minute 60
        (bytes([60, 0, 0, 1, 5, 24]), None),  # second 60
        (bytes([0, 0, 0, 1, 5, 100]), None),  # year 2100
        (bytes([0xFF] * 6), None),
        (bytes(5), None),  # too short
    ],
)
def test_time_tags_are_local_time_and_invalid_ones_are_none(raw, expected):
    assert decode_time_tag(raw) == expected


def test_time_tags_are_written_in_the_devices_zone():
    assert encode_time_tag(WHEN) == bytes([15, 30, 10, 6, 5, 24])
    assert encode_time_tag(WHEN, UTC) == bytes([15, 30, 2, 6, 5, 24])
    assert encode_time_tag(WHEN.astimezone(timezone(timedelta(hours=-5)))) == bytes([15, 30, 10, 6, 5, 24])


def test_naive_and_out_of_range_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        encode_time_tag(datetime(2024, 5, 6))
    with pytest.raises(ValueError, match="2000-2099"):
        encode_time_tag(datetime(1999, 5, 6, tzinfo=CHINA_TZ))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"serial": 70000}, "serial"),
        ({"command": 300}, "command"),
        ({"source": "12345"}, "12 hex digits"),
        ({"when": b"\x00\x00"}, "6 bytes"),
    ],
)
def test_encoder_refuses_values_that_do_not_fit(kwargs, message):
    args = {"serial": 1, "command": 2, "source": DEVICE, "when": WHEN} | kwargs
    with pytest.raises(ValueError, match=message):
        encode.encode_frame(
            args["serial"], args["command"], b"", source=args["source"], destination=CENTRE, when=args["when"]
        )
