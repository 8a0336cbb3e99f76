"""Config both ways: one synced setting's version, and the later-edit-wins rule both ends apply.

A synced setting is a camera's settings, a lane zone or a device's settings
(`lanewatch.uplink.config_sync_targets`), named by its id *at the site*. Every
edit, at the edge or at the centre, becomes a new version (`ConfigItemRow`):
the body, the editor's clock (``edited_at``), who, where (``origin``) and the
``edited_at`` of the version it changed (``base_at``). The centre sends a site
its versions as one retained message (`lanewatch.uplink.config_sync_centre`),
so an edge that was away gets the latest when it is back; the edge sends its
own edits through its durable outbox (`lanewatch.uplink.config_sync_capture`).

Receiving a version (`receive`), both ends decide alike, so they end up equal:

- the same version again changes nothing (nor does a losing one seen again);
- the later version wins: ``edited_at``, then the centre before the edge,
  then the editor's name (so two ends never decide differently);
- an edit whose ``base_at`` is older than the version held here was made
  without knowing it: a conflict. The later edit is kept and an audit entry
  ``config.conflict`` records both (``before``: the one that lost, ``after``:
  the one kept) at each end. A plain newer version is audited as ``config.apply``.

An edit's ``edited_at`` is never before its base's (`next_edit_time`), so a
clock behind the other end's cannot make a later edit look older.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlmodel import Session

from lanewatch.store.people_tables import AuditRow
from lanewatch.store.tables import as_utc, utcnow
from lanewatch.store.uplink_tables import ConfigItemRow
from lanewatch.uplink import config_sync_targets as targets
from lanewatch.uplink.bad_message import BadMessage, iso_time

log = logging.getLogger(__name__)

Side = Literal["edge", "centre"]
Received = Literal["applied", "kept", "duplicate", "missing"]
"""applied: the incoming version is now held; kept: the one held was later; missing: nothing to apply it to."""
KINDS = targets.KINDS
ORIGINS: tuple[Side, ...] = ("edge", "centre")


def config_topic(site: str) -> str:
    """Where the centre keeps a site's config, retained: ``lanewatch/v1/centre/<site>/config``."""
    return f"lanewatch/v1/centre/{site}/config"


@dataclass(frozen=True, slots=True)
class Version:
    """One edit of one setting, as both ends store and send it."""

    site: str
    kind: str
    key: str
    body: dict[str, Any] | None
    edited_at: datetime
    edited_by: str
    origin: Side
    base_at: datetime | None = None

    def order(self) -> tuple[datetime, int, str]:
        """What "later" means: the editor's time, then the centre over the edge, then the editor's name."""
        return (self.edited_at, ORIGINS.index(self.origin), self.edited_by)

    def label(self) -> str:
        return f"{self.edited_at.isoformat()}|{self.origin}|{self.edited_by}"[:300]

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "kind": self.kind,
            "key": self.key,
            "body": self.body,
            "edited_at": self.edited_at.isoformat(),
            "edited_by": self.edited_by,
            "origin": self.origin,
            "base_at": self.base_at.isoformat() if self.base_at is not None else None,
        }

    def audited(self) -> dict[str, Any]:
        """How the audit shows this version (``before`` or ``after`` of a config entry)."""
        return {k: v for k, v in self.to_json().items() if k not in ("site", "kind", "key")}

    @classmethod
    def of_row(cls, row: ConfigItemRow) -> Version:
        return cls(
            row.site,
            row.kind,
            row.key,
            row.body,
            as_utc(row.edited_at),
            row.edited_by,
            "centre" if row.origin == "centre" else "edge",
            as_utc(row.base_at),
        )

    @classmethod
    def from_json(cls, raw: Any) -> Version:
        """A version from a message; `BadMessage` says what is wrong with it."""
        if not isinstance(raw, dict):
            raise BadMessage("a config version must be an object")
        missing = [k for k in ("site", "kind", "key", "body", "edited_at", "edited_by", "origin") if k not in raw]
        if missing:
            raise BadMessage(f"config version without {', '.join(missing)}")
        kind, key, body, origin = raw["kind"], raw["key"], raw["body"], raw["origin"]
        if kind not in KINDS or origin not in ORIGINS:
            raise BadMessage(f"unknown config kind {kind!r} or origin {origin!r}")
        if not isinstance(key, str) or not 0 < len(key) <= 200 or not isinstance(raw["site"], str):
            raise BadMessage("a config key must be a text of 1 to 200 characters")
        if body is not None and not isinstance(body, dict):
            raise BadMessage("a config body must be an object or null")
        if not isinstance(raw["edited_by"], str):
            raise BadMessage("edited_by must be a text")
        base = raw.get("base_at")
        return cls(
            raw["site"], kind, key, body, as_utc(iso_time(raw["edited_at"], "edited_at")), raw["edited_by"][:200],
            origin, as_utc(iso_time(base, "base_at")) if base is not None else None,
        )  # fmt: skip


def next_edit_time(base: datetime | None, now: datetime | None = None) -> datetime:
    """The ``edited_at`` of an edit of `base`: now, but never before `base` (a clock behind the other end's)."""
    now = now or utcnow()
    return now if base is None or now > as_utc(base) else as_utc(base) + timedelta(milliseconds=1)


def is_conflict(incoming: Version, held: Version | None) -> bool:
    """The incoming edit was made without knowing the version held here."""
    return held is not None and (incoming.base_at is None or incoming.base_at < held.edited_at)


def store(session: Session, version: Version, rejected: Version | None = None) -> ConfigItemRow:
    """Hold `version` as the setting's current one (``rejected``: the concurrent edit it won over)."""
    row = session.get(ConfigItemRow, (version.site, version.kind, version.key))
    if row is None:
        row = ConfigItemRow(
            site=version.site, kind=version.kind, key=version.key, edited_at=version.edited_at, edited_by="", origin=""
        )
    row.body, row.edited_at, row.edited_by = version.body, version.edited_at, version.edited_by
    row.origin, row.base_at = version.origin, version.base_at
    row.rejected = rejected.label() if rejected is not None else None
    session.add(row)
    return row


def receive(session: Session, incoming: Version, side: Side) -> Received:
    """Apply one version from the other end by the later-wins rule, with its audit (the caller commits)."""
    row = session.get(ConfigItemRow, (incoming.site, incoming.kind, incoming.key))
    held = Version.of_row(row) if row is not None else None
    if row is not None and held is not None and incoming.label() in (held.label(), row.rejected):
        return "duplicate"
    conflict = is_conflict(incoming, held)
    if held is not None and incoming.order() < held.order():
        assert row is not None
        row.rejected = incoming.label()
        session.add(row)
        _audit(session, side, incoming, "config.conflict", before=incoming, after=held)
        log.info("config sync: kept %s %s of %s over a concurrent older edit", held.kind, held.key, held.origin)
        return "kept"
    if not targets.write(session, side, incoming.site, incoming.kind, incoming.key, incoming.body):
        log.warning("config sync: %s %s of site %s: nothing here to apply it to", incoming.kind, incoming.key,
                    incoming.site)  # fmt: skip
        return "missing"
    store(session, incoming, rejected=held if conflict else None)
    if conflict:
        _audit(session, side, incoming, "config.conflict", before=held, after=incoming)
    else:
        _audit(session, side, incoming, "config.apply", before=held, after=incoming)
    return "applied"


def _audit(session: Session, side: Side, about: Version, action: str, *, before: Version | None,
           after: Version) -> None:  # fmt: skip
    """An audit entry about a setting (its id here), by the editor of the version kept, in the setting's
    organisation; a ``config.*`` action, so the capture of local edits does not take it for one."""
    session.add(
        AuditRow(
            actor_kind=after.origin,
            actor_name=after.edited_by[:200],
            action=action,
            target_kind=about.kind,
            target_id=targets.local_id(side, about.site, about.kind, about.key)[:200],
            org_pk=targets.org_of(session, side, about.site, about.kind, about.key),
            before=before.audited() if before is not None else None,
            after=after.audited(),
        )
    )
