"""Local edits become config versions, in the transaction of the edit: at the edge also an outbox entry.

Every edit of a camera, zone or device through the API writes an audit entry
in its own transaction (`lanewatch.people.audit`). A session hook on the
engine finds those entries when the transaction commits and turns each edited
setting into its next version (`lanewatch.uplink.config_sync`): at an edge it
also adds an ``uplink_outbox`` entry of kind ``config`` (never dropped: the
outbox drops only camera health, device status and pictures), at the centre
it bumps the site's ``config_sites.revision``, which the centre's publisher
sends on. The routers know nothing of this, and a crash cannot keep the edit
without its version (or the reverse). Entries written by config sync itself
(``config.*``) are not edits here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from lanewatch.store.alarm_tables import DeviceRow
from lanewatch.store.people_tables import AuditRow, OrganisationRow
from lanewatch.store.tables import CameraRow, ZoneRow, as_utc
from lanewatch.store.uplink_tables import ConfigItemRow, ConfigSiteRow, UplinkOutboxRow
from lanewatch.uplink import config_sync_targets as targets
from lanewatch.uplink.config_sync import Side, Version, next_edit_time, store

_attached: WeakKeyDictionary[Engine, tuple[Side, str | None]] = WeakKeyDictionary()
_PENDING = "config_sync.audits"


def attach(engine: Engine, side: Side, site: str | None = None) -> None:
    """Capture the edits made through `engine`: an edge names its `site`, the centre none (one per engine)."""
    if side == "edge" and site is None:
        raise ValueError("an edge captures the edits of its own site: name it")
    if engine in _attached:
        raise RuntimeError("config sync already captures this engine's edits")
    _attached[engine] = (side, site)
    if not event.contains(OrmSession, "after_flush", _after_flush):
        event.listen(OrmSession, "after_flush", _after_flush)
        event.listen(OrmSession, "before_commit", _before_commit)
        event.listen(OrmSession, "after_commit", _forget)
        event.listen(OrmSession, "after_rollback", _forget)


def detach(engine: Engine) -> None:
    _attached.pop(engine, None)


def _role(session: OrmSession) -> tuple[Side, str | None] | None:
    if not _attached:
        return None
    bind = session.get_bind()
    return _attached.get(bind) if isinstance(bind, Engine) else None


def _edits(objects: Any) -> list[AuditRow]:
    return [
        o
        for o in objects
        if isinstance(o, AuditRow) and o.target_kind in targets.KINDS and not o.action.startswith("config.")
    ]


def _after_flush(session: OrmSession, flush_context: Any) -> None:
    """Keep the edits a flush wrote before the commit (a bulk statement flushes the audit early)."""
    if _role(session) is not None:
        session.info.setdefault(_PENDING, []).extend(_edits(session.new))


def _before_commit(session: OrmSession) -> None:
    role = _role(session)
    if role is None:
        return
    edits = [*session.info.pop(_PENDING, []), *_edits(session.new)]
    if edits:
        capture(cast(Session, session), role[0], role[1], edits)


def _forget(session: OrmSession) -> None:
    """What the commit's own flush collected belongs to no later transaction."""
    session.info.pop(_PENDING, None)


def capture(session: Session, side: Side, site: str | None, edits: list[AuditRow]) -> list[Version]:
    """The next version of each setting these audit entries name, stored (and sent on) in `session`."""
    sites: set[str] | None = None
    if side == "centre":
        sites = set(session.exec(select(OrganisationRow.code)).all())
    seen: set[tuple[str, str, str]] = set()
    made: list[Version] = []
    for entry in edits:
        named = targets.key_of(side, entry.target_kind, entry.target_id, sites)
        if named is None:
            continue
        item_site = site if side == "edge" else named[0]
        assert item_site is not None
        ident = (item_site, entry.target_kind, named[1])
        if ident in seen:
            continue
        seen.add(ident)
        version = _next(session, side, ident, entry.actor_name)
        if version is not None:
            made.append(version)
    return made


def _next(session: Session, side: Side, ident: tuple[str, str, str], editor: str) -> Version | None:
    site, kind, key = ident
    body = targets.read(session, side, site, kind, key)
    held = session.get(ConfigItemRow, ident)
    if body is None and kind != "zone":
        return None  # a camera or device removed here stays at the other end
    if held is not None and held.body == body:
        return None  # nothing synced changed (e.g. only the stream URL)
    base = Version.of_row(held).edited_at if held is not None else None
    version = Version(site, kind, key, body, next_edit_time(base), editor, side, base)
    store(session, version)
    if side == "edge":
        _send(session, version)
    else:
        bump(session, site)
    return version


def _send(session: Session, version: Version) -> None:
    """An edge's version into its outbox (kind ``config``), to the centre."""
    record_id = f"{version.kind}:{version.key}"[:200]
    session.add(
        UplinkOutboxRow(kind="config", record_id=record_id, payload={"type": "config", "record": version.to_json()})
    )


def bump(session: Session, site: str) -> None:
    """A site's config changed at the centre: its publisher sends the site's versions again.

    One statement adding 1 (two centre processes' changes never make one revision), which waits while a
    publisher holds the site's row: its snapshot is then on the broker, and this revision makes the next."""
    raised = session.exec(
        update(ConfigSiteRow).where(col(ConfigSiteRow.site) == site).values(revision=ConfigSiteRow.revision + 1)
    )
    if raised.rowcount:
        return
    try:
        with session.begin_nested():  # the site's first change: made here, unless another process just did
            session.add(ConfigSiteRow(site=site, revision=1, published=0))
    except IntegrityError:
        bump(session, site)


def seed(engine: Engine, site: str) -> int:
    """At an edge: a first version of every camera, zone and device that has none yet, sent like an edit.

    So the centre learns the lanes a site had before config sync (or before it joined), dated by each row's
    own ``updated_at``; an item the centre has edited since wins there and comes back. Returns how many."""
    made = 0
    with Session(engine) as session:
        held = {(r.kind, r.key) for r in session.exec(select(ConfigItemRow).where(ConfigItemRow.site == site))}
        found: list[tuple[str, str, datetime]] = [
            ("camera", c.id, c.updated_at) for c in session.exec(select(CameraRow))
        ]
        found += [("zone", f"{z.camera_id}/{z.zone_id}", z.updated_at) for z in session.exec(select(ZoneRow))]
        found += [("device", d.id, d.updated_at) for d in session.exec(select(DeviceRow))]
        for kind, key, updated_at in found:
            if (kind, key) in held or len(key) > 200:
                continue
            body = targets.read(session, "edge", site, kind, key)
            version = Version(site, kind, key, body, as_utc(updated_at), "system", "edge", None)
            store(session, version)
            _send(session, version)
            made += 1
        session.commit()
    return made
