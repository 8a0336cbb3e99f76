"""Alarm ingest under load: HTTP (single messages and batches) and MQTT -> stored -> live on SSE.

Starts a real Mosquitto and a real ``lanewatch serve`` (SQLite, MQTT ingest
on) on 127.0.0.1, keeps one ``/api/events?type=alarm.new`` stream open in
its own process, and for each phase pushes ``--rate`` messages per second
for ``--seconds`` from a load process:

- ``http-single``: one message per ``POST /api/alarms/ingest``, over
  ``--connections`` keep-alive connections;
- ``http-batch``: ``--batch`` messages per request (a gateway);
- ``mqtt``: one QoS 1 publish per message to ``lanewatch/alarms/<device>``.

Every message is a fault alarm from a device never seen before, so each one
means a device auto-registration, an alarm row, an audit row and one
``alarm.new`` event: the heaviest message there is, and one that can be
followed from sender to screen. For each phase it prints what was sent,
what the HTTP answers or PUBACKs confirmed, the alarm rows counted in the
database, the events seen on SSE, what is missing (lost = sent - seen), the
latency from a message being sent to its event arriving (p50/p95/max), and
the rate achieved. Messages fall due on schedule; over HTTP each connection
waits for its answer before the next request, so a server that cannot keep up
shows as ``sent/s`` below ``--rate`` (latency is counted from the moment a
message was written, so it does not include waiting in the sender).

    .venv/bin/python benchmarks/alarm_ingest.py --rate 1000 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # lanewatch and tests.support without an install

from tests.support.mosquitto import Mosquitto  # noqa: E402
from tests.support.serve import wait_for  # noqa: E402

TOPIC_ROOT = "lanewatch/alarms"
PHASES = ("http-single", "http-batch", "mqtt")
WEIGHTS_NAME = "yolo11n_int8_openvino_model"  # serve loads the detector even with no cameras


def alarm(device_id: str) -> dict:
    return {
        "device_id": device_id,
        "kind": "alarm",
        "alarm_type": "fault",
        "device_type": "smoke_detector",
        "message_id": f"{device_id}-1",
        "detail": "benchmark",
    }


# -- the SSE watcher (own process: the reader must never be what falls behind) --------------------
def watch_events(base: str, key: str, out_path: str, ready) -> None:
    """Append ``arrival_time device_id`` per alarm.new event to out_path; reconnect with Last-Event-ID."""
    last_id = None
    with open(out_path, "a", buffering=1) as out:
        while True:
            headers = {"Authorization": f"Bearer {key}"}
            if last_id is not None:
                headers["Last-Event-ID"] = last_id
            try:
                with (
                    httpx.Client(timeout=httpx.Timeout(5.0, read=None)) as client,
                    client.stream("GET", f"{base}/api/events?type=alarm.new", headers=headers) as response,
                ):
                    ready.set()
                    event = None
                    for line in response.iter_lines():
                        if line.startswith("id:"):
                            last_id = line[3:].strip()
                        elif line.startswith("event:"):
                            event = line[6:].strip()
                        elif line.startswith("data:"):
                            now = time.time()
                            if event == "alarm.new":
                                out.write(f"{now:.6f} {json.loads(line[5:])['after']['device_id']}\n")
                            elif event in ("stream.gap", "stream.lagging"):
                                out.write(f"{now:.6f} !{event}\n")
            except httpx.HTTPError:
                pass
            out.write(f"{time.time():.6f} !reconnect\n")
            time.sleep(0.2)


# -- load generators (own process) -------------------------------------------------------------------
def run_load(
    phase: str,
    base: str,
    key: str,
    broker_port: int,
    rate: float,
    seconds: float,
    batch: int,
    connections: int,
    out_path: str,
) -> None:
    """Send the phase's messages on schedule; write ``send_time device_id ok`` lines to out_path."""
    total = int(rate * seconds)
    ids = [f"bench-{phase}-{os.getpid()}-{n:06d}" for n in range(total)]
    records: list[str] = []
    if phase == "mqtt":
        _load_mqtt(ids, broker_port, rate, records)
    else:
        size = batch if phase == "http-batch" else 1
        asyncio.run(_load_http(ids, base, key, rate, size, connections, records))
    Path(out_path).write_text("\n".join(records) + "\n")


async def _load_http(ids, base, key, rate, size, connections, records) -> None:
    host, port = base.removeprefix("http://").split(":")
    queue: asyncio.Queue = asyncio.Queue()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while (chunk := await queue.get()) is not None:
            body = json.dumps(alarm(chunk[0]) if size == 1 else [alarm(d) for d in chunk]).encode()
            sent = time.time()
            writer.write(
                f"POST /api/alarms/ingest HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length) if length else b""
            ok = status == 200 and not _json_or_empty(body).get("errors")
            records.extend(f"{sent:.6f} {d} {int(ok)}" for d in chunk)
        writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start = time.monotonic()
    for index in range(0, len(ids), size):
        due = start + index / rate
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(ids[index : index + size])
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)


def _json_or_empty(body: bytes) -> dict:
    """An answer's JSON object; {} for anything else (a 500's text page counts as not confirmed)."""
    try:
        answer = json.loads(body)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _load_mqtt(ids, broker_port, rate, records) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    acked: set[int] = set()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{os.getpid()}")
    client.max_inflight_messages_set(2000)
    client.on_publish = lambda c, u, mid, rc, p: acked.add(mid)
    client.connect("127.0.0.1", broker_port)
    client.loop_start()
    start = time.monotonic()
    sent: list[tuple[float, str, int]] = []
    for index, device_id in enumerate(ids):
        if index % 10 == 0 and (delay := start + index / rate - time.monotonic()) > 0:
            time.sleep(delay)
        info = client.publish(f"{TOPIC_ROOT}/{device_id}", json.dumps(alarm(device_id)), qos=1)
        sent.append((time.time(), device_id, info.mid))
    wait_for(lambda: len(acked) >= len(sent), 30, 0.05)
    client.disconnect()
    client.loop_stop()
    records.extend(f"{at:.6f} {device_id} {int(mid in acked)}" for at, device_id, mid in sent)


# -- figures ------------------------------------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def measure(
    phase: str, sends_path: Path, events_path: Path, database: Path, settle_s: float, send_interval_s: float
) -> dict:
    """The phase's figures; ``send_interval_s`` is the schedule's step (one request or publish)."""
    sends = {}
    for line in sends_path.read_text().split("\n"):
        if line:
            at, device_id, ok = line.split()
            sends[device_id] = (float(at), ok == "1")
    prefix = next(iter(sends)).rsplit("-", 1)[0]
    seen: dict[str, float] = {}

    def collect() -> int:
        for line in events_path.read_text().split("\n"):
            at, _, what = line.partition(" ")
            if what.startswith(prefix) and what not in seen:
                seen[what] = float(at)
        return len(seen)

    wait_for(lambda: collect() >= len(sends), settle_s, 0.2)
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        stored = db.execute("SELECT COUNT(*) FROM alarms WHERE device_id LIKE ?", (prefix + "-%",)).fetchone()[0]
    latencies = [seen[d] - at for d, (at, _) in sends.items() if d in seen]
    first = min(at for at, _ in sends.values())
    last_send = max(at for at, _ in sends.values()) + send_interval_s  # the last send covers one step
    last_seen = max(seen.values(), default=first)
    return {
        "phase": phase,
        "sent": len(sends),
        "confirmed": sum(ok for _, ok in sends.values()),
        "stored": stored,
        "seen": len(seen),
        "lost": len(sends) - len(seen),
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "max_ms": 1000 * max(latencies, default=float("nan")),
        "send_rate": len(sends) / max(last_send - first, 1e-9),
        "seen_rate": len(seen) / max(last_seen - first, 1e-9),
    }


def print_table(rows: list[dict], args) -> None:
    print(
        f"\nalarm ingest: {args.rate:g} msg/s for {args.seconds:g} s per phase; http-batch {args.batch} per "
        f"request; {args.connections} HTTP connections; SQLite; {os.cpu_count()} CPUs"
    )
    header = (
        "phase",
        "sent",
        "confirmed",
        "stored",
        "seen on SSE",
        "lost",
        "p50 ms",
        "p95 ms",
        "max ms",
        "sent/s",
        "stored+shown/s",
    )
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for r in rows:
        print(
            f"{r['phase']} | {r['sent']} | {r['confirmed']} | {r['stored']} | {r['seen']} | {r['lost']} | "
            f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['max_ms']:.0f} | {r['send_rate']:.0f} | "
            f"{r['seen_rate']:.0f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second per phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (at most 120)")
    parser.add_argument("--batch", type=int, default=50, help="messages per request in http-batch")
    parser.add_argument("--connections", type=int, default=32, help="HTTP keep-alive connections")
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    parser.add_argument("--settle", type=float, default=30.0, help="seconds to wait for the last events")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not 0 < args.seconds <= 120 or not 0 < args.rate <= 20_000:
        parser.error("keep it bounded: --seconds 0-120, --rate 0-20000")

    work = Path(tempfile.mkdtemp(prefix="lanewatch-alarm-bench-"))
    broker = Mosquitto()
    broker.start()
    weights = os.environ.get("LANEWATCH_WEIGHTS", str(REPO.parent / "shared" / "models" / WEIGHTS_NAME))
    env = {
        **os.environ,
        "LANEWATCH_DATA_DIR": str(work / "data"),
        "LANEWATCH_WEIGHTS": weights,
        "PYTHONUNBUFFERED": "1",
    }
    port = _free_port()
    (work / "lanewatch.yaml").write_text(
        "detector:\n  imgsz: 640\n"
        f"alarms:\n  mqtt:\n    enabled: true\n    host: 127.0.0.1\n    port: {broker.port}\n"
        f"    topic_root: {TOPIC_ROOT}\n    client_id: lanewatch-bench\n"
    )
    cli = [sys.executable, "-m", "lanewatch.cli"]
    serve = watcher = None
    try:
        subprocess.run([*cli, "db", "upgrade"], env=env, cwd=work, check=True, capture_output=True)
        key = subprocess.run(
            [*cli, "keys", "create", "--role", "admin", "--name", "bench"],
            env=env,
            cwd=work,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        with open(work / "serve.log", "w") as log:
            serve = subprocess.Popen(
                [*cli, "serve", "--config", str(work / "lanewatch.yaml"), "--port", str(port)],
                env=env,
                cwd=work,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        if not wait_for(lambda: _up(base), 60):
            raise SystemExit(f"lanewatch serve did not start:\n{(work / 'serve.log').read_text()[-3000:]}")
        events_path = work / "events.txt"
        events_path.touch()
        ready = mp.Event()
        watcher = mp.Process(target=watch_events, args=(base, key, str(events_path), ready), daemon=True)
        watcher.start()
        ready.wait(10)
        time.sleep(1.0)  # the MQTT ingest subscribes in the background
        rows = []
        for phase in args.phases:
            sends_path = work / f"sends-{phase}.txt"
            load = mp.Process(
                target=run_load,
                args=(
                    phase,
                    base,
                    key,
                    broker.port,
                    args.rate,
                    args.seconds,
                    args.batch,
                    args.connections,
                    str(sends_path),
                ),
            )
            load.start()
            load.join(args.seconds + 120)
            if load.is_alive() or load.exitcode != 0:
                load.kill()
                raise SystemExit(f"the {phase} load process failed (exit {load.exitcode})")
            step = (args.batch if phase == "http-batch" else 1) / args.rate
            rows.append(measure(phase, sends_path, events_path, work / "data" / "lanewatch.db", args.settle, step))
            print(f"{phase}: {rows[-1]}", file=sys.stderr)
        print_table(rows, args)
        marks = [line for line in events_path.read_text().splitlines() if " !" in line]
        if marks:
            print(f"SSE stream events: {', '.join(sorted({m.split(' !')[1] for m in marks}))} ({len(marks)})")
        if args.json:
            args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, "rows": rows}, indent=2))
        return 0 if all(r["lost"] == 0 for r in rows) else 1
    finally:
        if watcher is not None:
            watcher.kill()
        if serve is not None:
            serve.terminate()
            try:
                serve.wait(30)
            except subprocess.TimeoutExpired:
                serve.kill()
        broker.close()
        print(f"work directory (logs, database): {work}", file=sys.stderr)


def _free_port() -> int:
    from tests.support.rtsp import free_port

    return free_port()


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    sys.exit(main())
