"""One edge of the outage scenario as its own OS process: violations and sensor traffic written through the real
store, outbox tap and publisher, until the scenario kills it (``kill -9`` included).

``python -m tests.uplink.edge_process SITE DIR HOST PORT RATE [PICTURES]`` with ``DIR/lanewatch.db`` a migrated
SQLite store. What it is and is not (tests/uplink/outage_scenario.py says why): it does not decode footage; it
writes what the pipeline and the alarm service write, the way they write it:

- violations through `ViolationStore.apply`, one transaction per change: a new one every few steps, each with a
  snapshot JPEG written to ``DIR/evidence`` first (a real CCTV still from PICTURES, the shared footage's PKLot
  frames, when given), then updates, then its end; two or more are always open, so a kill is always
  mid-violation;
- sensor messages from the sensor simulator's fleet (`lanewatch.alarms.simulate.Fleet`: readings, faults, fire
  alarms raised and cleared), parsed as the ingest parses them and stored by `AlarmService.submit`;
- `UplinkPublisher` draining the outbox to the broker (reconnecting quickly: `reconnect_max_s` 1 s).

RATE is writer steps per second (each step one violation change plus a few sensor messages). Started again on
the same DIR it carries on: the open violations are read back from the store and continued under their ids,
and the outbox left on disk is drained first. Control files in DIR: the scenario writes ``finish`` (end every
open violation, then write nothing more); the edge answers ``finished``. Prints READY once publishing.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
from sqlmodel import Session, func, select

from lanewatch.alarms.messages import IngestSource
from lanewatch.alarms.payloads import parse_payload
from lanewatch.alarms.service import AlarmService
from lanewatch.alarms.simulate import Fleet, SimulationOptions
from lanewatch.config import AlarmSettings, UplinkConfig
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.store import record_tap
from lanewatch.store.db import open_engine, sqlite_url
from lanewatch.store.tables import ViolationRow, utcnow
from lanewatch.store.violation_store import ViolationStore
from lanewatch.uplink.outbox import EdgeOutbox
from lanewatch.uplink.publisher import UplinkPublisher

OPEN_AT_LEAST = 2
UPDATES_BEFORE_END = 3
SENSOR_MESSAGES_PER_STEP = 2


def pictures(folder: Path | None) -> list[bytes]:
    """Real stills when there are any (sorted, so each run uses the same ones); else one drawn JPEG."""
    found = sorted(folder.glob("**/*.jpg")) if folder is not None and folder.is_dir() else []
    if found:
        return [p.read_bytes() for p in found[:20]]
    image = np.random.default_rng(7).integers(0, 255, (180, 320, 3), dtype=np.uint8)
    return [cv2.imencode(".jpg", image)[1].tobytes()]


class Writer:
    """The edge's records: violations (with a picture each) and sensor messages, a step at a time."""

    def __init__(self, engine, site: str, evidence_dir: Path, stills: list[bytes]) -> None:
        self.engine = engine
        self.site = site
        self.evidence_dir = evidence_dir
        self.stills = stills
        self.store = ViolationStore(engine)
        self.open: dict[str, Violation] = {v.id: v for v in self.store.list(active=True)}  # after a restart
        with Session(engine) as session:
            self.made = session.exec(select(func.count()).select_from(ViolationRow)).one()
        seed = int(hashlib.sha256(f"{site}{time.time_ns()}".encode()).hexdigest()[:8], 16)
        options = SimulationOptions(
            devices=12, rate=10, duration_s=1e9, fire_every_s=6, clear_after_s=4, seed=seed, paths=("http",)
        )
        self.fleet = Fleet(options)
        self.alarms = AlarmService(engine, None, AlarmSettings())
        self.started = time.monotonic()
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        # one new per 5 steps; the other 4 update the oldest open one and end it (about as many end as open)
        if len(self.open) < OPEN_AT_LEAST or self.steps % 5 == 0:
            self._new()
        else:
            oldest = min(self.open.values(), key=lambda v: v.started_at)
            updates = round(oldest.last_seen_s - oldest.violation_s)
            self._change(oldest, end=updates >= UPDATES_BEFORE_END)
        self.sensors()

    def finish(self) -> None:
        for violation in list(self.open.values()):
            self._change(violation, end=True)

    def sensors(self) -> None:
        now = time.monotonic() - self.started
        raw = [item.message for item in self.fleet.take(SENSOR_MESSAGES_PER_STEP, now) if item.message is not None]
        messages, _errors = parse_payload(raw, source=IngestSource.SIMULATOR)
        if messages:
            self.alarms.submit(messages, utcnow())

    def _new(self) -> None:
        self.made += 1
        vid = f"{self.site}-v{self.made:06d}"
        camera = f"cam-{self.made % 3}"
        picture = f"{camera}/{vid}.jpg"
        target = self.evidence_dir / picture
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.stills[self.made % len(self.stills)])  # the picture before the record, as the pipeline
        now = utcnow()
        violation = Violation(
            id=vid,
            camera=camera,
            zone="lane-1",
            zone_name="东门消防通道",
            label="car",
            start_s=0.0,
            violation_s=30.0,
            last_seen_s=30.0,
            end_s=None,
            started_at=now - timedelta(seconds=30),
            violation_at=now,
            ended_at=None,
            confidence=0.8,
            box=(0.1, 0.2, 0.3, 0.4),
            snapshot=picture,
        )
        self._apply("new", None, violation)

    def _change(self, before: Violation, *, end: bool) -> None:
        after = replace(before, last_seen_s=before.last_seen_s + 1, confidence=min(0.99, before.confidence + 0.01))
        if end:
            after = replace(after, end_s=after.last_seen_s, ended_at=utcnow())
        self._apply("end" if end else "update", before, after)

    def _apply(self, kind: str, before: Violation | None, after: Violation) -> None:
        with Session(self.engine) as session:
            ViolationStore.apply(session, ViolationEvent(kind, before, after))  # type: ignore[arg-type]
            session.commit()
        if kind == "end":
            self.open.pop(after.id, None)
        else:
            self.open[after.id] = after


def main() -> None:
    site, folder, host, port, rate = sys.argv[1:6]
    stills_dir = Path(sys.argv[6]) if len(sys.argv) > 6 else None
    root = Path(folder)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    engine = open_engine(sqlite_url(root / "lanewatch.db"))
    record_tap.attach(engine, EdgeOutbox(100_000))
    evidence_dir = root / "evidence"
    evidence_dir.mkdir(exist_ok=True)
    config = UplinkConfig(
        enabled=True,
        host=host,
        port=int(port),
        site=site,
        inflight=50,
        confirm_timeout_s=10.0,
        reconnect_max_s=1.0,
        heartbeat_s=5,
    )
    UplinkPublisher(engine, config, poll_s=0.05, evidence_dir=evidence_dir).start()
    writer = Writer(engine, site, evidence_dir, pictures(stills_dir))
    print("READY", flush=True)
    period = 1.0 / float(rate)
    while not (root / "finish").exists():
        started = time.monotonic()
        writer.step()
        time.sleep(max(0.0, period - (time.monotonic() - started)))
    writer.finish()
    (root / "finished").write_text(f"{writer.made}\n")
    threading.Event().wait()  # publishing goes on until the scenario kills the process


if __name__ == "__main__":
    main()
