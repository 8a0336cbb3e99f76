"""`lanewatch serve`: the HTTP API and the pipeline for every enabled camera, in one process.

The pipeline runs in its own threads (decode readers + one detector loop)
and never blocks the API. Cameras and zones live in the store; an API edit
calls `reload_camera`, which swaps zones in place (no restart of the stream)
or restarts just that camera when its source settings changed. Violations
that were active when the process last stopped (even by ``kill -9``) are
handed back to their camera, which continues or ends them.

With ``uplink`` or ``centre`` enabled, the site ↔ centre link runs too
(`lanewatch.uplink.role`): an edge's records also fill its outbox, drained
to the broker; a centre ingests every site's records.

The fire-sensor side runs beside it: `AlarmService` (the sink of HTTP
ingest, and of MQTT and GB/T 26875.3 when enabled) with its scanner thread
(escalation, offline devices), on the same store, bus and webhooks.

The lanes' IP speakers (`SpeakerWarnings`, ``speakers:``) follow the
violation events and a clock thread, calling while a violation lasts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch.alarms.service import AlarmService
from lanewatch.api.runtime import CameraStatus
from lanewatch.config import PictureHealthConfig, ServiceSettings, SourceConfig
from lanewatch.config.cameras import DecodeMode
from lanewatch.detect.detections import Detections
from lanewatch.detect.detector import Detector
from lanewatch.events.bus import EventBus
from lanewatch.events.evidence import EvidenceWriter
from lanewatch.events.links import SECRET_FILE, LinkSigner, load_or_create_secret
from lanewatch.pipeline import CameraSpec, Pipeline, PipelineHealth
from lanewatch.service_metrics import metrics_text
from lanewatch.store.db import open_engine
from lanewatch.store.outbox import OutboxSink, WebhookDispatcher
from lanewatch.store.passage_store import PassageStore
from lanewatch.store.people_tables import root_org_pk
from lanewatch.store.robot_targets import Robots
from lanewatch.store.speaker_warnings import SpeakerWarnings
from lanewatch.store.tables import CameraRow
from lanewatch.store.violation_store import ViolationStore
from lanewatch.store.zone_rows import new_row, zone_of, zone_rows
from lanewatch.uplink.role import UplinkRole
from lanewatch.video.frame import Frame
from lanewatch.video.picture_health import camera_picture
from lanewatch.video.source import SourceError, redact_url
from lanewatch.words import configure as configure_words

if TYPE_CHECKING:  # imported when enabled (the MQTT client and the TCP server are optional at run time)
    from lanewatch.alarms.gb26875 import Gb26875ServerThread
    from lanewatch.alarms.mqtt_ingest import MqttIngest

log = logging.getLogger(__name__)

_Event = TypeVar("_Event")


def _sink(publish: Callable[[_Event], object]) -> Callable[[_Event], None]:
    """A pipeline sink returns nothing; the bus's publish returns the live event it sent (for its other callers)."""

    def sink(event: _Event) -> None:
        publish(event)

    return sink


def source_from_row(row: CameraRow, picture: PictureHealthConfig | None = None) -> SourceConfig:
    """A camera row as source settings; a local file is replayed in real time, looping (a demo camera).

    ``picture`` is the service's picture-health settings, under the camera's own thresholds (``row.picture``).
    """
    is_file = "://" not in row.source_url and Path(row.source_url).expanduser().is_file()
    return SourceConfig(
        camera=row.id,
        url=row.source_url,
        sample_fps=row.sample_fps,
        decode=cast(DecodeMode, row.decode),  # SourceConfig still checks the stored value
        replay=is_file,
        picture=camera_picture(picture or PictureHealthConfig(), row.picture),
    )


class Service:
    """Implements the API's `Runtime` protocol around a running `Pipeline`."""

    def __init__(self, settings: ServiceSettings, detector: Detector | None = None) -> None:
        self.settings = settings
        configure_words(settings.language, settings.time_zone)  # stamps, reports and messages in its language/zone
        self.engine = open_engine(settings.resolved_database_url)
        self.bus = EventBus()
        self.uplink = UplinkRole(  # the edge's tap before any write
            self.engine, settings.uplink, settings.centre, evidence_dir=settings.evidence_dir, bus=self.bus
        )
        self.uplink.on_config_applied = self.reload_camera  # a centre's zone or camera edit reaches the pipeline
        self.evidence_dir = settings.evidence_dir
        self.evidence_dir.mkdir(parents=True, exist_ok=True)
        if detector is None:
            from lanewatch.detect.factory import build_detector

            detector = build_detector(settings.detector)  # worker processes (settings.detector.processes)
        outbox = OutboxSink(self.engine)  # the record and its webhook deliveries in one transaction
        self.speakers = SpeakerWarnings(self.engine, settings.speakers)  # after the store: it reads the rows
        self.pipeline = Pipeline(
            [],
            detector,
            detector_config=settings.detector,
            tracker_config=settings.tracker,
            look_config=settings.looks,
            evidence=EvidenceWriter(self.evidence_dir),
            event_sinks=[outbox, _sink(self.bus.publish_violation), self.speakers],
            health_sinks=[outbox.health, _sink(self.bus.publish_health)],
            passage_sinks=[PassageStore(self.engine)],  # vehicles through the lanes (issue 20)
        )
        self.alarms = AlarmService(self.engine, self.bus, settings.alarms)
        secret = load_or_create_secret(settings.data_dir / SECRET_FILE)
        links = LinkSigner(secret, valid_s=settings.notifications.link_valid_hours * 3600)
        self.links: LinkSigner | None = links  # as `Runtime` has it (None: a runtime without evidence links)
        self.robots = Robots(self.engine, settings.notifications, links)
        self.robots.ensure()  # the robot and SMS targets as webhook rows, before anything is enqueued
        self.dispatcher = WebhookDispatcher(
            self.engine, settings.webhooks, on_delivered=self.alarms.on_delivered, robots=self.robots
        )
        self.mqtt: MqttIngest | None = None
        self.gb26875: Gb26875ServerThread | None = None
        self._running: dict[str, SourceConfig] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> None:
        with Session(self.engine) as session:
            ids = [c.id for c in session.exec(select(CameraRow).where(CameraRow.enabled == True))]  # noqa: E712
        for camera_id in ids:
            self.reload_camera(camera_id)
        self._thread = threading.Thread(
            target=self.pipeline.run, kwargs={"keep_alive": True}, name="pipeline", daemon=True
        )
        self._thread.start()
        self.dispatcher.start()
        self.speakers.start()  # the lanes' speakers, while a violation lasts
        self.alarms.start()
        self._start_alarm_ingest()
        self.uplink.start()  # the edge's publisher or the centre's ingest, when configured

    def _start_alarm_ingest(self) -> None:
        """MQTT and GB/T 26875.3 ingest, when enabled in the settings (HTTP ingest is always on)."""
        alarms = self.settings.alarms
        if alarms.mqtt.enabled:
            from lanewatch.alarms.mqtt_ingest import MqttIngest

            self.mqtt = MqttIngest(alarms.mqtt, self.alarms)
            self.mqtt.start()  # connects in the background and keeps reconnecting
        if alarms.gb26875.enabled:
            from lanewatch.alarms.gb26875 import Gb26875ServerThread

            self.gb26875 = Gb26875ServerThread(self.alarms, alarms.gb26875)
            self.gb26875.start()  # returns once listening

    def stop(self) -> None:
        """Stop cameras and deliveries; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self.pipeline.stop()
        if self._thread is not None:
            self._thread.join(timeout=15)
        for ingest in (self.mqtt, self.gb26875):
            if ingest is not None:
                ingest.stop()
        self.alarms.stop()
        self.dispatcher.stop()
        self.speakers.stop()
        self.uplink.stop()
        log.warning("lanewatch stopped: cameras, alarm ingest and webhook deliveries shut down")

    def pipeline_health(self) -> PipelineHealth:
        return self.pipeline.health()

    def alarm_ingest_health(self) -> dict[str, tuple[bool, dict[str, int]]]:
        """Each enabled sensor ingest path: (up, counters). HTTP is part of the API and always up."""
        paths: dict[str, tuple[bool, dict[str, int]]] = {}
        if self.mqtt is not None:
            paths["mqtt"] = (self.mqtt.connected, asdict(self.mqtt.counters()))
        if self.gb26875 is not None:
            counters = self.gb26875.server.counters()
            paths["gb26875"] = (self.gb26875.alive, {"port": self.gb26875.port, **counters})
        paths.update(self.uplink.health())  # 'uplink' at an edge, 'centre' at the centre
        return paths

    # -- Runtime protocol ---------------------------------------------------------
    def latest_frame(self, camera_id: str) -> tuple[Frame, Detections] | None:
        state = self.pipeline.cameras.get(camera_id)
        if state is None or state.last_frame is None:
            return None
        return state.last_frame, state.last_detections or Detections.empty()

    def camera_status(self, camera_id: str) -> CameraStatus:
        source = self.pipeline.sources.get(camera_id)
        if source is None:
            return CameraStatus(state="stopped", last_frame_at=None)
        return CameraStatus(
            state=source.health.state.value,
            last_frame_at=source.health.last_frame_at,
            frames=self.pipeline.stats.frames.get(camera_id, 0),
            dropped=self.pipeline.buffers.dropped(camera_id),
        )

    def reload_camera(self, camera_id: str) -> None:
        """Bring the running pipeline in line with the store for one camera."""
        with self._lock, Session(self.engine) as session:
            row = session.get(CameraRow, camera_id)
            zones = [zone_of(z) for z in zone_rows(session, camera_id)]
            wanted = source_from_row(row, self.settings.picture) if row is not None and row.enabled else None
            running = self._running.get(camera_id)
            if wanted is not None and wanted == running:
                self.pipeline.update_zones(camera_id, zones)
                return
            if running is not None:
                self.pipeline.remove_camera(camera_id)
                del self._running[camera_id]
            if wanted is None:
                return
            resume = ViolationStore(self.engine).list(camera=camera_id, active=True)
            try:
                self.pipeline.add_camera(CameraSpec(wanted, zones, resume))
            except SourceError as exc:
                log.error("camera %s not started: %s", camera_id, redact_url(str(exc)))
                return
            self._running[camera_id] = wanted

    def metrics_text(self) -> str:
        states = {c: self.camera_status(c).state for c in list(self._running)}
        return metrics_text(self.pipeline, states) + self.uplink.metrics()


DEFAULT_DEMO_SOURCE = Path("../shared/footage/parking-aisle/lot-busy.mp4")
DEMO_ZONES = Path(__file__).resolve().parents[1] / "zones" / "lot-busy.json"


def ensure_demo_camera(engine: Engine, source: str | None) -> str | None:
    """With no camera in the store, add a demo camera replaying ``source`` (default: the shared sample clip)."""
    from lanewatch.zones.zone_file import load_zone_file

    with Session(engine) as session:
        if session.exec(select(CameraRow)).first() is not None:
            return None
        path = Path(source) if source else DEFAULT_DEMO_SOURCE
        if "://" not in str(path) and not path.exists():
            log.warning("no cameras configured and no demo footage at %s; add cameras through the API", path)
            return None
        url = str(path.resolve()) if "://" not in str(path) else str(source)
        session.add(CameraRow(id="demo", name="Demo camera", source_url=url, org_pk=root_org_pk(session)))
        if DEMO_ZONES.is_file():
            session.add_all(new_row("demo", zone, i) for i, zone in enumerate(load_zone_file(DEMO_ZONES).zones))
        session.commit()
        return url


FIRST_ADMIN = "admin"
FIRST_ADMIN_FILE = "first-admin-password.txt"


def ensure_first_admin(engine: Engine, data_dir: Path) -> str | None:
    """With nobody in the store, create the administrator ``admin`` in the root organisation.

    Its password comes from ``LANEWATCH_ADMIN_PASSWORD`` when set (the deployer chose it), else it is
    random, written to ``<data dir>/first-admin-password.txt`` (mode 0600) and must be changed at the
    first sign-in. Returns the file's path when one was written; a ValueError when the chosen password
    breaks the rules. Several centre processes starting at once on an empty database race here: the one
    whose commit loses (the username is unique) returns None and leaves the winner's file alone, which is
    why the password is written to a file of this process and renamed only after the commit.
    """
    import os
    import secrets

    from sqlalchemy.exc import IntegrityError

    from lanewatch.people import accounts
    from lanewatch.people.audit import record
    from lanewatch.store.people_tables import OrganisationRow, PersonRow
    from lanewatch.words import t

    pending = data_dir / f"{FIRST_ADMIN_FILE}.{os.getpid()}.tmp"
    with Session(engine) as session:
        if session.exec(select(PersonRow)).first() is not None:
            return None
        root = session.exec(
            select(OrganisationRow).where(OrganisationRow.parent_pk == None).order_by(col(OrganisationRow.pk))  # noqa: E711
        ).first()
        if root is None or root.pk is None:
            root = OrganisationRow(code="district", name="本区", kind="district")
            session.add(root)
            session.flush()
        assert root.pk is not None
        chosen = os.environ.get("LANEWATCH_ADMIN_PASSWORD")
        password = chosen or secrets.token_urlsafe(12)
        path = None
        try:
            person = accounts.create(
                session, username=FIRST_ADMIN, password=password, role="admin", org_pk=root.pk, must_change=not chosen
            )
            session.flush()
            record(
                session, None, "person.create", "person", FIRST_ADMIN, org_pk=root.pk, after=accounts.summary(person)
            )
            if not chosen:  # on disk before the commit: an administrator whose password is nowhere is never made
                pending.touch(mode=0o600)
                pending.chmod(0o600)
                pending.write_text(password + "\n")
            session.commit()
        except (IntegrityError, accounts.AccountError):
            session.rollback()
            pending.unlink(missing_ok=True)
            if session.exec(select(PersonRow)).first() is None:
                raise  # not a race: the chosen password breaks the rules
            return None  # another process made the first administrator meanwhile
        if not chosen:
            path = data_dir / FIRST_ADMIN_FILE
            os.replace(pending, path)
    if path is None:
        log.warning(t("people.cli.first_admin_env"))
        return None
    log.warning(t("people.cli.first_admin", path=path))
    return str(path)
