"""The stream scanner: packets come out whole and in order, whatever the reads and the noise."""

from __future__ import annotations

import pytest

from lanewatch.alarms.gb26875 import encode
from lanewatch.alarms.gb26875.frame import BadFrame, Command, Frame
from lanewatch.alarms.gb26875.scanner import FrameScanner
from tests.alarms.gb26875.conftest import CENTRE, DEVICE, WHEN, fire_packet


def _scan(chunks: list[bytes], *, max_data_bytes: int = 1024) -> tuple[list[Frame | BadFrame], FrameScanner]:
    scanner = FrameScanner(max_data_bytes)
    found: list[Frame | BadFrame] = []
    for chunk in chunks:
        found += scanner.feed(chunk)
    return found, scanner


def _summary(found: list[Frame | BadFrame]) -> list[tuple[str, int]]:
    return [("ok" if isinstance(item, Frame) else item.reason.split(":")[0], item.serial) for item in found]


def _bad_checksum(packet: bytes) -> bytes:
    return packet[:-3] + bytes([(packet[-3] + 1) % 256]) + packet[-2:]


A, B, C = fire_packet(1), fire_packet(2), fire_packet(3)
CASES = [
    ("one packet", [A], [("ok", 1)], 0),
    ("three packets in one read", [A + B + C], [("ok", 1), ("ok", 2), ("ok", 3)], 0),
    ("split in two reads", [A[:20], A[20:]], [("ok", 1)], 0),
    ("split inside the start marker", [A[:1], A[1:]], [("ok", 1)], 0),
    ("byte by byte", [bytes([b]) for b in A + B], [("ok", 1), ("ok", 2)], 0),
    ("garbage before", [b"\x00\xffAT+OK\r\n" + A], [("ok", 1)], 9),
    ("garbage between", [A + b"noise" + B], [("ok", 1), ("ok", 2)], 5),
    ("garbage ending in @", [A + b"xyz@", B], [("ok", 1), ("ok", 2)], 4),
    ("lone @ before a packet", [b"@" + A], [("ok", 1)], 1),
    ("bad checksum between good ones", [A + _bad_checksum(B) + C], [("ok", 1), ("bad checksum", 2), ("ok", 3)], len(B)),
    ("length lies (too small)", [A[:24] + bytes([A[24] - 1]) + A[25:] + B], [("bad end marker", 1), ("ok", 2)], len(A)),
    ("bad end marker", [A[:-1] + b"!" + B], [("bad end marker", 1), ("ok", 2)], len(A)),
    ("implausible false start is skipped quietly", [b"@@" + bytes(30) + A], [("ok", 1)], 32),
]


@pytest.mark.parametrize(("chunks", "expected", "discarded"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_packets_come_out_whole_and_in_order(chunks, expected, discarded):
    found, scanner = _scan(chunks)
    assert _summary(found) == expected
    assert scanner.bytes_discarded == discarded
    assert scanner.pending == 0


def test_a_false_start_in_garbage_does_not_hold_back_the_packet_behind_it():
    # "@@" followed by a header announcing 1000 bytes: the real packet must not wait for them.
    false_start = b"@@" + bytes(22) + (1000).to_bytes(2, "little") + b"\x02"
    found, scanner = _scan([false_start + A])
    assert _summary(found) == [("ok", 1)]
    assert scanner.pending == 0


def test_an_oversized_packet_is_refused_and_the_next_one_still_found():
    big = encode.encode_frame(9, Command.SEND_DATA, bytes(200), source=DEVICE, destination=CENTRE, when=WHEN)
    found, scanner = _scan([big + A], max_data_bytes=64)
    assert _summary(found) == [("oversized", 9), ("ok", 1)]
    assert found[0].source == DEVICE
    assert scanner.pending == 0


def test_a_packet_cut_off_is_left_pending_not_delivered():
    found, scanner = _scan([A + B[:40]])
    assert _summary(found) == [("ok", 1)]
    assert scanner.pending == 40


def test_garbage_without_a_start_marker_floods_and_a_good_packet_resets_the_count():
    scanner = FrameScanner(1024, max_garbage_bytes=100)
    scanner.feed(b"x" * 90 + A)
    assert not scanner.flooded and scanner.garbage_run == 0
    scanner.feed(b"x" * 101)
    assert scanner.flooded
    assert scanner.pending == 0  # garbage is never buffered


def test_the_buffer_stays_bounded_by_one_packet():
    scanner = FrameScanner(64)
    for _ in range(200):
        scanner.feed(b"@" * 512)  # an endless false start: "@@@@..." announcing 0x4040 bytes
        assert scanner.pending <= 27
