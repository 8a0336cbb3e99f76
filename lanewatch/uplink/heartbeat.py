"""The edge's heartbeat: how the centre tells an idle edge from a dead one, and learns its backlog.

A site that writes no records sends no messages, so the centre's last
message time alone cannot say whether its edge is quiet or gone. Every
``uplink.heartbeat_s`` (and at once after each connect) the publisher sends,
QoS 1, to ``lanewatch/v1/site/<site>/heartbeat``::

    {"site", "kind": "heartbeat", "sent_at" (the edge's clock, ISO with zone),
     "backlog" (outbox entries waiting), "oldest_entry_at" (created_at of the
     oldest entry, or null), "version" (lanewatch.__version__)}

A heartbeat is state, not a record: it is not an outbox row (a heartbeat
queued while the link is down would only say something stale when it
finally arrives), carries no sequence number and is not confirmed. The
centre's `apply_heartbeat` writes the site's row in `uplink_sites` (with the
transaction's counters, `lanewatch.uplink.site_link`, just before the commit):
``last_heartbeat_at`` (the centre's clock), ``backlog``, ``lag_s``,
``clock_skew_s`` and ``edge_version``. It does not count as a message.

``lag_s`` is how long the oldest waiting entry had waited when the heartbeat
left: ``sent_at − oldest_entry_at``, both read off the edge's clock, so an
edge whose clock runs hours off still reports its true lag (0 with an empty
outbox). The clocks' difference is ``clock_skew_s`` (centre receive time −
``sent_at``, plus transit), kept apart so neither figure distorts the other.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

import lanewatch
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import as_utc, utcnow
from lanewatch.store.uplink_tables import UplinkOutboxRow
from lanewatch.uplink.bad_message import BadMessage, iso_time, json_object
from lanewatch.uplink.site_link import tally, transaction_cache

KIND = "heartbeat"
"""The topic's last part: ``lanewatch/v1/site/<site>/heartbeat``."""


# -- the edge ---------------------------------------------------------------------------------
def edge_body(session: Session, site: str) -> dict[str, Any]:
    """What the edge says about itself now: its backlog and how old the oldest waiting entry is."""
    backlog, oldest = session.exec(
        select(func.count(), func.min(UplinkOutboxRow.created_at)).select_from(UplinkOutboxRow)
    ).one()
    return {
        "site": site,
        "kind": KIND,
        "sent_at": utcnow().isoformat(),
        "backlog": int(backlog),
        "oldest_entry_at": as_utc(oldest).isoformat() if oldest is not None else None,
        "version": lanewatch.__version__,
    }


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


# -- the centre -------------------------------------------------------------------------------
def decode(raw: bytes) -> dict[str, Any]:
    """The heartbeat's JSON object; `BadMessage` when it is not one (so the centre keeps it as a dead letter)."""
    return json_object(raw)


def _checked(site: str, body: Any) -> tuple[datetime, int, datetime | None, str]:
    """sent_at, backlog, oldest_entry_at and version of a heartbeat of `site`, or `BadMessage`."""
    if not isinstance(body, dict):
        raise BadMessage("not a JSON object")
    missing = [k for k in ("site", "kind", "sent_at", "backlog", "oldest_entry_at", "version") if k not in body]
    if missing:
        raise BadMessage(f"missing {', '.join(missing)}")
    if (body["site"], body["kind"]) != (site, KIND):
        raise BadMessage(f"site/kind {body['site']}/{body['kind']} are not {site}/{KIND}")
    backlog = body["backlog"]
    if not isinstance(backlog, int) or isinstance(backlog, bool) or backlog < 0:
        raise BadMessage(f"backlog must be a whole number ≥ 0: {backlog!r}")
    version = body["version"]
    if not isinstance(version, str) or not 0 < len(version) <= 32:
        raise BadMessage(f"version must be a string of 1–32 characters: {version!r}")
    oldest = None if body["oldest_entry_at"] is None else iso_time(body["oldest_entry_at"], "oldest_entry_at")
    return iso_time(body["sent_at"], "sent_at"), backlog, oldest, version


def apply_heartbeat(session: Session, site: str, body: Any, received_at: datetime) -> None:
    """Write the heartbeat into the site's `uplink_sites` row (made if it is the site's first word); the caller
    commits. A heartbeat of a site the centre has no organisation for is kept too (org_pk null, like its dead
    letters' counts): it says an edge of that code is alive and waiting to be added."""
    sent_at, backlog, oldest, version = _checked(site, body)
    if len(site) > 32:
        raise BadMessage(f"site code longer than 32 characters: {site[:40]!r}")
    cache = transaction_cache(session)
    if ("org", site) not in cache:  # the same key the record path uses: one lookup per transaction
        cache["org", site] = session.exec(select(OrganisationRow.pk).where(OrganisationRow.code == site)).first()
    site_tally = tally(session, site)  # written with the site's counters, in the sorted order, before the commit
    if cache["org", site] is not None:
        site_tally.org_pk = cache["org", site]
    lag = round(max(0.0, (sent_at - oldest).total_seconds()), 3) if oldest is not None else 0.0  # edge's clock
    skew = round((received_at - sent_at).total_seconds(), 3)  # centre − edge, plus transit
    site_tally.heartbeat(received_at, backlog, lag, skew, version)
