"""/api/sites: each site's link to the centre (online / offline / never), its backlog, lag and clock skew.

Read from `uplink_sites` and judged at request time (`lanewatch.uplink.link_state`) against
``centre.site_offline_after_s``. Inside the caller's scope: a community's people see their own site only.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lanewatch.api.deps import RuntimeDep, SessionDep, StrictJSONRoute
from lanewatch.api.errors import responses
from lanewatch.api.permits import Reader
from lanewatch.config import CentreConfig
from lanewatch.store.tables import utcnow
from lanewatch.uplink.link_state import LinkState, SiteLink, site_links

router = APIRouter(prefix="/sites", tags=["sites"], route_class=StrictJSONRoute)


class SiteOut(BaseModel):
    """One site's link as the centre sees it; times are the centre's clock (UTC)."""

    site: str = Field(title="Site code")
    org_code: str | None = Field(title="Organisation code", description="Null: no organisation has this code yet.")
    org_name: str | None = Field(title="Organisation name")
    state: LinkState = Field(title="Link", description="online, offline (nothing for site_offline_after_s), never.")
    last_message_at: datetime | None = Field(title="Last message")
    last_heartbeat_at: datetime | None = Field(title="Last heartbeat")
    backlog: int | None = Field(title="Waiting at the edge", description="Outbox entries; null before a heartbeat.")
    lag_s: float | None = Field(title="Lag (s)", description="How long the edge's oldest waiting entry has waited.")
    clock_skew_s: float | None = Field(title="Clock skew (s)", description="Centre − edge clock, plus transit.")
    messages: int = Field(title="Messages")
    duplicates: int = Field(title="Duplicates ignored")
    dead_letters: int = Field(title="Dead letters")
    edge_version: str | None = Field(title="Edge version")

    @classmethod
    def of(cls, link: SiteLink) -> SiteOut:
        return cls(**{name: getattr(link, name) for name in cls.model_fields})


@router.get("", response_model=list[SiteOut], responses=responses(401, 403), summary="List sites' links")
def list_sites(session: SessionDep, runtime: RuntimeDep, caller: Reader) -> list[SiteOut]:
    """The sites in the caller's scope, by code."""
    centre = getattr(getattr(runtime, "settings", None), "centre", None) or CentreConfig()
    links = site_links(session, caller.scope, utcnow(), centre.site_offline_after_s)
    return [SiteOut.of(link) for link in links]
