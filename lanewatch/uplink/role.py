"""What `lanewatch serve` runs of the uplink: the edge's outbox tap and publisher, or the centre's ingest.

Its health goes into ``/api/health`` beside the sensor ingest paths
(``uplink`` at an edge: connected, backlog, ``uplink_dropped``...;
``centre`` at the centre: connected, messages applied, duplicates, dead
letters) and its counters into ``/metrics``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from lanewatch.config import CentreConfig, UplinkConfig
from lanewatch.events.bus import EventBus
from lanewatch.store import record_tap
from lanewatch.uplink import centre_events, config_sync_capture
from lanewatch.uplink.centre import CentreIngest
from lanewatch.uplink.centre_events import LiveListener
from lanewatch.uplink.config_sync_link import ConfigPublisher, apply_snapshot
from lanewatch.uplink.outbox import EdgeOutbox, backlog
from lanewatch.uplink.publisher import UplinkPublisher

log = logging.getLogger(__name__)


class UplinkRole:
    """Built from the settings; `start()` / `stop()`; `health()` for /api/health, `metrics()` for /metrics."""

    def __init__(
        self,
        engine: Engine,
        uplink: UplinkConfig,
        centre: CentreConfig,
        evidence_dir: Path | None = None,
        bus: EventBus | None = None,
    ) -> None:
        """`evidence_dir`: the service's evidence folder, where an edge reads and the centre keeps pictures;
        `bus`: this process's live events, which at the centre hear every centre process's records."""
        if uplink.enabled and centre.enabled:
            raise ValueError("uplink and centre are both enabled: a process is an edge or the centre, not both")
        self.engine = engine
        self.outbox: EdgeOutbox | None = None
        self.publisher: UplinkPublisher | None = None
        self.centre: CentreIngest | None = None
        self.listener: LiveListener | None = None
        self.config_publisher: ConfigPublisher | None = None
        self.on_config_applied: Callable[[str], None] | None = None
        """At an edge, when set: called with each camera whose settings or zones the centre's config changed
        (the service's ``reload_camera``)."""
        if uplink.enabled:
            self.outbox = EdgeOutbox(uplink.outbox_max_rows)
            record_tap.attach(engine, self.outbox)  # from now on every record write fills the outbox
            self.publisher = UplinkPublisher(engine, uplink, evidence_dir=evidence_dir)
            self.publisher.follow(self.outbox.written)  # a new record goes out at once, an idle edge reads nothing
            config_sync_capture.attach(engine, "edge", uplink.site)  # edits here go to the centre
            self.publisher.on_config = self._config_from_centre
        if centre.enabled:
            self.centre = CentreIngest(engine, centre, evidence_dir=evidence_dir)
            config_sync_capture.attach(engine, "centre")  # edits of a site's settings go to the site
            self.config_publisher = ConfigPublisher(engine, self.centre.publish_retained)
            if bus is not None and centre_events.listened(engine):
                self.listener = LiveListener(engine, bus)  # every centre process's events, through PostgreSQL
            elif bus is not None:
                centre_events.attach(engine, bus)  # one process on SQLite: told after each commit

    @property
    def enabled(self) -> bool:
        return self.publisher is not None or self.centre is not None

    def _config_from_centre(self, payload: bytes) -> None:
        assert self.publisher is not None
        _, cameras = apply_snapshot(self.engine, self.publisher.config.site, payload)
        if self.on_config_applied is not None:
            for camera in sorted(cameras):
                self.on_config_applied(camera)

    def start(self) -> None:
        if self.publisher is not None:  # the centre learns what this site had before it syncs its edits
            try:
                config_sync_capture.seed(self.engine, self.publisher.config.site)
            except Exception:  # the database is away: the next start tries again, edits are captured meanwhile
                log.exception("config sync: the site's settings could not be queued for the centre")
        for part in (self.listener, self.publisher, self.centre, self.config_publisher):  # listening first
            if part is not None:
                part.start()

    def stop(self) -> None:
        for part in (self.publisher, self.config_publisher, self.centre, self.listener):
            if part is not None:
                part.stop()
        if self.enabled:
            config_sync_capture.detach(self.engine)
        if self.centre is not None:
            centre_events.detach(self.engine)
        if self.outbox is not None:
            record_tap.detach(self.engine)

    def health(self) -> dict[str, tuple[bool, dict[str, int]]]:
        """``{"uplink": (connected, counters)}`` at an edge, ``{"centre": ...}`` at the centre, else empty."""
        paths: dict[str, tuple[bool, dict[str, int]]] = {}
        if self.publisher is not None and self.outbox is not None:
            with Session(self.engine) as session:
                waiting = backlog(session)
            counters = self.outbox.counters()
            paths["uplink"] = (
                self.publisher.connected,
                {
                    "backlog": waiting,
                    "uplink_dropped": counters["dropped"],
                    "over_limit": counters["over_limit"],
                    **self.publisher.counters(),
                },
            )
        if self.centre is not None:
            published = self.config_publisher.published if self.config_publisher is not None else 0
            paths["centre"] = (self.centre.connected, {**self.centre.counters(), "config_published": published})
        return paths

    def metrics(self) -> str:
        """Prometheus text lines: ``lanewatch_<path>_<counter>`` and ``lanewatch_<path>_up``."""
        lines: list[str] = []
        for path, (up, counters) in self.health().items():
            lines.append(f"# TYPE lanewatch_{path}_up gauge\nlanewatch_{path}_up {int(up)}")
            for name, value in counters.items():
                metric = f"lanewatch_{path}_{name}".replace("uplink_uplink_", "uplink_")
                lines.append(f"# TYPE {metric} gauge\n{metric} {value}")
        return "\n".join(lines) + "\n" if lines else ""
