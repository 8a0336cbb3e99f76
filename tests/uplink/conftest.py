"""Uplink fixtures: a real Mosquitto (sessions persisted, as in production), an edge on SQLite with its
outbox tap, a centre on PostgreSQL knowing the site's organisation, and helpers that write records."""

from __future__ import annotations

import getpass
import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from lanewatch.alarms.messages import AlarmType, MessageKind, SensorMessage
from lanewatch.alarms.service import AlarmService
from lanewatch.config import AlarmSettings, CentreConfig, UplinkConfig
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.store import record_tap
from lanewatch.store.alarm_tables import AlarmRow
from lanewatch.store.db import open_engine
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import utcnow
from lanewatch.store.uplink_tables import UplinkOutboxRow
from lanewatch.store.violation_store import ViolationStore
from lanewatch.uplink.centre import CentreIngest
from lanewatch.uplink.outbox import EdgeOutbox
from lanewatch.uplink.publisher import UplinkPublisher
from tests.support.mosquitto import Mosquitto, MosquittoUnavailable
from tests.support.needs import unavailable

SITE = "site-a"
T0 = datetime(2026, 12, 3, 8, 0, 0, tzinfo=UTC)
_ids = itertools.count(1)


@pytest.fixture
def broker() -> Iterator[Mosquitto]:
    """Mosquitto that keeps sessions and queued messages across a stop/start, like a production broker."""
    try:
        server = Mosquitto()
    except MosquittoUnavailable as exc:
        unavailable(str(exc))
    with open(server.config_path, "a") as config:
        # run as this user (as root, mosquitto would switch to 'mosquitto' and fail to save its file)
        config.write(f"persistence true\npersistence_location {server.root}/\nuser {getpass.getuser()}\n")
    server.start()
    yield server
    server.close()


@dataclass
class Edge:
    """One site: its SQLite store with the outbox tap, and ways to write records as the pipeline/alarms do."""

    engine: Engine
    outbox: EdgeOutbox
    alarms: AlarmService
    violations: dict[str, Violation] = field(default_factory=dict)

    def violation(
        self, camera: str = "gate", *, end: bool = False, vid: str | None = None, pictures: bool = False
    ) -> Violation:
        """A new violation (or, with `vid`, the next update/end of that one), stored as the pipeline does.

        With `pictures` it names evidence files (each then also an outbox entry: tests/uplink/test_handling.py)."""
        if vid is None:
            n = next(_ids)
            v = Violation(
                id=f"v{n:06d}{'0' * 20}"[:26],
                camera=camera,
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
                snapshot=f"{camera}/{n}.jpg" if pictures else None,
                snapshot_clean=f"{camera}/{n}-clean.jpg" if pictures else None,
            )
            kind = "new"
        else:
            before = self.violations[vid]
            v = replace(before, last_seen_s=before.last_seen_s + 10, confidence=min(0.99, before.confidence + 0.01))
            if end:
                v = replace(v, end_s=v.last_seen_s, ended_at=v.violation_at + timedelta(seconds=60))
            kind = "end" if end else "update"
        with Session(self.engine) as session:
            ViolationStore.apply(session, ViolationEvent(kind, self.violations.get(v.id), v))  # type: ignore[arg-type]
            session.commit()
        self.violations[v.id] = v
        return v

    def fire(self, device: str = "smoke-1") -> str:
        """A fire alarm raised by a device message; returns its id."""
        message = SensorMessage(device_id=device, kind=MessageKind.ALARM, alarm_type=AlarmType.FIRE)
        self.alarms.submit([message], utcnow())
        with Session(self.engine) as session:
            return session.exec(
                select(AlarmRow.id).where(AlarmRow.device_id == device).order_by(AlarmRow.received_at.desc())
            ).first()

    def backlog(self) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(UplinkOutboxRow)).one()


@pytest.fixture
def make_edge(tmp_path, request, migrated_templates) -> Iterator:
    made: list[Edge] = []

    def make(max_rows: int = 10_000, name: str = "edge") -> Edge:
        path = tmp_path / f"{name}.db"
        shutil.copyfile(migrated_templates("sqlite", request), path)
        engine = open_engine(f"sqlite:///{path}")
        outbox = EdgeOutbox(max_rows)
        record_tap.attach(engine, outbox)
        edge = Edge(engine, outbox, AlarmService(engine, None, AlarmSettings()))
        made.append(edge)
        return edge

    yield make
    for edge in made:
        record_tap.detach(edge.engine)
        edge.engine.dispose()


@pytest.fixture
def centre_engine(postgres_cluster, migrated_templates, request) -> Iterator[Engine]:
    """The centre's PostgreSQL database, with an organisation whose code is the site's."""
    name = postgres_cluster.create_database(template=migrated_templates("postgresql", request))
    engine = open_engine(postgres_cluster.url(name))
    with Session(engine) as session:
        root = session.exec(select(OrganisationRow).where(OrganisationRow.code == "district")).one()
        session.add(OrganisationRow(code=SITE, name="A 社区", kind="community", parent_pk=root.pk))
        session.commit()
    yield engine
    engine.dispose()
    postgres_cluster.drop_database(name)


OTHER_SITE = "site-b"


@pytest.fixture
def two_sites(centre_engine: Engine) -> Engine:
    """The centre's database knowing a second site, ``site-b`` (an enterprise)."""
    with Session(centre_engine) as session:
        root = session.exec(select(OrganisationRow).where(OrganisationRow.code == "district")).one()
        session.add(OrganisationRow(code=OTHER_SITE, name="B 企业", kind="enterprise", parent_pk=root.pk))
        session.commit()
    return centre_engine


@pytest.fixture
def links(broker) -> Iterator:
    """Factories for a publisher and a centre ingest on the test broker; everything is stopped afterwards."""
    running: list = []

    def publisher(engine: Engine, site: str = SITE) -> UplinkPublisher:
        config = UplinkConfig(
            enabled=True, host=broker.host, port=broker.port, site=site, inflight=20, confirm_timeout_s=2.0
        )
        p = UplinkPublisher(engine, config, poll_s=0.05)
        p.start()
        running.append(p)
        return p

    def centre(engine: Engine, client_id: str = "centre-1") -> CentreIngest:
        config = CentreConfig(enabled=True, host=broker.host, port=broker.port, client_id=client_id)
        c = CentreIngest(engine, config)
        c.start()
        running.append(c)
        return c

    yield publisher, centre
    for thing in reversed(running):
        thing.stop()
