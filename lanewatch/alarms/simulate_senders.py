"""The simulator's three senders: HTTP batches, MQTT publishes, GB/T 26875.3 frames over TCP.

Each counts what it sent and what the receiver confirmed: the ingest
route's ``accepted + duplicates``, the broker's PUBACK, the centre's
CONFIRM answer (checked against the frame's serial number). A receiver that
refuses or does not answer is counted in ``errors`` with its last reason,
and the simulator carries on.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from lanewatch.alarms.gb26875 import encode
from lanewatch.alarms.gb26875.frame import Command, Frame
from lanewatch.alarms.gb26875.scanner import FrameScanner
from lanewatch.alarms.simulate import Outgoing, PathStats


class SenderError(RuntimeError):
    """A path cannot be used at all (broker refused, server not listening)."""


def split_host_port(spec: str, default_port: int) -> tuple[str, int]:
    """``HOST[:PORT]`` -> (host, port); ValueError in plain words."""
    host, sep, port = spec.rpartition(":")
    if not sep:
        return spec, default_port
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{spec!r}: the port must be a number 1-65535")
    return host or "127.0.0.1", int(port)


class HttpSender:
    """POST ``/api/alarms/ingest`` in batches of up to ``batch`` messages (1: one object per request)."""

    def __init__(self, base_url: str, api_key: str, *, batch: int = 20, timeout_s: float = 10.0) -> None:
        self.url = base_url.rstrip("/") + "/api/alarms/ingest"
        self.batch = max(1, batch)
        self.stats = PathStats()
        self.client = httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {api_key}"})

    def send(self, items: list[Outgoing]) -> None:
        for start in range(0, len(items), self.batch):
            chunk = [item.message for item in items[start : start + self.batch]]
            self.stats.sent += len(chunk)
            body = chunk[0] if len(chunk) == 1 else chunk
            try:
                response = self.client.post(self.url, json=body)
            except httpx.HTTPError as exc:
                self._failed(len(chunk), f"{type(exc).__name__}: {exc}")
                continue
            if response.status_code != 200:
                self._failed(len(chunk), f"HTTP {response.status_code}: {_detail(response)}")
                continue
            answer = response.json()
            self.stats.confirmed += answer.get("accepted", 0) + answer.get("duplicates", 0)
            if answer.get("errors"):
                self._failed(len(answer["errors"]), answer["errors"][0])

    def _failed(self, count: int, reason: str) -> None:
        self.stats.errors += count
        self.stats.last_error = reason

    def close(self) -> None:
        self.client.close()


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail"))[:300]
    except (ValueError, AttributeError):
        return response.text[:300]


class MqttSender:
    """Publish each message as JSON to ``<topic_root>/<device_id>`` at QoS 1; confirmed = PUBACKs."""

    def __init__(
        self, host: str, port: int, *, topic_root: str = "lanewatch/alarms", client_id: str | None = None, qos: int = 1
    ) -> None:
        self.topic_root = topic_root.rstrip("/")
        self.qos = qos
        self.stats = PathStats()
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or "")
        self.client.max_queued_messages_set(0)
        self.client.on_publish = self._on_publish
        try:
            self.client.connect(host, port, keepalive=30)
        except OSError as exc:
            raise SenderError(f"cannot reach the MQTT broker at {host}:{port}: {exc}") from None
        self.client.loop_start()

    def _on_publish(self, client: mqtt.Client, userdata: object, mid: int, reason_code: Any, properties: Any) -> None:
        with self._lock:
            if reason_code.is_failure:
                self.stats.errors += 1
                self.stats.last_error = str(reason_code)
            else:
                self.stats.confirmed += 1

    def send(self, items: list[Outgoing]) -> None:
        for item in items:
            info = self.client.publish(f"{self.topic_root}/{item.device_id}", json.dumps(item.message), qos=self.qos)
            with self._lock:
                self.stats.sent += 1
                if info.rc != mqtt.MQTT_ERR_SUCCESS and info.rc != mqtt.MQTT_ERR_NO_CONN:
                    self.stats.errors += 1
                    self.stats.last_error = mqtt.error_string(info.rc)

    def close(self, timeout_s: float = 10.0) -> None:
        """Wait for the outstanding PUBACKs (what is still unconfirmed then counts as errors), disconnect."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self.stats.confirmed + self.stats.errors >= self.stats.sent:
                    break
            time.sleep(0.02)
        self.client.disconnect()
        self.client.loop_stop()
        with self._lock:
            missing = self.stats.sent - self.stats.confirmed - self.stats.errors
            if missing > 0:
                self.stats.errors += missing
                self.stats.last_error = f"{missing} publish(es) not acknowledged by the broker"


class GbSender:
    """One TCP connection per transmission device; each packet waits for the centre's answer to its serial.

    Objects of one type for one device that are due together go in one
    packet (at most ``objects_per_frame``), as real devices batch them.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        centre: str = "000000000000",
        objects_per_frame: int = 10,
        answer_timeout_s: float = 5.0,
        max_data_bytes: int = 65_535,
    ) -> None:
        self.host, self.port = host, port
        self.centre = centre
        self.objects_per_frame = objects_per_frame
        self.answer_timeout_s = answer_timeout_s
        self.max_data_bytes = max_data_bytes
        self.stats = PathStats()
        self._links: dict[str, tuple[socket.socket, FrameScanner]] = {}
        self._serial: dict[str, int] = defaultdict(int)
        try:
            socket.create_connection((host, port), timeout=answer_timeout_s).close()
        except OSError as exc:
            raise SenderError(f"cannot reach the GB/T 26875.3 centre at {host}:{port}: {exc}") from None

    def send(self, items: list[Outgoing]) -> None:
        groups: dict[tuple[str, int], list[bytes]] = defaultdict(list)
        for item in items:
            if item.gb_address is None:
                raise ValueError(f"{item.device_id}: not a GB/T 26875.3 message (no transmission device address)")
            groups[(item.gb_address, item.gb_info_type)].append(item.gb_object)
        for (address, info_type), objects in groups.items():
            for start in range(0, len(objects), self.objects_per_frame):
                self._send_frame(address, info_type, objects[start : start + self.objects_per_frame])

    def _send_frame(self, address: str, info_type: int, objects: list[bytes]) -> None:
        serial = self._serial[address] = (self._serial[address] + 1) % 65536
        packet = encode.upload_frame(
            serial, info_type, objects, source=address, destination=self.centre, when=datetime.now(UTC)
        )
        self.stats.sent += len(objects)
        try:
            answer = self._exchange(address, packet, serial)
        except OSError as exc:
            self._drop(address)
            self._failed(len(objects), f"{type(exc).__name__}: {exc}")
            return
        if answer.command == Command.CONFIRM:
            self.stats.confirmed += len(objects)
        else:
            self._failed(len(objects), f"the centre answered command {answer.command} to serial {serial}")

    def _exchange(self, address: str, packet: bytes, serial: int) -> Frame:
        if address not in self._links:
            sock = socket.create_connection((self.host, self.port), timeout=self.answer_timeout_s)
            self._links[address] = (sock, FrameScanner(self.max_data_bytes))
        sock, scanner = self._links[address]
        sock.sendall(packet)
        deadline = time.monotonic() + self.answer_timeout_s
        while time.monotonic() < deadline:
            data = sock.recv(4096)
            if not data:
                raise ConnectionResetError("the centre closed the connection")
            for frame in scanner.feed(data):
                if isinstance(frame, Frame) and frame.serial == serial:
                    return frame
        raise TimeoutError(f"no answer to serial {serial} within {self.answer_timeout_s} s")

    def _drop(self, address: str) -> None:
        link = self._links.pop(address, None)
        if link is not None:
            link[0].close()

    def _failed(self, count: int, reason: str) -> None:
        self.stats.errors += count
        self.stats.last_error = reason

    def close(self) -> None:
        for address in list(self._links):
            self._drop(address)
