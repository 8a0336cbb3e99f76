"""The centre's API while it ingests: GET /api/violations latency at a fixed request rate, with and without ingest.

Starts a real PostgreSQL and a real Mosquitto (tests.support) and ``--centres`` centre processes, each the
real ``lanewatch serve`` of a centre (API, pages and the centre's ingest on one shared subscription, as
docs/deploy/lanewatch-centre@.service runs them), given a detector that is never asked: a centre has no
cameras. Edges are OS processes of benchmarks/uplink.py (`edge`: their own SQLite store, outbox tap and
`UplinkPublisher`). The centre is seeded first (``--seed`` violations per edge, drained through the real
ingest), then the same load is offered twice in one run:

1. **baseline**: no ingest;
2. **under ingest**: ``--edges`` other edges each writing ``--rate`` new violations per second.

The load is open-loop: ``--api-rate`` requests per second on a fixed schedule, spread over the centre
processes in turn (as the reverse proxy would), each request's latency counted from its *scheduled* time, so
a server that falls behind shows as queueing instead of a slower sender (no coordinated omission). The key
is a viewer key of the district (the root organisation). Printed per phase: p50/p95/p99/max latency,
requests answered per second, errors (not 200, or no answer within 10 s), how late the generator itself sent
(its own lag, not the server's), the centres' CPU; under ingest also the records received at the centre per
second in the measured window and their edge→centre p99; then the ratios.

    .venv/bin/python benchmarks/api_under_ingest.py                        # 2 centres, 4 edges × 50/s, 30 s
    .venv/bin/python benchmarks/api_under_ingest.py --centres 1 --rate 100 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # lanewatch, tests.support and benchmarks without an install

import httpx  # noqa: E402
import psutil  # noqa: E402
import yaml  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from benchmarks.http_load import Connections  # noqa: E402
from benchmarks.uplink import edge  # noqa: E402
from lanewatch.api.auth import create_api_key  # noqa: E402
from lanewatch.store.db import open_engine, sqlite_url  # noqa: E402
from lanewatch.store.people_tables import OrganisationRow  # noqa: E402
from lanewatch.store.uplink_tables import UplinkRecordRow  # noqa: E402
from tests.support.mosquitto import Mosquitto  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402
from tests.support.rtsp import free_port  # noqa: E402

PATH = "/api/violations"
TIMEOUT_S = 10.0


def serve_centre(config: Path) -> None:
    """One centre process: `lanewatch serve -c config`, with a detector that is never asked (no cameras)."""
    from lanewatch.cli import app
    from lanewatch.detect import factory
    from tests.alarms.test_ingest_health import NoCameraDetector

    factory.build_detector = lambda _config: NoCameraDetector()  # type: ignore[assignment, return-value]
    app(["serve", "-c", str(config)], prog_name="lanewatch")


class Centre:
    """A centre process on its own port, with its own broker client id; log in ``root/centre-<n>.log``."""

    def __init__(self, n: int, root: Path, database_url: str, broker: Mosquitto) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config = root / f"centre-{n}.yaml"
        self.config.write_text(
            yaml.safe_dump(
                {
                    "database_url": database_url,
                    "data_dir": str(root / f"centre-{n}"),
                    "host": "127.0.0.1",
                    "port": self.port,
                    # a centre has no cameras of its own; without this, its first start would add the demo
                    # camera (the shared sample clip, present on this machine) and decode it beside the API
                    "demo_source": str(root / "no-demo-camera.mp4"),
                    "uplink": {"enabled": False},
                    "centre": {
                        "enabled": True,
                        "host": broker.host,
                        "port": broker.port,
                        "client_id": f"bench-centre-{n}",
                    },
                }
            )
        )
        self.log = root / f"centre-{n}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, __file__, "--serve-centre", str(self.config)], stdout=out, stderr=subprocess.STDOUT
            )
        self.ps = psutil.Process(self.process.pid)

    def ready(self) -> bool:
        assert self.process.poll() is None, f"centre process ended:\n{self.log.read_text()[-3000:]}"
        try:
            health = httpx.get(f"{self.base}/api/health", timeout=2).json()
        except (httpx.HTTPError, ValueError):
            return False
        return bool(health.get("alarm_ingest", {}).get("centre", {}).get("up"))

    def cpu_s(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@dataclass
class Phase:
    """What one load phase measured (latencies in seconds, from each request's scheduled time)."""

    name: str
    latencies: list[float]
    errors: Counter[int]  # by status; 0: no answer within the timeout, or the connection failed
    offered: int
    answered_per_s: float
    send_lag_p99: float
    centre_cpu: float
    load: float
    ingest_per_s: float | None = None
    ingest_p99: float | None = None
    generator_cores: float = 0.0
    machine_cores: float = 0.0
    resent: int = 0  # kept-alive connections the server had closed while idle (`http_load.Connections.stale`)

    def cpu_ms_per_request(self, cores: float) -> float:
        """CPU milliseconds per answered request, from `cores` busy over the phase (warm-up included)."""
        return cores * 1000 / self.answered_per_s if self.answered_per_s else float("nan")

    def error_text(self) -> str:
        """How many answers were not 200, by status ("no answer" for none within the timeout)."""
        total = sum(self.errors.values())
        parts = ", ".join(f"{'no answer' if k == 0 else k}: {n}" for k, n in sorted(self.errors.items()))
        text = f"{total} ({parts})" if total else "0"
        return text + (f"; {self.resent} requests sent again on a new connection" if self.resent else "")

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    def line(self) -> str:
        ms = lambda s: f"{s * 1000:.1f}"  # noqa: E731
        text = (
            f"{self.name}: p50 {ms(statistics.median(self.latencies) if self.latencies else float('nan'))} ms, "
            f"p95 {ms(self.pct(0.95))} ms, p99 {ms(self.pct(0.99))} ms, max {ms(max(self.latencies, default=0))} ms; "
            f"{self.answered_per_s:.1f} req/s answered of {self.offered} offered, errors {self.error_text()}; "
            f"generator send lag p99 {ms(self.send_lag_p99)} ms, its CPU {self.generator_cores:.2f} cores; "
            f"centres' CPU {self.centre_cpu:.2f} cores ({self.cpu_ms_per_request(self.centre_cpu):.1f} ms per answer); "
            f"machine {self.machine_cores:.2f} cores busy ({self.cpu_ms_per_request(self.machine_cores):.1f} ms per "
            f"answer: the database, the kernel's network and the generator too); load average {self.load:.1f}"
        )
        if self.ingest_per_s is not None:
            text += (
                f"; ingest {self.ingest_per_s:.0f} records/s received, edge→centre p99 {ms(self.ingest_p99 or 0)} ms"
            )
        return text


async def offer(
    bases: list[str], key: str, rate: float, warmup_s: float, seconds: float, path: str, client: str = "raw"
):
    """`rate` requests/s for warmup_s + seconds on a fixed schedule; those scheduled after the warm-up count.
    `client`: "raw" (`http_load.Connections`, lean) or "httpx" (its AsyncClient, as before).

    Returns (latencies of the 200s, errors by status, offered, answered per second, send-lag p99, window
    start, end, the generator's CPU seconds, requests sent again on a new connection)."""
    headers = {"Authorization": f"Bearer {key}"}
    if client == "raw":
        pools = [Connections(b, headers, TIMEOUT_S) for b in bases]

        async def get(i: int) -> int:
            return await pools[i % len(pools)].get(path)

    else:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        clients = [httpx.AsyncClient(base_url=b, headers=headers, timeout=TIMEOUT_S, limits=limits) for b in bases]

        async def get(i: int) -> int:
            try:
                return (await clients[i % len(clients)].get(path)).status_code
            except httpx.HTTPError:
                return 0

    cpu_before = time.process_time()
    loop = asyncio.get_running_loop()
    counted: list[tuple[float, float, int, float]] = []  # (scheduled, done, status (0: no answer), send lag)
    start = loop.time() + 0.2
    window = start + warmup_s
    total = int((warmup_s + seconds) * rate)

    async def one(i: int, at: float) -> None:
        lag = loop.time() - at
        status = await get(i)
        if at >= window:
            counted.append((at, loop.time(), status, lag))

    tasks = []
    began_at = None
    for i in range(total):
        at = start + i / rate
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if began_at is None and at >= window:
            began_at = datetime.now(UTC)
        tasks.append(asyncio.create_task(one(i, at)))
    ended_at = datetime.now(UTC)
    await asyncio.gather(*tasks)
    resent = 0
    if client == "raw":
        for pool in pools:
            pool.close()
            resent += pool.stale
    else:
        for c in clients:
            await c.aclose()
    generator_cpu = time.process_time() - cpu_before
    latencies = [done - at for at, done, status, _ in counted if status == 200]
    errors = Counter(status for *_, status, _ in counted if status != 200)
    span = max(done for _, done, _, _ in counted) - window
    lags = sorted(lag for *_, lag in counted)
    lag_p99 = lags[min(len(lags) - 1, int(0.99 * len(lags)))]
    return (
        latencies,
        errors,
        len(counted),
        len(latencies) / span,
        lag_p99,
        began_at or ended_at,
        ended_at,
        generator_cpu,
        resent,
    )


def measure(name: str, centres: list[Centre], key: str, args: argparse.Namespace) -> tuple[Phase, datetime, datetime]:
    cpu_before = sum(c.cpu_s() for c in centres)
    machine_before = _busy_s()
    clock = time.monotonic()
    path = f"{PATH}?limit={args.limit}"
    latencies, errors, offered, answered, lag, began, ended, generator_cpu, resent = asyncio.run(
        offer([c.base for c in centres], key, args.api_rate, args.warmup, args.seconds, path, args.client)
    )
    elapsed = time.monotonic() - clock
    cores = (sum(c.cpu_s() for c in centres) - cpu_before) / elapsed
    machine = (_busy_s() - machine_before) / elapsed
    load = os.getloadavg()[0]  # the machine's 1-minute load: other work on these 2 cores shows here
    phase = Phase(
        name,
        latencies,
        errors,
        offered,
        answered,
        lag,
        cores,
        load,
        generator_cores=generator_cpu / elapsed,
        machine_cores=machine,
        resent=resent,
    )
    return phase, began, ended


def _busy_s() -> float:
    """CPU seconds the whole machine has been busy (every core, every process, the kernel's own work)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def ingest_in(engine, began: datetime, ended: datetime) -> tuple[float, float]:
    """Records received at the centre between `began` and `ended` per second, and their edge→centre p99."""
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(UplinkRecordRow.edge_time, UplinkRecordRow.received_at).where(
                    col(UplinkRecordRow.received_at) >= began, col(UplinkRecordRow.received_at) < ended
                )
            )
        )
    lags = sorted((received - edge_time).total_seconds() for edge_time, received in rows)
    p99 = lags[min(len(lags) - 1, int(0.99 * len(lags)))] if lags else float("nan")
    return len(rows) / max((ended - began).total_seconds(), 1e-6), p99


def records_at_centre(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(UplinkRecordRow)).one()


def start_edges(sites: list[str], root: Path, broker: Mosquitto, records: int, rate: float, done) -> list[mp.Process]:
    template = root / "template.db"
    if not template.exists():
        open_engine(sqlite_url(template)).dispose()
    processes = []
    for site in sites:
        path = root / f"{site}.db"
        shutil.copyfile(template, path)
        target = (site, str(path), broker.host, broker.port, records, rate, done)
        processes.append(mp.Process(target=edge, args=target, daemon=True))
    for process in processes:
        process.start()
    return processes


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.25)


def main() -> None:
    if sys.argv[1:2] == ["--serve-centre"]:
        serve_centre(Path(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--centres", type=int, default=2, help="centre processes (API + ingest each)")
    parser.add_argument("--edges", type=int, default=4, help="edge processes writing during the ingest phase")
    parser.add_argument("--rate", type=float, default=50.0, help="new violations per second per edge while ingesting")
    parser.add_argument("--seed", type=int, default=1000, help="violations per edge at the centre before measuring")
    parser.add_argument("--api-rate", type=float, default=200.0, help="GET /api/violations requests per second")
    parser.add_argument("--limit", type=int, default=50, help="page size asked for (the API's default is 50)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before each measured window")
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw", help="load generator: lean keep-alive sockets, or httpx"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # still stop the processes started here

    root = Path(tempfile.mkdtemp(prefix="lanewatch-api-ingest-bench-"))
    broker, cluster = Mosquitto(), PostgresCluster()
    broker.start()
    cluster.start()
    centres: list[Centre] = []
    edges: list[mp.Process] = []
    done = mp.Event()
    try:
        url = cluster.url(cluster.create_database())
        engine = open_engine(url)
        seed_sites = [f"seed-{i + 1}" for i in range(args.edges)]
        live_sites = [f"site-{i + 1}" for i in range(args.edges)]
        with Session(engine) as session:
            district = session.exec(select(OrganisationRow).where(OrganisationRow.code == "district")).one()
            session.add_all(
                OrganisationRow(code=s, name=s, kind="community", parent_pk=district.pk)
                for s in seed_sites + live_sites
            )
            session.commit()
            district_pk = district.pk
        key = create_api_key(engine, role="viewer", name="api-under-ingest", org_pk=district_pk)
        for n in range(args.centres):  # one after the other: two first starts race to create the first admin
            centres.append(Centre(n + 1, root, url, broker))
            wait_until(centres[-1].ready, 120, f"centre process {n + 1}")

        seeded = len(seed_sites) * args.seed
        seed_done = mp.Event()
        seeders = start_edges(seed_sites, root, broker, args.seed, 0.0, seed_done)
        wait_until(lambda: records_at_centre(engine) >= seeded, 600, "the seed violations at the centre")
        seed_done.set()
        for process in seeders:
            process.join(30)
        page = httpx.get(f"{centres[0].base}{PATH}", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
        print(
            f"api under ingest: {args.centres} centre process(es), {seeded} violations seeded, "
            f"GET {PATH}?limit={args.limit} at {args.api_rate:g} req/s for {args.seconds:g} s "
            f"(after {args.warmup:g} s warm-up) per phase; a page holds {len(page['items'])} violations"
        )

        baseline, _, _ = measure("baseline (no ingest)", centres, key, args)
        print(baseline.line(), flush=True)

        records = int(args.rate * (args.warmup + args.seconds + 10))
        edges = start_edges(live_sites, root, broker, records, args.rate, done)
        wait_until(lambda: records_at_centre(engine) >= seeded + len(live_sites) * args.rate, 60, "ingest to begin")
        loaded, began, ended = measure(
            f"under ingest ({args.edges} edges × {args.rate:g} records/s)", centres, key, args
        )
        loaded.ingest_per_s, loaded.ingest_p99 = ingest_in(engine, began, ended)
        print(loaded.line(), flush=True)
        if loaded.latencies and baseline.latencies:
            print(
                f"ratio under ingest / baseline: p50 "
                f"{statistics.median(loaded.latencies) / statistics.median(baseline.latencies):.2f}×, "
                f"p99 {loaded.pct(0.99) / baseline.pct(0.99):.2f}×"
            )
        met = bool(loaded.latencies) and loaded.pct(0.99) <= 0.050 and not loaded.errors
        print(f"goal p99 ≤ 50 ms under ingest, no errors: {'met' if met else 'NOT met'}")
    finally:
        done.set()
        for process in edges:
            process.join(30)
            if process.is_alive():
                process.terminate()
        for centre in centres:
            centre.stop()
        broker.close()
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
