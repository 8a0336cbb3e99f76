"""Lane passages in the database: the pipeline's sink, and the per-lane summary the API serves.

A summary is per lane (camera, zone) over a time range of entry times: how
many vehicles went through, the median and 95th percentile of their seconds
in the lane, how many were lost inside rather than seen leaving, and
optionally the latest few. Every zone in scope is listed, with a count of 0
if nothing went through, so a quiet lane shows as quiet rather than missing.
Percentiles are computed here from the rows of the range (the same on SQLite
and PostgreSQL: numpy's linear interpolation); a range is meant to be a day
or a few, thousands of rows, not years.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from lanewatch.people.scope import Scope, scoped
from lanewatch.store.passage_tables import PassageRow
from lanewatch.store.tables import ZoneRow, as_utc
from lanewatch.track.passages import Passage

log = logging.getLogger(__name__)


class PassageStore:
    """The pipeline's passage sink: one row per passage, in its own short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, passage: Passage) -> None:
        with Session(self.engine) as session:
            session.add(row_of(passage))
            session.commit()


def row_of(passage: Passage) -> PassageRow:
    return PassageRow(
        camera_id=passage.camera,
        zone_id=passage.zone,
        label=passage.label,
        track_id=passage.track_id,
        entered_at=passage.entered_at,
        left_at=passage.left_at,
        seconds=round(passage.seconds, 3),
        lost=passage.lost,
    )


@dataclass(slots=True)
class LaneSummary:
    """One lane's passages over the range (`recent`: newest first)."""

    camera: str
    zone: str
    zone_name: str
    count: int = 0
    lost: int = 0
    median_s: float | None = None
    p95_s: float | None = None
    recent: list[PassageRow] = field(default_factory=list)


def lane_summaries(
    session: Session,
    *,
    scope: Scope,
    camera: str | None = None,
    zone: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    recent: int = 0,
) -> list[LaneSummary]:
    """Per lane, in camera then zone order; `since` inclusive, `until` exclusive (entry times)."""
    lanes: dict[tuple[str, str], LaneSummary] = {}
    zones = scoped(select(ZoneRow), scope, ZoneRow)
    if camera is not None:
        zones = zones.where(ZoneRow.camera_id == camera)
    if zone is not None:
        zones = zones.where(ZoneRow.zone_id == zone)
    for z in session.exec(zones).all():
        lanes[(z.camera_id, z.zone_id)] = LaneSummary(z.camera_id, z.zone_id, z.name)
    seconds: dict[tuple[str, str], list[float]] = {}
    query = _filtered(select(PassageRow), scope, camera, zone, since, until)
    for row in session.exec(query.order_by(col(PassageRow.entered_at).desc(), col(PassageRow.pk).desc())).all():
        key = (row.camera_id, row.zone_id)
        summary = lanes.setdefault(key, LaneSummary(*key, row.zone_id))  # a zone removed since
        seconds.setdefault(key, []).append(row.seconds)
        summary.count += 1
        summary.lost += int(row.lost)
        if len(summary.recent) < recent:
            summary.recent.append(row)
    for key, values in seconds.items():
        median, p95 = np.percentile(np.asarray(values, dtype=np.float64), [50, 95])
        lanes[key].median_s, lanes[key].p95_s = round(float(median), 1), round(float(p95), 1)
    return [lanes[key] for key in sorted(lanes)]


def _filtered(
    query: SelectOfScalar[PassageRow],
    scope: Scope,
    camera: str | None,
    zone: str | None,
    since: datetime | None,
    until: datetime | None,
) -> SelectOfScalar[PassageRow]:
    """`query` over passages limited to the scope, the lane filters and the entry-time range."""
    query = scoped(query, scope, PassageRow)
    if camera is not None:
        query = query.where(col(PassageRow.camera_id) == camera)
    if zone is not None:
        query = query.where(col(PassageRow.zone_id) == zone)
    if since is not None:
        query = query.where(col(PassageRow.entered_at) >= as_utc(since))
    if until is not None:
        query = query.where(col(PassageRow.entered_at) < as_utc(until))
    return query
