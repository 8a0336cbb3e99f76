"""Edges → Mosquitto → centre on PostgreSQL: the outage scenario (no options), or ingest records/s and latency.

With no options it plays issue 17's outage scenario (tests/uplink/outage_scenario.py, the same code as
tests/uplink/test_outage.py): real Mosquitto and PostgreSQL, 2 centre processes on one shared subscription,
3 edge processes: ``lanewatch serve`` with the detector on the shared lot-busy.mp4 and the sensor simulator
posting to it, and two writing violations (a PKLot still as each one's evidence) and sensor-simulator messages
through the real store, outbox tap and publisher. The broker is stopped for 60 s while the edges write, the
footage edge is ``kill -9``ed mid-violation and restarted, one centre process is ``kill -9``ed mid-ingest and
restarted. Its last line is ``lost=N duplicated=M`` and figures: records and outbox entries compared,
evidence files compared by sha256, applications, redeliveries ignored, the edges' backlog when the broker came
back, ``drain_s`` (broker back → every outbox empty and the centre equal to the edges), the live events each
centre process's listener heard. ``--outage S`` plays it with an S-second outage (600: the 10-minute drain).

    .venv/bin/python benchmarks/uplink.py                 # ~1.5–2 min
    .venv/bin/python benchmarks/uplink.py --outage 600

With the ingest options (``--edges``, ``--records``, ``--rate``, ...) it measures ingest as follows.

Starts a real Mosquitto (``--broker-inflight``: its max_inflight_messages, 1000 as in
docs/deploy/mosquitto.conf) and a real PostgreSQL (tests.support), migrates a centre database with one
organisation per site, runs ``--centres`` centre ingests (`CentreIngest`, one shared subscription) in this
process and ``--edges`` edges, each with its own SQLite store, outbox tap, `UplinkPublisher` (its own
thread, client id and session) spread over ``--processes`` OS processes (100 interpreters would not fit
2 cores beside the centre). Each edge writes ``--records`` new violations through `ViolationStore` (one
transaction each, as the pipeline does) at ``--rate`` records/s per edge (0: all at once, before its
publisher starts: the drain rate).

Printed: records/s (records at the centre ÷ seconds from the first edge
write to the last centre receipt), the centre's intake (first receipt to last), p50/p99/max latency (per record: the
centre's receipt time minus the edge's write time, both this machine's
clock; with ``--rate 0`` it is mostly time queued in the outbox; the receipt is before the centre's transaction, which adds a few ms),
lost (records written and not at the centre), duplicated (applications at the
centre beyond one per record: each record here is one outbox entry) and the
redeliveries the centre recognised and ignored, the CPU seconds the centre (this process), the edge
processes, Mosquitto and PostgreSQL used, and how fast this machine ran a fixed Python loop. Runs
until every record arrived or ``--timeout`` passed.

With ``--rate 0`` every edge writes all its records before any publisher starts, and ``drain`` is printed:
records stored ÷ seconds from the publishers' start to the last commit (polled every 0.1 s), CPU counted over
that drain alone. ``--centre-backlog`` (with ``--centre-processes``) holds the centre processes stopped
(SIGSTOP) until the broker has taken every record, then lets them go (SIGCONT): what a centre drains from
the broker's queue with the edges idle, as after a centre outage, where a real district's edges run on
their own boxes and not on the centre's cores.

    .venv/bin/python benchmarks/uplink.py --edges 3 --records 1000 --rate 200
    .venv/bin/python benchmarks/uplink.py --edges 100 --records 100 --rate 0 --processes 4
    .venv/bin/python benchmarks/uplink.py --edges 100 --records 100 --centres 2 --centre-processes --centre-backlog
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # lanewatch and tests.support without an install

import paho.mqtt.client as mqtt  # noqa: E402
import psutil  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from lanewatch.config import CentreConfig, UplinkConfig  # noqa: E402
from lanewatch.events.violation import Violation, ViolationEvent  # noqa: E402
from lanewatch.store import record_tap  # noqa: E402
from lanewatch.store.db import open_engine, sqlite_url  # noqa: E402
from lanewatch.store.people_tables import OrganisationRow  # noqa: E402
from lanewatch.store.uplink_tables import UplinkRecordRow, UplinkSiteRow  # noqa: E402
from lanewatch.store.violation_store import ViolationStore  # noqa: E402
from lanewatch.uplink import centre as centre_module  # noqa: E402
from lanewatch.uplink.centre import CentreIngest  # noqa: E402
from lanewatch.uplink.outbox import EdgeOutbox  # noqa: E402
from lanewatch.uplink.publisher import UplinkPublisher  # noqa: E402
from tests.support.mosquitto import Mosquitto  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def violation(site: str, n: int) -> Violation:
    return Violation(
        id=f"{site}-{n:08d}",
        camera="gate",
        zone="lane-1",
        zone_name="东门消防通道",
        label="car",
        start_s=float(n),
        violation_s=n + 30.0,
        last_seen_s=n + 31.0,
        end_s=None,
        started_at=T0 + timedelta(seconds=n),
        violation_at=T0 + timedelta(seconds=n + 30),
        ended_at=None,
        confidence=0.8,
        box=(0.1, 0.2, 0.3, 0.4),
    )


def edge(site: str, path: str, host: str, port: int, records: int, rate: float, done: mp.Event) -> None:
    """One edge process: write `records` violations at `rate`/s (0: all first), publish until `done`."""
    edges([(site, path)], host, port, records, rate, done)


def edges(
    specs: list[tuple[str, str]],
    host: str,
    port: int,
    records: int,
    rate: float,
    done: mp.Event,
    written: Any = None,
    go: Any = None,
) -> None:
    """Several edges in one OS process, each as a real site has it: its own SQLite store, outbox tap and
    `UplinkPublisher` (its own thread, MQTT client id and session), publishing as ``lanewatch serve`` does
    (the product's poll interval). 100 edges as 100 interpreters would not fit 2 cores beside the centre, so
    one writer thread writes each edge's records in turn through that edge's own store, edge *i*'s record *n*
    due at ``n / rate + i / (rate × edges)`` s (the edges' writes spread over each interval, not in step).
    With ``rate`` 0 and the ``written``/``go`` events, it sets ``written`` once all its records are in its
    edges' outboxes and starts publishing only at ``go``: the harness sets it when every edge process is done
    writing, so the drain it measures is the centre's, not edges still writing beside it."""
    stores: list[tuple[str, Engine, UplinkPublisher]] = []
    for site, path in specs:
        engine = open_engine(sqlite_url(Path(path)))
        outbox = EdgeOutbox(max(10_000, records * 2))
        record_tap.attach(engine, outbox)
        config = UplinkConfig(enabled=True, host=host, port=port, site=site)  # the product defaults
        publisher = UplinkPublisher(engine, config)
        publisher.follow(outbox.written)  # as the edge's role does
        stores.append((site, engine, publisher))

    def write(site: str, engine: Engine, n: int) -> None:
        with Session(engine) as session:
            ViolationStore.apply(session, ViolationEvent("new", None, violation(site, n)))
            session.commit()

    if rate <= 0:
        for site, engine, _ in stores:
            for n in range(records):
                write(site, engine, n)
        if written is not None and go is not None:
            written.set()
            go.wait()
        for _, _, publisher in stores:
            publisher.start()
    else:
        for _, _, publisher in stores:
            publisher.start()
        start, step = time.monotonic(), 1.0 / (rate * len(stores))
        for n in range(records):
            for i, (site, engine, _) in enumerate(stores):
                time.sleep(max(0.0, start + n / rate + i * step - time.monotonic()))
                write(site, engine, n)
    done.wait()
    for _, _, publisher in stores:
        publisher.stop()


def outage(seconds: float) -> None:
    """The outage scenario; its `Outcome` line is printed last."""
    from tests.uplink.outage_scenario import Plan, play

    root = Path(tempfile.mkdtemp(prefix="lanewatch-outage-bench-"))
    began = time.monotonic()

    def say(line: str) -> None:
        print(f"[{time.monotonic() - began:5.1f} s] {line}", flush=True)

    try:
        outcome = play(Plan(outage_s=seconds, drain_timeout_s=max(240.0, seconds)), root, say=say)
        for problem in outcome.problems + outcome.config_problems:
            print(f"problem: {problem}")
        print(outcome.line())
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    if len(sys.argv) == 1:
        outage(60.0)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, help="play the outage scenario with the broker down this many seconds")
    parser.add_argument("--edges", type=int, default=3)
    parser.add_argument("--records", type=int, default=1000, help="new violations per edge")
    parser.add_argument("--rate", type=float, default=0.0, help="records/s per edge; 0 = written first, then drained")
    parser.add_argument("--centres", type=int, default=1)
    parser.add_argument(
        "--centre-processes", action="store_true", help="each centre ingest in its own OS process (else threads here)"
    )
    parser.add_argument(
        "--centre-backlog",
        action="store_true",
        help="with --centre-processes and --rate 0: centres stopped until the broker holds every record, then "
        "timed draining it (the edges idle)",
    )
    parser.add_argument(
        "--processes", type=int, default=4, help="OS processes the edges are spread over (at most one per edge)"
    )
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--broker-inflight",
        type=int,
        default=1000,
        help="Mosquitto's max_inflight_messages (docs/deploy/mosquitto.conf: 1000; Mosquitto's default: 20)",
    )
    parser.add_argument(
        "--broker-queued",
        type=int,
        default=100_000,
        help="Mosquitto's max_queued_messages (docs/deploy/mosquitto.conf: 100000; Mosquitto's default: 1000, past "
        "which it drops QoS 1 messages for a busy centre and the edges resend them only after confirm_timeout_s)",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=100_000,
        help="violations the centre holds before the run, then ANALYZE (uplink_apply.py: on a never-analysed "
        "database PostgreSQL plans the lookups as scans of all a site's rows)",
    )
    parser.add_argument("--batch", type=int, default=centre_module.BATCH_MAX, help="messages per centre transaction")
    args = parser.parse_args()
    if args.outage is not None:
        outage(args.outage)
        return
    if args.centre_backlog and (not args.centre_processes or args.rate > 0):
        parser.error("--centre-backlog needs --centre-processes and --rate 0")
    args.speed = python_speed()

    root = Path(tempfile.mkdtemp(prefix="lanewatch-uplink-bench-"))
    broker = Mosquitto(
        extra_config=f"max_inflight_messages {args.broker_inflight}\nmax_queued_messages {args.broker_queued}\n"
        + ("sys_interval 1\n" if args.centre_backlog else "")
    )
    cluster = PostgresCluster()
    broker.start()
    cluster.start()
    centre_module.BATCH_MAX = max(1, args.batch)  # 1: one message per transaction, as before batching
    ingests: list[CentreIngest] = []
    processes: list[mp.Process] = []
    done = mp.Event()
    try:
        centre = open_engine(cluster.url(cluster.create_database()))
        sites = [f"site-{i + 1}" for i in range(args.edges)]
        with Session(centre) as session:
            parent = session.exec(select(OrganisationRow).where(OrganisationRow.code == "district")).one()
            session.add_all(OrganisationRow(code=s, name=s, kind="community", parent_pk=parent.pk) for s in sites)
            session.commit()
        if args.history > 0:
            from uplink_apply import add_history  # this folder is on the path (the script's own); it imports us

            add_history(centre, sites, args.history)
        template = root / "template.db"
        open_engine(sqlite_url(template)).dispose()
        centre_processes: list[mp.Process] = []
        for n in range(args.centres):
            config = CentreConfig(enabled=True, host=broker.host, port=broker.port, client_id=f"centre-{n + 1}")
            if args.centre_processes:  # as in production: each `lanewatch serve --role centre` its own process
                ready = mp.Event()
                target = (str(centre.url.render_as_string(hide_password=False)), config, args.batch, ready, done)
                centre_processes.append(mp.Process(target=centre_process, args=target, daemon=True))
                centre_processes[-1].start()
                ready.wait(60)
                continue
            ingest = CentreIngest(centre, config)
            ingest.start()
            ingest.subscribed.wait(30)
            ingests.append(ingest)
        processes.extend(centre_processes)
        started = datetime.now(UTC)
        specs = []
        for site in sites:
            path = root / f"{site}.db"
            shutil.copyfile(template, path)
            specs.append((site, str(path)))
        groups = max(1, min(args.processes, len(specs)))
        go = mp.Event()
        written = [mp.Event() for _ in range(groups)] if args.rate <= 0 else []
        for g in range(groups):
            events = (written[g], go) if written else (None, None)
            target = (specs[g::groups], broker.host, broker.port, args.records, args.rate, done, *events)
            processes.append(mp.Process(target=edges, args=target, daemon=True))
        tally = CpuTally(broker, cluster)
        tally.centres = [psutil.Process(process.pid) for process in centre_processes]
        tally.before = tally.sample()
        edge_processes = processes[len(centre_processes) :]
        for process in edge_processes:
            process.start()
        tally.edges = [psutil.Process(process.pid) for process in edge_processes]
        expected = args.edges * args.records
        deadline = time.monotonic() + args.timeout
        if written:  # drain: every edge's outbox full before any publisher starts
            for event in written:
                event.wait(max(0.0, deadline - time.monotonic()))
            if args.centre_backlog:
                for process in centre_processes:
                    os.kill(process.pid, signal.SIGSTOP)
                go.set()
                wait_for_broker(broker, expected + args.edges, deadline)  # the records and the first heartbeats
                tally.before = tally.sample()
                args.drain_from = datetime.now(UTC)
                for process in centre_processes:
                    os.kill(process.pid, signal.SIGCONT)
            else:
                tally.before = tally.sample()  # the CPU of the drain alone
                args.drain_from = datetime.now(UTC)
                go.set()
        while time.monotonic() < deadline:
            with Session(centre) as session:
                counted = (
                    select(func.count()).select_from(UplinkRecordRow).where(col(UplinkRecordRow.received_at) >= started)
                )
                if session.exec(counted).one() >= expected:  # the run's records, not the history
                    args.stored_at = datetime.now(UTC)  # every record committed (to within the 0.1 s poll)
                    break
            time.sleep(0.1)
        report(centre, expected, started, args, tally)
    finally:
        done.set()
        for process in processes:
            process.join(15)
        for ingest in ingests:
            ingest.stop()
        broker.close()
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def wait_for_broker(broker: Mosquitto, messages: int, deadline: float) -> None:
    """Until the broker has received `messages` publishes (its ``$SYS`` count, sent every second)."""
    received = threading.Event()

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        if int(message.payload or b"0") >= messages:
            received.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-sys", protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.connect(broker.host, broker.port)
    client.subscribe("$SYS/broker/publish/messages/received")
    client.loop_start()
    try:
        received.wait(max(0.0, deadline - time.monotonic()))
    finally:
        client.loop_stop()
        client.disconnect()
    time.sleep(1.0)  # the last PUBACKs and the broker's queueing


def centre_process(url: str, config: CentreConfig, batch: int, ready: Any, done: Any) -> None:
    """One centre ingest in its own OS process, until `done`."""
    centre_module.BATCH_MAX = max(1, batch)
    logging.basicConfig(level=logging.WARNING, format="centre %(process)d: %(message)s")
    logging.getLogger("lanewatch.uplink.centre").setLevel(logging.INFO)  # batches applied one by one, and why
    logging.getLogger("lanewatch.uplink.centre_apply").setLevel(logging.INFO)  # collisions tried again
    ingest = CentreIngest(open_engine(url), config)
    ingest.start()
    ingest.subscribed.wait(30)
    ready.set()
    done.wait()
    ingest.stop()


def python_speed() -> float:
    """Seconds this machine takes for 10 million steps of a pure-Python loop: the same code's figures differ
    several-fold between machines (and between days of one shared machine), so each run says how fast it was."""
    started, total = time.perf_counter(), 0
    for n in range(10_000_000):
        total += n
    return time.perf_counter() - started


def postgres_processes(cluster: PostgresCluster) -> list[psutil.Process]:
    """The cluster's postmaster and its backends alive now (a backend that ended took its CPU with it)."""
    data = str(cluster.data)
    for process in psutil.process_iter(["cmdline"]):
        if data in " ".join(process.info["cmdline"] or []):
            return [process, *process.children(recursive=True)]
    return []


def used(processes: list[psutil.Process]) -> float:
    """CPU seconds (user + system) these processes have used so far; one that ended counts nothing."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


class CpuTally:
    """CPU seconds used during the run by the centre ingests (this process), the edge processes, Mosquitto and
    PostgreSQL (the postmaster and its backends), so a figure can be read for a centre on its own machine."""

    def __init__(self, broker: Mosquitto, cluster: PostgresCluster) -> None:
        self.broker, self.cluster = broker, cluster
        self.edges: list[psutil.Process] = []
        self.centres: list[psutil.Process] = []
        self.before = self.sample()

    def sample(self) -> dict[str, float]:
        broker = [psutil.Process(self.broker.process.pid)] if self.broker.process else []
        return {
            "centre": used([psutil.Process(), *self.centres]),
            "edges": used(self.edges),
            "mosquitto": used(broker),
            "postgresql": used(postgres_processes(self.cluster)),
        }

    def line(self) -> str:
        after = self.sample()
        return "CPU seconds: " + ", ".join(f"{k} {after[k] - self.before.get(k, 0.0):.1f}" for k in after)


def report(centre, expected: int, started: datetime, args: argparse.Namespace, tally: CpuTally) -> None:
    with Session(centre) as session:
        rows = list(session.exec(select(UplinkRecordRow).where(col(UplinkRecordRow.received_at) >= started)))
        links = list(session.exec(select(UplinkSiteRow)))
    applied = sum(link.messages - link.duplicates - link.dead_letters for link in links)
    redelivered = sum(link.duplicates for link in links)
    latencies = sorted((r.received_at - r.edge_time).total_seconds() for r in rows)
    first = min((r.edge_time for r in rows), default=started)
    last = max((r.received_at for r in rows), default=started)
    seconds = max((last - first).total_seconds(), 1e-6)
    offered = "all written first, then drained" if args.rate <= 0 else f"{args.rate:g}/s per edge"
    print(
        f"uplink: {args.edges} edges × {args.records} records ({offered}) in {min(args.processes, args.edges)} "
        f"edge process(es), {args.centres} centre(s), batch {args.batch}, broker in-flight {args.broker_inflight}, "
        f"queued {args.broker_queued}, {args.history} violations held before; "
        f"this machine: {args.speed:.2f} s per 10M Python loop steps"
    )
    print(f"records at the centre: {len(rows)} of {expected} in {seconds:.2f} s = {len(rows) / seconds:.0f} records/s")
    received = sorted(r.received_at for r in rows)
    if len(received) > 1:
        span = max((received[-1] - received[0]).total_seconds(), 1e-6)
        print(f"centre intake: {len(rows) / span:.0f} records/s (first receipt to last: {span:.2f} s)")
    if latencies:
        p50 = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        print(
            f"edge→centre latency: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
        )
    drain_from, stored_at = getattr(args, "drain_from", None), getattr(args, "stored_at", None)
    if drain_from is not None and stored_at is not None and rows:
        span = max((stored_at - drain_from).total_seconds(), 1e-6)
        print(
            f"drain: {len(rows)} records stored in {span:.2f} s = {len(rows) / span:.0f} records/s (every outbox "
            "full, all publishers started at once, until the last commit; CPU below counts the drain alone)"
        )
    written = sorted(r.edge_time for r in rows)
    if args.rate > 0 and len(written) > 1:
        span = max((written[-1] - written[0]).total_seconds(), 1e-6)
        print(f"written at the edges: {len(rows) / span:.0f} records/s (first write to last: {span:.2f} s)")
    print(tally.line())
    print(f"lost={expected - len(rows)} duplicated={applied - len(rows)} (redeliveries ignored: {redelivered})")


if __name__ == "__main__":
    main()
