"""Persist camera health changes as periods: one row per stretch a camera spent in one state."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch.store import record_tap
from lanewatch.store.tables import HealthEventRow, as_utc
from lanewatch.video.health import HealthEvent


class HealthStore:
    """A sink for `HealthEvent`s: closes the camera's current period and opens the next."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, event: HealthEvent) -> None:
        with Session(self.engine) as session:
            self.apply(session, event)
            session.commit()

    @staticmethod
    def apply(session: Session, event: HealthEvent) -> HealthEventRow:
        """Record the change in the caller's transaction; replaying the same change does nothing."""
        state, at = event.state.value, as_utc(event.at)
        current = session.exec(
            select(HealthEventRow)
            .where(HealthEventRow.camera_id == event.camera, col(HealthEventRow.ended_at).is_(None))
            .order_by(col(HealthEventRow.started_at).desc(), col(HealthEventRow.pk).desc())
        ).first()
        if current is not None:
            if current.state == state and as_utc(current.started_at) == at:
                return current
            current.ended_at = max(at, as_utc(current.started_at))
            session.add(current)
        row = HealthEventRow(camera_id=event.camera, state=state, detail=event.detail[:2000], started_at=at)
        session.add(row)
        record_tap.emit(session, "health", event)
        return row
