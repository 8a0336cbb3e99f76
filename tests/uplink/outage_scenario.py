"""The outage scenario of issue 17, shared by tests/uplink/test_outage.py and ``benchmarks/uplink.py`` (no options).

Real Mosquitto (sessions persisted, as in production) and real PostgreSQL (the centre's database, migrated);
two centre processes (``python -m tests.uplink.outage_scenario centre ...``: `CentreIngest` on one shared
subscription, keeping forwarded pictures, with a live-event listener writing what its SSE clients would be sent)
and three edges, each its own OS process (`FootageEdge`, `tests.uplink.edge_process`). Then:

1. warm up: every site reaches the centre;
2. the broker is stopped for ``Plan.outage_s`` while the edges keep writing (their outboxes fill on disk);
   a third of the way in, one edge is ``kill -9``ed while violations are open and records are being
   written, and started again on the same store: it continues its open violations and its outbox resumes;
3. the broker is started again; once the centre is draining the backlog, one centre process is
   ``kill -9``ed (mid-ingest: it holds received, unacknowledged messages and may be mid-transaction) and
   started again with the same client id; ``Plan.tail_s`` later the edges end their open violations and stop
   writing;
4. everything drains; then the centre is compared with the edges.

What the edges are, honestly. The first site (`FootageEdge`, when the shared clip and the detector weights are
there; else it is like the others) is a real `lanewatch serve` edge: the detector on lot-busy.mp4 replayed in
real time (six cars parked in a front-row fire lane: violations open within seconds and stay open, with their
snapshots), the sensor simulator (``lanewatch alarms simulate``) posting to its ingest API, and its own uplink;
it is the edge killed mid-violation. The other two do not decode footage (three detectors beside two centres,
PostgreSQL and the broker would measure a 2-core machine's CPUs, not the link): `tests.uplink.edge_process`
writes what the pipeline and the alarm service write, through the same code — violations through
`ViolationStore` with a real CCTV still (the shared footage's PKLot frames, when present) as snapshot evidence,
sensor-simulator fleet messages through `AlarmService` — and publishes with the real outbox tap and
`UplinkPublisher`. They write far more than the footage edge (a few changes a second each), so they make the
backlog. The footage edge's camera and zone, created through its API, are config edits sent to the centre too;
they emit no live event and are compared apart (``config_dead_letters``).

Compared afterwards (`Outcome`): the (site, kind, record id) of every violation and alarm in each edge's store
against the centre's `uplink_records` (``lost``: at an edge, not at the centre, or at the centre in an older
state; records at the centre that no edge has count as ``duplicated``); every evidence file's sha256 at the
edge against the centre's registered sha256 and the file it holds (a missing or different one is lost);
applications at the centre beyond one per outbox entry ever made (``duplicated``); and the live events heard
by each centre process's listener: the process never killed must hear every applied change once, the killed
one none twice (it hears nothing while it is dead, as its SSE clients would not).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from sqlmodel import select as sql_select

from lanewatch.store.alarm_tables import AlarmRow
from lanewatch.store.db import open_engine, sqlite_url
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import EvidenceRow, ViolationRow
from lanewatch.store.uplink_tables import (
    UplinkDeadLetterRow,
    UplinkEvidenceRow,
    UplinkOutboxRow,
    UplinkRecordRow,
    UplinkSiteRow,
)
from tests.support.mosquitto import Mosquitto
from tests.support.postgres import PostgresCluster

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("LANEWATCH_SHARED", REPO.parent / "shared")).resolve()
STILLS = SHARED / "footage" / "pklot-ufpr05"
CLIP = SHARED / "footage" / "parking-aisle" / "lot-busy.mp4"
WEIGHTS = Path(os.environ.get("LANEWATCH_WEIGHTS", SHARED / "models" / "yolo11n_int8_openvino_model"))
RECORD_KINDS = ("violation", "alarm")


@dataclass(frozen=True)
class Plan:
    """How long each phase lasts; the deadlines are generous ceilings, not expected durations."""

    outage_s: float = 60.0
    sites: tuple[str, ...] = ("site-a", "site-b", "site-c")
    centres: int = 2
    rate: float = 4.0
    """Writer steps per second per edge (each a violation change and sensor messages)."""
    warm_s: float = 5.0
    tail_s: float = 3.0
    """Edges keep writing this long after the broker is back (live records during the drain)."""
    down_s: float = 2.0
    """How long the killed centre process stays dead."""
    start_timeout_s: float = 120.0
    drain_timeout_s: float = 240.0
    footage: bool = True
    """The first site is `lanewatch serve` on the shared footage (`FootageEdge`) when the clip and weights are
    there; it is the edge killed mid-violation."""


@dataclass
class Outcome:
    lost: int = 0
    duplicated: int = 0
    records: int = 0
    entries: int = 0
    evidence: int = 0
    applied: int = 0
    redeliveries: int = 0
    dead_letters: int = 0
    backlog_peak: int = 0
    open_at_edge_kill: int = 0
    drain_s: float = 0.0
    total_s: float = 0.0
    outage_s: float = 0.0
    footage_edge: bool = False
    """The first site ran `lanewatch serve` on real footage."""
    sse_expected: int = 0
    """Applied changes other than pictures: each is one live event."""
    sse_heard: list[int] = field(default_factory=list)
    sse_missed: int = 0
    sse_twice: int = 0
    problems: list[str] = field(default_factory=list)
    config_dead_letters: int = 0
    """Dead letters of config edits (the config sync's, not the outage's records: reported, see `config_problems`)."""
    config_problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        heard = "/".join(str(n) for n in self.sse_heard)
        return (
            f"lost={self.lost} duplicated={self.duplicated} records={self.records} entries={self.entries} "
            f"footage_edge={int(self.footage_edge)} "
            f"evidence={self.evidence} applied={self.applied} redeliveries_ignored={self.redeliveries} "
            f"dead_letters={self.dead_letters} config_dead_letters={self.config_dead_letters} backlog_peak={self.backlog_peak} outage_s={self.outage_s:.0f} "
            f"drain_s={self.drain_s:.1f} total_s={self.total_s:.0f} sse_heard={heard} "
            f"sse_expected={self.sse_expected} sse_missed={self.sse_missed} sse_twice={self.sse_twice}"
        )


def persistent_broker() -> Mosquitto:
    """Mosquitto keeping sessions and queued messages across a stop/start (as tests/uplink/conftest.py's)."""
    broker = Mosquitto()
    with open(broker.config_path, "a") as config:
        config.write(f"persistence true\npersistence_location {broker.root}/\nuser {getpass.getuser()}\n")
    return broker


def wait_for(condition: Callable[[], Any], timeout: float, step: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return None


class Child:
    """One OS process of the scenario (`python -m MODULE ARGS`) that prints READY; log in ``log_path``."""

    def __init__(self, module: str, args: list[str], log_path: Path) -> None:
        self.module, self.args, self.log_path = module, args, log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module, *self.args],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline().strip() if ready else ""
        if line != "READY":
            self.kill()
            raise RuntimeError(f"{self.module} {self.args[:1]} not ready within {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class FootageEdge:
    """`lanewatch serve` as an edge (its own OS process, `tests.support.serve.ServeProcess`): the detector on
    the shared lot-busy.mp4 replayed in real time (six cars parked in a front-row fire lane: violations open
    within seconds and stay open, with their snapshots as evidence), the uplink to the scenario's broker, and
    ``lanewatch alarms simulate`` posting sensor traffic to its ingest API. `finish` disables the camera and
    stops the simulator, so its records stop changing."""

    def __init__(self, site: str, folder: Path, broker: Mosquitto) -> None:
        from tests.support.serve import ServeProcess

        self.site, self.folder = site, folder
        config = (
            "detector:\n  imgsz: 640\n"
            f"uplink:\n  enabled: true\n  host: {broker.host}\n  port: {broker.port}\n  site: {site}\n"
            "  confirm_timeout_s: 10\n  reconnect_max_s: 1\n  heartbeat_s: 5\n"
        )
        self.db = folder / "lanewatch.db"
        self.serve = ServeProcess(folder, f"sqlite:///{self.db}", WEIGHTS, config)
        self.evidence_dir = folder / "data" / "evidence"
        self.key = ""
        self.simulator: subprocess.Popen | None = None
        self.log_path = self.serve.log_path

    def start(self, timeout: float) -> None:
        if not self.key:
            self.key = self.serve.cli("keys", "create", "--role", "admin")  # creates and migrates the store
            self._provision()
        self.serve.start(timeout)
        with open(self.folder / "simulate.log", "a") as log:
            self.simulator = subprocess.Popen(
                [
                    *(sys.executable, "-m", "lanewatch.cli", "alarms", "simulate", "--http", self.serve.base),
                    *("--api-key", self.key, "--devices", "12", "--rate", "4", "--duration", "100000"),
                    *("--fire-every", "6", "--clear-after", "4", "--seed", str(time.time_ns() % 100_000)),
                ],
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _provision(self) -> None:
        """The camera and its fire-lane zone written into the store before the first start, as a deployer
        provisions an edge (and as `ensure_demo_camera` does): not an edit through the API, which would also be
        a config edit sent to the centre (`lanewatch.uplink.config_sync`), outside this scenario."""
        from lanewatch.store.people_tables import root_org_pk
        from lanewatch.store.tables import CameraRow
        from lanewatch.store.zone_rows import new_row
        from lanewatch.zones.zone_file import load_zone_file

        zone = load_zone_file(REPO / "zones" / "lot-busy.json").zones[0]
        zone = zone.model_copy(update={"dwell_seconds": 4.0, "exit_grace_seconds": 3.0})
        engine = open_engine(f"sqlite:///{self.db}")
        with Session(engine) as session:
            camera = CameraRow(id="gate", name="东门", source_url=str(CLIP), sample_fps=2, imgsz=640)
            camera.org_pk = root_org_pk(session)
            session.add(camera)
            session.add(new_row("gate", zone, 0))
            session.commit()
        engine.dispose()

    def kill(self) -> None:
        if self.simulator is not None and self.simulator.poll() is None:
            self.simulator.kill()
            self.simulator.wait(10)
        if self.serve.process is not None and self.serve.process.poll() is None:
            self.serve.kill()

    def finish(self) -> None:
        import httpx

        if self.simulator is not None:
            self.simulator.kill()
            self.simulator.wait(10)
        api = httpx.Client(base_url=self.serve.base, headers={"Authorization": f"Bearer {self.key}"}, timeout=30)
        assert api.patch("/api/cameras/gate", json={"enabled": False}).status_code == 200
        time.sleep(3)  # the camera's last frames through the pipeline
        (self.folder / "finished").write_text("")

    def log_tail(self, lines: int = 30) -> str:
        return self.serve.log_tail(lines)


def footage_available() -> bool:
    """The shared clip and detector weights, and gst-free file replay (the camera reads the file itself)."""
    return CLIP.is_file() and WEIGHTS.exists()


# -- the centre process -------------------------------------------------------------------------------------
def centre_main(url: str, host: str, port: str, client_id: str, events: str, evidence: str) -> None:
    """A centre process: ingest (reconnecting within 1 s, keeping pictures) and its live-event listener."""
    import asyncio

    from lanewatch.config import CentreConfig
    from lanewatch.events.bus import EventBus, Subscription
    from lanewatch.uplink.centre import CentreIngest
    from lanewatch.uplink.centre_events import LiveListener

    async def write(subscription: Subscription, path: Path) -> None:
        with path.open("a", encoding="utf-8") as out:
            async for event in subscription:
                out.write(json.dumps({"id": event.id, "type": event.type, "payload": event.payload}) + "\n")
                out.flush()

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    engine = open_engine(url)
    bus = EventBus(queue_size=1_000_000)
    listener = LiveListener(engine, bus)
    listener.start()
    subscription = bus.subscribe()  # before anything is applied: what an SSE client connected now would hear
    threading.Thread(target=asyncio.run, args=(write(subscription, Path(events)),), daemon=True).start()
    if not listener.ready.wait(60):
        sys.exit("not listening within 60 s")
    config = CentreConfig(enabled=True, host=host, port=int(port), client_id=client_id, reconnect_max_s=1.0)
    ingest = CentreIngest(engine, config, evidence_dir=Path(evidence))
    ingest.start()
    if not ingest.subscribed.wait(60):
        sys.exit("no subscription within 60 s")
    print("READY", flush=True)
    threading.Event().wait()


# -- reading both sides -------------------------------------------------------------------------------------
def sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass
class EdgeSide:
    """One edge's store as the scenario reads it (SQLite in WAL mode: readable while the edge writes)."""

    site: str
    root: Path
    """Where the control files are (``finish``/``finished`` for `tests.uplink.edge_process`)."""
    engine: Engine
    evidence_dir: Path

    def backlog(self) -> int:
        with Session(self.engine) as session:
            return len(list(session.exec(sql_select(UplinkOutboxRow.seq))))

    def open_violations(self) -> int:
        with Session(self.engine) as session:
            return len(list(session.exec(sql_select(ViolationRow.id).where(col(ViolationRow.end_s).is_(None)))))

    def entries_made(self) -> int:
        with self.engine.connect() as conn:
            made = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'uplink_outbox'")).scalar()
        return int(made or 0)

    def records(self) -> dict[tuple[str, str], Any]:
        """(kind, id) → the state the centre must end in."""
        with Session(self.engine) as session:
            found: dict[tuple[str, str], Any] = {
                ("violation", v.id): (v.end_s is None, v.last_seen_s) for v in session.exec(sql_select(ViolationRow))
            }
            found.update({("alarm", a.id): a.state for a in session.exec(sql_select(AlarmRow))})
        return found

    def evidence(self) -> dict[tuple[str, str], str | None]:
        """(violation id, kind) → sha256 of the edge's file."""
        with Session(self.engine) as session:
            rows = list(session.exec(sql_select(EvidenceRow)))
        return {(r.violation_id, r.kind): sha256(self.evidence_dir / r.path) for r in rows}


def centre_records(centre: Engine) -> dict[tuple[str, str, str], Any]:
    """(site, kind, id) → the centre's state of each record an edge sent."""
    with Session(centre) as session:
        keys = {
            (r.site, r.kind, r.record_id)
            for r in session.exec(sql_select(UplinkRecordRow).where(col(UplinkRecordRow.kind).in_(RECORD_KINDS)))
        }
        violations = {v.id: (v.end_s is None, v.last_seen_s) for v in session.exec(sql_select(ViolationRow))}
        alarms = {a.id: a.state for a in session.exec(sql_select(AlarmRow))}
    return {k: (violations if k[1] == "violation" else alarms).get(k[2]) for k in keys}


def _heard(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.endswith("}")]


def _change(event: dict) -> tuple:
    """One applied record change, as tests/uplink/test_centre_fanout.py tells them apart."""
    payload = event["payload"]
    after = payload.get("after") or payload.get("device") or {}
    at = after.get("updated_at") or payload.get("at")  # a camera-health event has no record, only its time
    return event["type"], after.get("id") or payload.get("camera"), at, after.get("last_seen_s")


def _site_totals(centre: Engine) -> tuple[int, int, int]:
    """(applied, duplicates, dead letters) over all sites."""
    with Session(centre) as session:
        links = list(session.exec(sql_select(UplinkSiteRow)))
    return (
        sum(s.messages - s.duplicates - s.dead_letters for s in links),
        sum(s.duplicates for s in links),
        sum(s.dead_letters for s in links),
    )


# -- the scenario -------------------------------------------------------------------------------------------
class Scenario:
    """`play()` runs the plan and returns the `Outcome`; `close()` stops what it started."""

    def __init__(
        self,
        plan: Plan,
        root: Path,
        *,
        broker: Mosquitto | None = None,
        cluster: PostgresCluster | None = None,
        say: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.plan, self.root, self.say = plan, root, say
        self.own_broker, self.own_cluster = broker is None, cluster is None
        self.broker = broker or persistent_broker()
        self.cluster = cluster or PostgresCluster()
        self.centres: list[Child] = []
        self.edges: list[Any] = []  # Child (tests.uplink.edge_process) or FootageEdge
        self.footage = False
        self.sides: list[EdgeSide] = []
        self.centre: Engine | None = None
        self.events = [root / f"centre-{n + 1}.jsonl" for n in range(plan.centres)]

    def close(self) -> None:
        for child in [*self.edges, *self.centres]:
            child.kill()
        for side in self.sides:
            side.engine.dispose()
        if self.centre is not None:
            self.centre.dispose()
        if self.own_broker:
            self.broker.close()
        if self.own_cluster:
            self.cluster.stop()

    def _setup(self) -> None:
        if self.own_broker:
            self.broker.start()
        if self.own_cluster:
            self.cluster.start()
        url = self.cluster.url(self.cluster.create_database())
        self.centre = open_engine(url)  # migrates
        with Session(self.centre) as session:
            parent = session.exec(sql_select(OrganisationRow).where(OrganisationRow.code == "district")).one()
            session.add_all(
                OrganisationRow(code=s, name=s, kind="community", parent_pk=parent.pk) for s in self.plan.sites
            )
            session.commit()
        (self.root / "centre-evidence").mkdir()
        link = [self.broker.host, str(self.broker.port)]
        for n in range(self.plan.centres):
            args = ["centre", url, *link, f"centre-{n + 1}", str(self.events[n]), str(self.root / "centre-evidence")]
            self.centres.append(Child("tests.uplink.outage_scenario", args, self.root / f"centre-{n + 1}.log"))
        template = self.root / "template.db"
        open_engine(sqlite_url(template)).dispose()  # migrated once, copied for each edge
        stills = [str(STILLS)] if STILLS.is_dir() else []
        self.footage = self.plan.footage and footage_available()
        for n, site in enumerate(self.plan.sites):
            folder = self.root / site
            folder.mkdir()
            if n == 0 and self.footage:
                edge = FootageEdge(site, folder, self.broker)
                self.edges.append(edge)
                self.sides.append(EdgeSide(site, folder, open_engine(f"sqlite:///{edge.db}"), edge.evidence_dir))
                continue
            shutil.copyfile(template, folder / "lanewatch.db")
            args = [site, str(folder), *link, f"{self.plan.rate:g}", *stills]
            self.edges.append(Child("tests.uplink.edge_process", args, folder / "edge.log"))
            engine = open_engine(sqlite_url(folder / "lanewatch.db"))
            self.sides.append(EdgeSide(site, folder, engine, folder / "evidence"))
        for child in [*self.centres, *self.edges]:
            child.start(self.plan.start_timeout_s)
        if self.footage and not wait_for(self.sides[0].open_violations, self.plan.start_timeout_s, step=1.0):
            raise RuntimeError(f"the footage edge wrote no violation:\n{self.edges[0].log_tail()}")
        first = "`lanewatch serve` on lot-busy.mp4 + sensor simulator, then " if self.footage else ""
        self.say(
            f"started Mosquitto, PostgreSQL, {len(self.centres)} centre processes, {len(self.edges)} edge processes"
            f" ({first}violation/sensor writers; pictures: {'PKLot stills' if stills else 'drawn'})"
        )

    def _at_centre(self) -> int:
        assert self.centre is not None
        with Session(self.centre) as session:
            return len(list(session.exec(sql_select(UplinkRecordRow.seq))))

    def _sites_seen(self) -> bool:
        assert self.centre is not None
        with Session(self.centre) as session:
            seen = {s.site for s in session.exec(sql_select(UplinkRecordRow))}
        return seen >= set(self.plan.sites)

    def play(self) -> Outcome:
        plan, outcome = self.plan, Outcome()
        began = time.monotonic()
        self._setup()
        assert self.centre is not None
        time.sleep(plan.warm_s)
        if not wait_for(self._sites_seen, plan.start_timeout_s):
            raise RuntimeError("not every site reached the centre before the outage")

        self.broker.stop()
        down_at = time.monotonic()
        self.say(f"broker stopped for {plan.outage_s:g} s; edges keep writing")
        time.sleep(plan.outage_s / 3)
        victim, side = self.edges[0], self.sides[0]
        outcome.open_at_edge_kill = side.open_violations()
        backlog = side.backlog()
        victim.kill()
        victim.start(plan.start_timeout_s)
        self.say(
            f"kill -9 edge {side.site} with {outcome.open_at_edge_kill} open violations and {backlog} entries "
            "queued; started again"
        )
        time.sleep(max(0.0, down_at + plan.outage_s - time.monotonic()))
        outcome.backlog_peak = sum(s.backlog() for s in self.sides)
        self.broker.start()
        up_at = time.monotonic()
        outcome.outage_s = up_at - down_at
        self.say(f"broker back after {outcome.outage_s:.0f} s; {outcome.backlog_peak} entries queued at the edges")

        before = self._at_centre()
        if not wait_for(lambda: self._at_centre() >= before + 10, plan.drain_timeout_s, step=0.05):
            raise RuntimeError("the centre took nothing after the broker came back")
        self.centres[0].kill()
        self.say(f"kill -9 centre-1 mid-ingest ({self._at_centre() - before} records in since the broker came back)")
        time.sleep(plan.down_s)
        self.centres[0].start(plan.start_timeout_s)
        time.sleep(max(0.0, up_at + plan.tail_s - time.monotonic()))
        for edge, side in zip(self.edges, self.sides, strict=True):
            if isinstance(edge, FootageEdge):
                edge.finish()
            else:
                (side.root / "finish").write_text("")
        if not wait_for(lambda: all((s.root / "finished").exists() for s in self.sides), plan.drain_timeout_s):
            raise RuntimeError("an edge did not finish writing")

        def drained() -> bool:
            if any(s.backlog() for s in self.sides):
                return False
            want = {(s.site, *k): v for s in self.sides for k, v in s.records().items()}
            return centre_records(self.centre) == want  # type: ignore[arg-type]

        settled = wait_for(drained, plan.drain_timeout_s, step=0.5)
        outcome.drain_s = time.monotonic() - up_at
        if not settled:
            outcome.problems.append(f"not drained within {plan.drain_timeout_s:g} s")
        with Session(self.centre) as session:
            quiet = len(list(session.exec(sql_select(UplinkEvidenceRow.pk))))
            quiet += len(list(session.exec(sql_select(UplinkRecordRow.seq).where(UplinkRecordRow.kind == "config"))))
        events = _site_totals(self.centre)[0] - quiet
        wait_for(lambda: len(_heard(self.events[-1])) >= events, 30)  # the listener may trail the commit
        self._compare(outcome)
        outcome.total_s = time.monotonic() - began
        outcome.footage_edge = self.footage
        return outcome

    def _compare(self, outcome: Outcome) -> None:
        assert self.centre is not None
        at_centre = centre_records(self.centre)
        want = {(s.site, *k): v for s in self.sides for k, v in s.records().items()}
        missing = [k for k in want if k not in at_centre]
        stale = [k for k in want if k in at_centre and at_centre[k] != want[k]]
        extra = [k for k in at_centre if k not in want]
        outcome.records = len(want)
        outcome.lost += len(missing) + len(stale)
        outcome.duplicated += len(extra)
        for name, keys in (("missing", missing), ("stale", stale), ("extra", extra)):
            if keys:
                outcome.problems.append(f"{len(keys)} {name}: {keys[:5]}")
        with Session(self.centre) as session:
            held = {(r.site, r.violation_id, r.kind): r for r in session.exec(sql_select(UplinkEvidenceRow))}
        for side in self.sides:
            for (vid, kind), digest in side.evidence().items():
                outcome.evidence += 1
                row = held.get((side.site, vid, kind))
                on_disk = sha256(self.root / "centre-evidence" / row.path) if row is not None else None
                if digest is None or row is None or row.sha256 != digest or on_disk != digest:
                    outcome.lost += 1
                    outcome.problems.append(f"evidence {side.site}/{vid}/{kind}: edge {digest}, centre {on_disk}")
        applied, redeliveries, dead = _site_totals(self.centre)
        outcome.applied, outcome.redeliveries, outcome.dead_letters = applied, redeliveries, dead
        with Session(self.centre) as session:
            links = {s.site: s for s in session.exec(sql_select(UplinkSiteRow))}
        for side in self.sides:
            made = side.entries_made()
            outcome.entries += made
            link = links.get(side.site)
            once = link.messages - link.duplicates - link.dead_letters if link is not None else 0
            if once > made:  # an outbox entry applied twice
                outcome.duplicated += once - made
                outcome.problems.append(f"{side.site}: {once} applications for {made} outbox entries")
        with Session(self.centre) as session:
            letters = list(session.exec(sql_select(UplinkDeadLetterRow)))
            configs = len(list(session.exec(sql_select(UplinkRecordRow.seq).where(UplinkRecordRow.kind == "config"))))
        config_letters = [d for d in letters if d.topic.endswith("/config")]
        outcome.config_dead_letters = len(config_letters)
        if config_letters:  # an edit made at the footage edge (its camera, its zone) that the centre refused
            reasons = Counter(d.reason[:160] for d in config_letters)
            outcome.config_problems.append(f"{len(config_letters)} config dead letters: {dict(reasons)}")
        if len(letters) > len(config_letters):
            reasons = Counter(f"{d.topic}: {d.reason[:160]}" for d in letters if d not in config_letters)
            outcome.problems.append(f"{len(letters) - len(config_letters)} dead letters: {dict(reasons)}")
        heard = [[_change(e) for e in _heard(path)] for path in self.events]
        outcome.sse_heard = [len(h) for h in heard]
        for changes in heard:
            outcome.sse_twice += sum(n - 1 for n in Counter(changes).values() if n > 1)
        # a picture stored and a config edit taken (one per record here: the footage edge's camera and zone)
        # tell no live client; every other applied change is one live event
        outcome.sse_expected = applied - len(held) - configs
        outcome.sse_missed = max(0, outcome.sse_expected - len(set(heard[-1])))
        if outcome.sse_twice or outcome.sse_missed:
            outcome.problems.append(f"live events: {outcome.sse_missed} missed, {outcome.sse_twice} heard twice")


def play(plan: Plan, root: Path, **kwargs: Any) -> Outcome:
    """Run the scenario in `root` (kept: the processes' logs are there) and stop everything afterwards."""
    scenario = Scenario(plan, root, **kwargs)
    try:
        return scenario.play()
    finally:
        scenario.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["centre"]:
        centre_main(*sys.argv[2:8])
    else:
        sys.exit(
            f"usage: python -m {__spec__.name if __spec__ else 'outage_scenario'} centre URL HOST PORT ID EVENTS DIR"
        )
