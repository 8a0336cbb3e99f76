"""Config versions over the broker: the centre's retained message per site, and what each end does on receipt.

Centre → edge: `ConfigPublisher` (a thread of each centre process) sends
every site whose ``config_sites.revision`` moved past ``published`` its whole
config (`snapshot`: every version the centre holds of the site) as one
retained QoS 1 message on ``lanewatch/v1/centre/<site>/config``. The site's
row is locked (``FOR UPDATE``) from reading the revision until the broker's
PUBACK, so two centre processes publish one after the other and the newest
snapshot is the one retained. An edge subscribes on its persistent session:
a snapshot published while it was away is the first thing it gets back
(the queued copy, or the retained one on its renewed subscription), and
`apply_snapshot` takes each version by the later-wins rule.

Edge → centre: the edge's edits travel as outbox entries of kind ``config``
(`lanewatch.uplink.config_sync_capture`); the centre's ingest hands each to
`apply_from_edge` in the record's transaction, and a version the centre takes
bumps the site's revision, so the centre's snapshot tells the edge what was kept.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch.store.uplink_tables import ConfigItemRow, ConfigSiteRow
from lanewatch.uplink.bad_message import BadMessage, json_object
from lanewatch.uplink.config_sync import Received, Version, config_topic, receive
from lanewatch.uplink.config_sync_capture import bump

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], bool]
"""``publish(topic, payload)``: retained, QoS 1; True once the broker acknowledged it."""


def snapshot(session: Session, site: str, revision: int) -> bytes:
    """Every version the centre holds of `site`, as the retained message's JSON."""
    rows = session.exec(
        select(ConfigItemRow)
        .where(ConfigItemRow.site == site)
        .order_by(col(ConfigItemRow.kind), col(ConfigItemRow.key))
    )
    body = {"v": 1, "site": site, "revision": revision, "items": [Version.of_row(r).to_json() for r in rows]}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def apply_snapshot(engine: Engine, site: str, raw: bytes) -> tuple[dict[str, int], set[str]]:
    """An edge takes the centre's versions of its site (one transaction): the count per outcome, and the
    cameras whose settings or zones changed (to be reloaded)."""
    body = json_object(raw)
    if body.get("site") != site or not isinstance(body.get("items"), list):
        raise BadMessage(f"a config snapshot of site {body.get('site')!r}, not {site!r}, or without items")
    counts: dict[str, int] = {}
    cameras: set[str] = set()
    with Session(engine) as session:
        for raw_item in body["items"]:
            try:
                version = Version.from_json(raw_item)
                if version.site != site:
                    raise BadMessage(f"a version of site {version.site!r} in the snapshot of {site!r}")
                outcome: str = receive(session, version, "edge")
            except BadMessage as exc:  # one unusable item does not hold back the others
                log.warning("config sync: an unusable version from the centre: %s", exc)
                outcome = "bad"
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome == "applied" and version.kind in ("camera", "zone"):
                cameras.add(version.key.partition("/")[0])
        session.commit()
    return counts, cameras


def apply_from_edge(session: Session, site: str, record: dict[str, Any]) -> Received:
    """The centre takes one edit made at `site` (in the caller's transaction); `BadMessage` if it is not one."""
    version = Version.from_json(record)
    if version.site != site or version.origin != "edge":
        raise BadMessage(f"a config edit of {version.origin} {version.site!r} sent by site {site!r}")
    outcome = receive(session, version, "centre")
    if outcome == "applied":
        bump(session, site)
    return outcome


def publish_due(engine: Engine, publish: Publish) -> int:
    """Send each site whose config moved on since its last publication; how many were sent."""
    with Session(engine) as session:
        due = list(
            session.exec(select(ConfigSiteRow.site).where(col(ConfigSiteRow.revision) > col(ConfigSiteRow.published)))
        )
    sent = 0
    for site in due:
        with Session(engine) as session:
            row = session.exec(select(ConfigSiteRow).where(ConfigSiteRow.site == site).with_for_update()).first()
            if row is None or row.revision <= row.published:
                continue  # another centre process sent it meanwhile
            if not publish(config_topic(site), snapshot(session, site, row.revision)):
                return sent  # the broker is away: all again on the next round
            row.published = row.revision
            session.add(row)
            session.commit()
            sent += 1
    return sent


class ConfigPublisher:
    """A centre process's thread running `publish_due` every `poll_s` until `stop()`."""

    def __init__(self, engine: Engine, publish: Publish, poll_s: float = 1.0) -> None:
        self.engine = engine
        self.publish = publish
        self.poll_s = poll_s
        self.published = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="config-publisher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.published += publish_due(self.engine, self.publish)
            except Exception:  # a database outage must not end the thread
                log.exception("config sync: publishing the sites' config failed; trying again")
