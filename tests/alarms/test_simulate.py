"""`lanewatch alarms simulate` against real receivers: an HTTP ingest stand-in, Mosquitto, the GB/T 26875.3 server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lanewatch.alarms.messages import AlarmType, IngestSource, MessageKind, Quantity
from lanewatch.alarms.mqtt_ingest import MqttIngest
from lanewatch.alarms.payloads import parse_payload
from lanewatch.alarms.simulate import Fleet, SimulationOptions
from lanewatch.config import MqttConfig
from tests.support.recording_sink import RecordingSink
from tests.support.serve import wait_for

API_KEY = "lw_test_simulator"


class IngestReceiver:
    """Answers POST /api/alarms/ingest like lanewatch does (parse, count, report per-item errors)."""

    def __init__(self) -> None:
        self.sink = RecordingSink()
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    return self._answer(401, {"detail": "invalid API key"})
                if self.path != "/api/alarms/ingest":
                    return self._answer(404, {"detail": "not found"})
                messages, errors = parse_payload(body, source=IngestSource.HTTP)
                if not messages:
                    return self._answer(422, {"detail": "no valid message", "errors": errors})
                result = receiver.sink.submit(messages, None)
                self._answer(200, {"accepted": result.accepted, "duplicates": result.duplicates, "errors": errors})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = IngestReceiver()
    yield server
    server.close()


def simulate(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lanewatch.cli", "alarms", "simulate", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_fleet_is_seeded_mixed_and_raises_and_clears_alarms():
    options = SimulationOptions(
        devices=40, rate=100, count=6000, fire_every_s=5, clear_after_s=2, seed=7, paths=("http", "mqtt")
    )

    def traffic(fleet: Fleet) -> list[dict]:
        out = []
        for tick in range(600):
            out += [item.message for item in fleet.take(10, tick * 0.1)]
        return out

    first, again = traffic(Fleet(options)), traffic(Fleet(options))
    strip = lambda messages: [{k: v for k, v in m.items() if k != "device_time"} for m in messages]  # noqa: E731
    assert strip(first) == strip(again), "the same seed gives the same traffic"
    assert strip(first) != strip(traffic(Fleet(options.model_copy(update={"seed": 8}))))

    kinds = Counter(m["kind"] for m in first)
    assert kinds["reading"] > kinds["heartbeat"] > 0 and kinds["battery"] > 0
    assert Counter(m["device_type"] for m in first).keys() >= {
        "electrical_fire_monitor",
        "combustible_gas",
        "water_pressure",
        "smoke_detector",
    }
    fires = [m for m in first if m.get("alarm_type") == "fire"]
    raised = [m for m in fires if m["kind"] == "alarm"]
    assert len(raised) >= 8, "one fire every 5 s over 60 s"
    for alarm in raised:  # each fire is cleared by its own device later
        assert any(m["kind"] == "clear" and m["device_id"] == alarm["device_id"] for m in fires)

    residual = [m["value"] for m in first if m.get("quantity") == Quantity.RESIDUAL_CURRENT_MA]
    assert sum(v < 300 for v in residual) > 0.8 * len(residual), "mostly normal"
    assert max(residual) > 300, "now and then past the default alarm limit"
    assert len({m["message_id"] for m in first}) == len(first)
    paths = {}
    for item in Fleet(options).devices:
        paths.setdefault(item.path, set()).add(item.device_id)
    assert paths.keys() == {"http", "mqtt"} and not paths["http"] & paths["mqtt"]


@pytest.mark.mqtt
def test_simulate_over_http_and_mqtt_delivers_everything(receiver, broker):
    sink = RecordingSink()
    ingest = MqttIngest(
        MqttConfig(enabled=True, host=broker.host, port=broker.port, topic_root="sim", client_id="lanewatch-sim-test"),
        sink,
    )
    ingest.start()
    try:
        assert ingest.wait_subscribed(5)
        done = simulate(
            "--http",
            receiver.url,
            "--api-key",
            API_KEY,
            "--http-batch",
            "25",
            "--mqtt",
            f"127.0.0.1:{broker.port}",
            "--topic-root",
            "sim",
            "--devices",
            "30",
            "--rate",
            "400",
            "--count",
            "600",
            "--fire-every",
            "0.3",
            "--clear-after",
            "0.2",
        )
        assert done.returncode == 0, done.stdout + done.stderr
        http_messages = receiver.sink.stored()
        assert wait_for(lambda: len(sink.stored()) + len(http_messages) >= 600, 5)
    finally:
        ingest.stop()
    mqtt_messages = sink.stored()
    assert len(http_messages) + len(mqtt_messages) == 600
    assert 200 < len(http_messages) < 400, "devices alternate between the two paths"
    assert receiver.requests < 100, "HTTP messages go in batches"
    assert not {m.device_id for m in http_messages} & {m.device_id for m in mqtt_messages}
    both = http_messages + mqtt_messages
    assert any(m.kind is MessageKind.ALARM and m.alarm_type is AlarmType.FIRE for m in both)
    assert all(m.device_time is not None and m.device_type is not None for m in both)
    assert all(m.source is IngestSource.MQTT for m in mqtt_messages)
    lines = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if line.count("│") > 4}
    http_row = [cell.strip() for cell in lines["http"].split("│")[1:-1]]
    mqtt_row = [cell.strip() for cell in lines["mqtt"].split("│")[1:-1]]
    assert http_row[:4] == ["http", str(len(http_messages)), str(len(http_messages)), "0"]
    assert mqtt_row[:4] == ["mqtt", str(len(mqtt_messages)), str(len(mqtt_messages)), "0"]


def test_a_refused_key_is_reported_and_fails_the_run(receiver):
    done = simulate("--http", receiver.url, "--api-key", "lw_wrong", "--count", "30", "--rate", "300")
    assert done.returncode == 1
    assert "HTTP 401: invalid API key" in done.stdout
    assert receiver.sink.stored() == []


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "give at least one of --http, --mqtt, --gb"),
        (("--http", "http://127.0.0.1:1"), "--http needs --api-key"),
        (("--mqtt", "127.0.0.1:1", "--count", "5"), "cannot reach the MQTT broker at 127.0.0.1:1"),
        (("--gb", "127.0.0.1:1", "--count", "5"), "cannot reach the GB/T 26875.3 centre at 127.0.0.1:1"),
        (("--mqtt", "127.0.0.1:port"), "the port must be a number"),
        (("--mqtt", "127.0.0.1:1", "--rate", "-5"), "rate"),
    ],
)
def test_bad_options_fail_with_a_clear_message(args, message, monkeypatch):
    monkeypatch.delenv("LANEWATCH_API_KEY", raising=False)
    done = simulate(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr


def test_simulate_over_gb26875_is_confirmed_by_the_server():
    server_module = pytest.importorskip(
        "lanewatch.alarms.gb26875.server", reason="the GB/T 26875.3 server is not written yet"
    )
    from lanewatch.config import Gb26875Config

    sink = RecordingSink()
    server = server_module.Gb26875ServerThread(sink, Gb26875Config(enabled=True, host="127.0.0.1", port=0))
    server.start()
    try:
        done = simulate(
            "--gb",
            f"127.0.0.1:{server.port}",
            "--devices",
            "64",
            "--rate",
            "200",
            "--count",
            "300",
            "--fire-every",
            "0.2",
            "--clear-after",
            "0.3",
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert wait_for(lambda: sink.stored() or None, 5)
    finally:
        server.stop()
    messages = sink.stored() + sink.duplicates
    assert all(m.device_id.startswith("gb:0000000a0001") for m in messages)
    assert any(m.kind is MessageKind.HEARTBEAT for m in messages), "the transmission device's clock"
    fires = [m for m in messages if m.alarm_type is AlarmType.FIRE and m.kind is MessageKind.ALARM]
    assert fires and all(m.source is IngestSource.GB26875 for m in fires)
    row = next(line for line in done.stdout.splitlines() if "│ gb" in line)
    sent, confirmed, errors = [cell.strip() for cell in row.split("│")[2:5]]
    assert sent == confirmed == "300" and errors == "0"
