"""The TCP server on 127.0.0.1 with real socket clients: confirm after store, deny on every check error."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from lanewatch.alarms.gb26875 import Gb26875ServerThread, encode
from lanewatch.alarms.gb26875.frame import Command, Frame, decode_time_tag
from lanewatch.alarms.gb26875.scanner import FrameScanner
from lanewatch.alarms.messages import AlarmType, MessageKind
from lanewatch.config import Gb26875Config
from tests.alarms.gb26875.conftest import CENTRE, DEVICE, WHEN, RecordingSink, fire_packet, upload_packet


class Client:
    """A transmission device: a blocking socket that reads the centre's answers as packets."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=2.0)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.scanner = FrameScanner(1024)
        self.pending: list[Frame] = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answers(self, count: int) -> list[Frame]:
        while len(self.pending) < count:
            chunk = self.sock.recv(4096)
            assert chunk, f"connection closed after {len(self.pending)} of {count} answers"
            self.pending += [item for item in self.scanner.feed(chunk) if isinstance(item, Frame)]
        taken, self.pending = self.pending[:count], self.pending[count:]
        return taken

    def closed_by_server(self) -> bool:
        try:
            return self.sock.recv(4096) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def start(sink):
    """Start a server thread on an ephemeral port (config overrides as keywords); stopped after the test."""
    servers: list[Gb26875ServerThread] = []
    clients: list[Client] = []

    def _start(*, sink_=None, max_garbage_bytes: int = 65_536, **config) -> tuple[Gb26875ServerThread, Client]:
        settings = Gb26875Config(**({"host": "127.0.0.1", "port": 0, "centre_address": CENTRE} | config))
        server = Gb26875ServerThread(sink_ or sink, settings, max_garbage_bytes=max_garbage_bytes)
        server.start()
        servers.append(server)
        client = Client(server.port)
        clients.append(client)
        return server, client

    yield _start
    for client in clients:
        client.close()
    for server in servers:
        server.stop()


def _wait(condition, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def _is_answer(frame: Frame, command: Command, serial: int) -> bool:
    return (frame.command, frame.serial, frame.source, frame.destination, frame.data) == (
        command,
        serial,
        CENTRE,
        DEVICE,
        b"",
    )


def test_an_upload_is_confirmed_with_its_serial_after_the_sink_stored_it(start):
    class SlowSink(RecordingSink):
        def submit(self, messages, received_at):
            time.sleep(0.2)  # a slow database: the confirm must still come after it
            return super().submit(messages, received_at)

    slow = SlowSink()
    server, client = start(sink_=slow)
    client.send(fire_packet(513))
    [answer] = client.answers(1)
    assert _is_answer(answer, Command.CONFIRM, 513)
    assert decode_time_tag(answer.time_tag) is not None  # the answer carries the current time
    assert next((m.kind, m.alarm_type) for m in slow.messages) == (MessageKind.ALARM, AlarmType.FIRE)
    assert slow.messages[0].device_id == f"gb:{DEVICE}:1-1:10005"
    assert server.server.frames_ok == 1


def test_several_packets_in_one_send_are_answered_in_order(start, sink):
    _server, client = start()
    client.send(fire_packet(1) + fire_packet(2) + fire_packet(3))
    assert [a.serial for a in client.answers(3)] == [1, 2, 3]
    assert [batch[0][0].message_id.split(":")[2] for batch in sink.batches] == ["1", "2", "3"]


@pytest.mark.parametrize("pieces", [2, 7, "bytes"])
def test_a_packet_split_across_sends_is_reassembled(start, sink, pieces):
    _server, client = start()
    packet = fire_packet(77)
    if pieces == "bytes":
        chunks = [packet[i : i + 1] for i in range(len(packet))]
    else:
        size = -(-len(packet) // pieces)
        chunks = [packet[i : i + size] for i in range(0, len(packet), size)]
    for chunk in chunks:
        client.send(chunk)
        time.sleep(0.002)
    [answer] = client.answers(1)
    assert _is_answer(answer, Command.CONFIRM, 77)
    assert len(sink.batches) == 1


def test_garbage_before_a_good_packet_is_skipped_and_counted(start, sink):
    server, client = start()
    garbage = b"\r\nAT+CIPSEND=78\r\n\x00\xff"
    client.send(garbage + fire_packet(5))
    assert _is_answer(client.answers(1)[0], Command.CONFIRM, 5)
    assert server.server.bytes_discarded == len(garbage)


@pytest.mark.parametrize(
    ("name", "corrupt"),
    [
        ("wrong checksum", lambda p: p[:-3] + bytes([(p[-3] + 1) % 256]) + p[-2:]),
        ("length does not fit", lambda p: p[:24] + bytes([p[24] - 2]) + p[25:]),
        ("bad end marker", lambda p: p[:-2] + b"#!"),
        ("malformed data unit", lambda p: upload_packet(9, 2, [bytes(45)])),
    ],
)
def test_a_bad_packet_is_denied_and_the_next_good_one_confirmed(start, sink, name, corrupt):
    server, client = start()
    client.send(corrupt(fire_packet(9)) + fire_packet(10))
    deny, confirm = client.answers(2)
    assert _is_answer(deny, Command.DENY, 9)
    assert _is_answer(confirm, Command.CONFIRM, 10)
    assert [m.message_id.split(":")[2] for m in sink.messages] == ["10"] * 5
    assert (server.server.frames_denied, server.server.frames_ok) == (1, 1)


def test_a_sink_that_raises_gets_a_deny_and_the_resend_is_stored(start, sink):
    _server, client = start()
    sink.fail = True
    client.send(fire_packet(300))
    assert _is_answer(client.answers(1)[0], Command.DENY, 300)
    assert sink.messages == []
    sink.fail = False
    client.send(fire_packet(300))  # the device resends the same packet
    assert _is_answer(client.answers(1)[0], Command.CONFIRM, 300)
    assert sink.messages[0].alarm_type == AlarmType.FIRE


def test_a_test_mode_fire_alarm_is_delivered_with_test_true(start, sink):
    _server, client = start()
    client.send(fire_packet(8, test=True, description="地下车库手报"))
    assert client.answers(1)[0].command == Command.CONFIRM
    fire = sink.messages[0]
    assert (fire.kind, fire.alarm_type, fire.test) == (MessageKind.ALARM, AlarmType.FIRE, True)
    assert fire.detail.startswith("地下车库手报")


def test_an_oversized_packet_is_denied_dropped_and_skipped(start, sink):
    server, client = start(max_data_bytes=64)
    big = encode.encode_frame(11, Command.SEND_DATA, bytes(500), source=DEVICE, destination=CENTRE, when=WHEN)
    client.send(big + fire_packet(12))
    deny, confirm = client.answers(2)
    assert _is_answer(deny, Command.DENY, 11) and _is_answer(confirm, Command.CONFIRM, 12)
    assert server.server.frames_dropped == 1
    assert len(sink.batches) == 1


def test_unknown_type_flags_are_confirmed_without_messages(start, sink):
    _server, client = start()
    client.send(upload_packet(20, 25, [bytes([2, 1])]))  # transmission device software version
    assert _is_answer(client.answers(1)[0], Command.CONFIRM, 20)
    assert sink.batches == []


def test_answers_from_the_device_are_not_answered_and_requests_are_denied(start, sink):
    server, client = start()
    confirm = encode.encode_frame(1, Command.CONFIRM, b"", source=DEVICE, destination=CENTRE, when=WHEN)
    request = encode.encode_frame(2, Command.REQUEST, bytes([61, 1]), source=DEVICE, destination=CENTRE, when=WHEN)
    client.send(confirm + request + fire_packet(3))
    deny, ok = client.answers(2)  # nothing came back for the confirm
    assert _is_answer(deny, Command.DENY, 2) and _is_answer(ok, Command.CONFIRM, 3)
    assert server.server.frames_ignored == 1


def test_an_idle_connection_is_closed(start):
    _server, client = start(idle_timeout_s=0.2)
    assert client.closed_by_server()


def test_a_client_sending_only_garbage_is_cut_off(start):
    server, client = start(max_garbage_bytes=2_000)
    client.send(b"\x55" * 3_000)
    assert client.closed_by_server()
    assert server.server.bytes_discarded == 3_000


def test_a_packet_cut_off_by_a_disconnect_is_dropped_not_delivered(start, sink):
    server, client = start()
    client.send(fire_packet(1) + fire_packet(2)[:30])
    client.answers(1)
    client.close()
    assert _wait(lambda: server.server.frames_dropped == 1)
    assert len(sink.batches) == 1


def test_devices_are_served_side_by_side_and_stop_closes_them(start, sink):
    server, first = start()
    second = Client(server.port)
    try:
        second.send(fire_packet(2, description="二号"))
        first.send(fire_packet(1, description="一号"))
        assert first.answers(1)[0].serial == 1 and second.answers(1)[0].serial == 2
        assert server.server.connections == 2
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        assert first.closed_by_server() and second.closed_by_server()
        stopper.join(5)
        assert not stopper.is_alive()
    finally:
        second.close()


def test_a_taken_port_fails_start_with_the_os_error(start):
    server, _client = start()
    taken = Gb26875Config(host="127.0.0.1", port=server.port)
    with pytest.raises(OSError):
        Gb26875ServerThread(RecordingSink(), taken).start()


def _raw_packet(serial: int, version: tuple[int, int], source: bytes, destination: bytes, command: int, data: bytes):
    """A packet laid out byte by byte per table 2, independent of lanewatch's encoder."""
    body = (
        serial.to_bytes(2, "little")
        + bytes(version)
        + bytes([15, 30, 10, 6, 5, 24])  # 2024-05-06 10:30:15, second first
        + source
        + destination
        + len(data).to_bytes(2, "little")
        + bytes([command])
        + data
    )
    return b"@@" + body + bytes([sum(body) % 256]) + b"##"


def _raw_answer(client: Client) -> bytes:
    """One answer as the bytes on the wire (an answer carries no data: 30 bytes)."""
    raw = b""
    while len(raw) < 30:
        chunk = client.sock.recv(30 - len(raw))
        assert chunk, "connection closed before the answer"
        raw += chunk
    return raw


DEVICE_WIRE = bytes([0x01, 0x00, 0x0A, 0x00, 0x00, 0x00])  # 0000000A0001, low byte first
OTHER_CENTRE_WIRE = bytes([0x99, 0x00, 0x00, 0x00, 0x00, 0x00])  # 000000000099: not the configured centre


@pytest.mark.parametrize("version", [(1, 0), (1, 2), (1, 255)])
@pytest.mark.parametrize("centre_wire", [bytes.fromhex("01c000000000"), OTHER_CENTRE_WIRE])  # CENTRE, another one
def test_a_confirm_comes_from_the_address_the_device_sent_to_in_its_version(start, sink, version, centre_wire):
    _server, client = start()
    clock = bytes([28, 1, 15, 30, 10, 6, 5, 24])  # type 28 (device clock), one object, its time tag
    client.send(_raw_packet(0x0102, version, DEVICE_WIRE, centre_wire, 2, clock))
    raw = _raw_answer(client)
    assert raw[:2] == b"@@" and raw[-2:] == b"##" and raw[-3] == sum(raw[2:-3]) % 256
    assert raw[2:4] == bytes([0x02, 0x01])  # the serial, echoed
    assert raw[4:6] == bytes(version)  # the device's protocol version, echoed
    assert raw[12:18] == centre_wire  # from the address the device sent to
    assert raw[18:24] == DEVICE_WIRE  # to the device
    assert raw[24:27] == bytes([0, 0, 3])  # no data, confirm
    assert len(sink.messages) == 1


def test_a_deny_also_comes_from_the_sent_to_address_in_the_devices_version(start, sink):
    _server, client = start()
    packet = bytearray(_raw_packet(7, (1, 3), DEVICE_WIRE, OTHER_CENTRE_WIRE, 2, bytes([28, 1, 15, 30, 10, 6, 5, 24])))
    packet[-3] ^= 0xFF  # a wrong checksum
    client.send(bytes(packet))
    raw = _raw_answer(client)
    assert (raw[2:4], raw[4:6], raw[12:18], raw[18:24], raw[26]) == (
        bytes([7, 0]),
        bytes([1, 3]),
        OTHER_CENTRE_WIRE,
        DEVICE_WIRE,
        6,
    )
    assert sink.messages == []


def test_a_device_sending_to_another_centre_address_is_named_once_in_the_log(start, caplog):
    _server, client = start()
    clock = bytes([28, 1, 15, 30, 10, 6, 5, 24])
    with caplog.at_level("WARNING", logger="lanewatch.alarms.gb26875.server"):
        client.send(b"".join(_raw_packet(s, (1, 0), DEVICE_WIRE, OTHER_CENTRE_WIRE, 2, clock) for s in (1, 2, 3)))
        assert [a.serial for a in client.answers(3)] == [1, 2, 3]
        client.send(fire_packet(4))  # to the configured centre: no warning
        client.answers(1)
    warnings = [r.getMessage() for r in caplog.records if "not the configured" in r.getMessage()]
    assert warnings == [
        f"GB/T 26875.3: device {DEVICE} sends to centre address 000000000099, not the configured {CENTRE}; "
        "answering from 000000000099"
    ]
