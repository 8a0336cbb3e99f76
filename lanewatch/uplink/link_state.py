"""Each site's link as the centre's people see it: online, offline or never heard from, and how far behind.

`uplink_sites` holds raw facts (last message, last heartbeat, counters, the
edge's backlog). What a duty officer needs is a judgement: is the edge there?
A site is ``online`` when a message or a heartbeat arrived within
``centre.site_offline_after_s`` (about 3 heartbeats: one lost heartbeat is not
an outage), ``offline`` when the latest is older, ``never`` when nothing came
yet (a dead letter counts as a message: something arrived). The judgement is made on reading, from the stored times and now, so
no timer has to run at the centre for a site to turn offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, select

from lanewatch.people.scope import Scope, scoped
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import as_utc
from lanewatch.store.uplink_tables import UplinkSiteRow

LinkState = Literal["online", "offline", "never"]


@dataclass(frozen=True, slots=True)
class SiteLink:
    """One site's link judged at `now`; times are the centre's clock."""

    site: str
    org_code: str | None
    org_name: str | None
    state: LinkState
    last_message_at: datetime | None
    last_heartbeat_at: datetime | None
    backlog: int | None
    lag_s: float | None
    clock_skew_s: float | None
    messages: int
    duplicates: int
    dead_letters: int
    edge_version: str | None


def _latest(*times: datetime | None) -> datetime | None:
    known = [as_utc(t) for t in times if t is not None]
    return max(known) if known else None


def state_of(row: UplinkSiteRow, now: datetime, offline_after_s: float) -> LinkState:
    """``online`` if a message or heartbeat came within `offline_after_s` of `now`, else ``offline``; ``never``
    when neither came."""
    latest = _latest(row.last_message_at, row.last_heartbeat_at)
    if latest is None:
        return "never"
    return "online" if now - latest <= timedelta(seconds=offline_after_s) else "offline"


def judge(row: UplinkSiteRow, org: OrganisationRow | None, now: datetime, offline_after_s: float) -> SiteLink:
    return SiteLink(
        site=row.site,
        org_code=org.code if org is not None else None,
        org_name=org.name if org is not None else None,
        state=state_of(row, now, offline_after_s),
        last_message_at=as_utc(row.last_message_at) if row.last_message_at is not None else None,
        last_heartbeat_at=as_utc(row.last_heartbeat_at) if row.last_heartbeat_at is not None else None,
        backlog=row.backlog,
        lag_s=row.lag_s,
        clock_skew_s=row.clock_skew_s,
        messages=row.messages,
        duplicates=row.duplicates,
        dead_letters=row.dead_letters,
        edge_version=row.edge_version,
    )


def site_links(session: Session, scope: Scope, now: datetime, offline_after_s: float) -> list[SiteLink]:
    """The sites whose organisation is in `scope`, by site code; a site of no known organisation only for an
    unlimited scope (`Scope.allows`)."""
    query = select(UplinkSiteRow, OrganisationRow).join(
        OrganisationRow, col(OrganisationRow.pk) == col(UplinkSiteRow.org_pk), isouter=True
    )
    query = scoped(query, scope, UplinkSiteRow)
    rows = session.exec(query.order_by(col(UplinkSiteRow.site))).all()
    return [judge(row, org, now, offline_after_s) for row, org in rows]
