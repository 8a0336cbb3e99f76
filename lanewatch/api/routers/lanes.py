"""/api/lanes routes: what drives through each lane (issue 20: a fire lane that is a through road).

``GET /api/lanes/passages``: per lane (camera, zone), the vehicles that drove
into the zone and out again without a violation over a range of entry times:
how many, the median and 95th percentile of their seconds in the lane, and
optionally the latest few. Inside the caller's scope only: a camera outside it
answers 404, like everywhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime, BaseModel, Field

from lanewatch.api.deps import SessionDep, StrictJSONRoute
from lanewatch.api.errors import ApiError, responses
from lanewatch.api.permits import Reader
from lanewatch.api.routers.cameras import camera_or_404
from lanewatch.store.passage_store import LaneSummary, lane_summaries
from lanewatch.store.passage_tables import PassageRow
from lanewatch.store.tables import as_utc

router = APIRouter(prefix="/lanes", tags=["lanes"], route_class=StrictJSONRoute)


class PassageOut(BaseModel):
    """One vehicle through a lane. Times are stream time (UTC)."""

    label: str = Field(title="Class", description="car, truck, bus, ...")
    entered_at: datetime = Field(title="First seen in the lane")
    left_at: datetime = Field(title="Last seen in the lane")
    seconds: float = Field(title="Seconds in the lane", description="0 for a vehicle seen at one look only.")
    lost: bool = Field(title="Lost inside", description="Not seen leaving: the tracker lost it in the lane.")

    @classmethod
    def of(cls, row: PassageRow) -> PassageOut:
        return cls(
            label=row.label,
            entered_at=as_utc(row.entered_at),
            left_at=as_utc(row.left_at),
            seconds=row.seconds,
            lost=row.lost,
        )


class LanePassagesOut(BaseModel):
    """One lane's passages over the range."""

    camera: str = Field(title="Camera id")
    zone: str = Field(title="Zone id")
    zone_name: str = Field(title="Zone name", description="The zone id when the zone was removed since.")
    count: int = Field(title="Passages", description="Vehicles that drove through without a violation.")
    lost: int = Field(title="Lost inside", description="Of those, how many the tracker lost inside the lane.")
    median_s: float | None = Field(title="Median seconds in the lane", description="Null without passages.")
    p95_s: float | None = Field(title="95th percentile of seconds in the lane", description="Null without passages.")
    recent: list[PassageOut] = Field(title="Latest passages", description="Newest first, at most `recent`.")

    @classmethod
    def of(cls, lane: LaneSummary) -> LanePassagesOut:
        return cls(
            camera=lane.camera,
            zone=lane.zone,
            zone_name=lane.zone_name,
            count=lane.count,
            lost=lane.lost,
            median_s=lane.median_s,
            p95_s=lane.p95_s,
            recent=[PassageOut.of(r) for r in lane.recent],
        )


class PassagesOut(BaseModel):
    since: datetime | None = Field(title="From (entry time, inclusive)")
    until: datetime | None = Field(title="To (entry time, exclusive)")
    lanes: list[LanePassagesOut] = Field(title="Lanes", description="Every lane in scope, by camera then zone.")


@router.get(
    "/passages",
    response_model=PassagesOut,
    responses=responses(401, 403, 404, 422),
    summary="Vehicles through each lane, and how long they took",
)
def lane_passages(
    session: SessionDep,
    caller: Reader,
    camera: Annotated[str | None, Query(max_length=100, description="Camera id.")] = None,
    zone: Annotated[str | None, Query(max_length=100, description="Zone id.")] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="Entered the lane at or after this time (ISO 8601 with a time zone).")
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="Entered the lane before this time (ISO 8601 with a time zone).")
    ] = None,
    recent: Annotated[int, Query(ge=0, le=100, description="How many of the latest passages to list per lane.")] = 0,
) -> PassagesOut:
    if since is not None and until is not None and since >= until:
        raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, "api.report.since_until")
    if camera is not None:
        camera_or_404(session, camera, caller.scope)
    lanes = lane_summaries(
        session, scope=caller.scope, camera=camera, zone=zone, since=since, until=until, recent=recent
    )
    return PassagesOut(since=since, until=until, lanes=[LanePassagesOut.of(lane) for lane in lanes])
