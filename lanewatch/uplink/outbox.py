"""The edge's outbox: one `uplink_outbox` row per record change, in the transaction of the change.

`EdgeOutbox` is the record tap (`lanewatch.store.record_tap`) of the edge's
engine. A violation written by the pipeline, a camera-health change and
every alarm lifecycle step and device status change (online, offline, maintenance) add one row holding the record in the shape the
API serves, so a crash between the record and its row cannot happen: both
commit or neither. The publisher (`lanewatch.uplink.publisher`) deletes a
row once the broker has acknowledged it.

The outbox is bounded: past ``outbox_max_rows`` the oldest *evidence-type*
entries (camera health, device status and evidence pictures, see `lanewatch.uplink.evidence`) are
deleted to make room, counted in `dropped` and logged. Records (violations,
alarms) are never dropped: when only records are left the outbox grows past
its limit, which is counted in `over_limit` and logged, because a fire
alarm that never reaches the district is worse than a fuller disk.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import delete, event, func
from sqlmodel import Session, col, select

from lanewatch.api.routers.violations import violation_out_json
from lanewatch.events.bus import health_payload
from lanewatch.store.outbox import health_key
from lanewatch.store.tables import EvidenceRow, ViolationRow
from lanewatch.store.uplink_tables import UplinkOutboxRow
from lanewatch.video.health import HealthEvent

log = logging.getLogger(__name__)

RECORD_KINDS = ("violation", "alarm")
"""Never dropped to make room."""
DROPPABLE_KINDS = ("health", "device", "evidence")
"""Dropped, oldest first, when the outbox is full."""
_SIGNALS = "lanewatch.uplink_outbox_signals"


def violation_entry(row: ViolationRow) -> dict[str, Any]:
    """The API's violation plus the edge's evidence file names (the pictures travel as ``evidence`` entries)."""
    return {
        "record": violation_out_json(row),
        "evidence": {"snapshot": row.snapshot, "snapshot_clean": row.snapshot_clean},
    }


class EdgeOutbox:
    """The record tap that fills `uplink_outbox`; `dropped` and `over_limit` count since start."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.dropped = 0
        self.over_limit = 0
        self._lock = threading.Lock()
        self.written = threading.Event()
        """Set after each commit that added entries: the publisher (`UplinkPublisher.follow`) reads at once."""

    def __call__(self, session: Session, what: str, subject: Any) -> None:
        entry = self.entry(what, subject)
        if entry is None:
            return
        entries = [entry, *(self.evidence_entries(session, subject) if entry[0] == "violation" else [])]
        rows = [UplinkOutboxRow(kind=kind, record_id=rid[:200], payload=payload) for kind, rid, payload in entries]
        session.add_all(rows)  # in this order: the record's seq comes before its pictures'
        session.flush()
        if not session.info.get(_SIGNALS):  # one listener per session, however many writes and commits it sees
            session.info[_SIGNALS] = True
            event.listen(session, "after_commit", self._committed)  # not before: the publisher's read must see them
        row = rows[-1]
        assert row.seq is not None
        oldest = session.exec(select(func.min(UplinkOutboxRow.seq))).one()
        if oldest is not None and row.seq - oldest + 1 > self.max_rows:  # else there cannot be too many: no count
            self._bound(session)

    def _committed(self, session: Session) -> None:
        self.written.set()

    @staticmethod
    def entry(what: str, subject: Any) -> tuple[str, str, dict[str, Any]] | None:
        """(kind, record id, payload) of what a writer wrote; None for what the centre does not take yet."""
        if what == "violation" and isinstance(subject, ViolationRow):
            return "violation", subject.id, {"type": "violation", **violation_entry(subject)}
        if what == "health" and isinstance(subject, HealthEvent):
            payload = health_payload(subject)
            return "health", health_key(subject), {"type": payload["type"], "record": payload}
        if what == "event":
            event_type, payload = subject
            if event_type.startswith("alarm.") and isinstance(payload.get("after"), dict):
                return "alarm", payload["after"]["id"], {"type": event_type, "record": payload["after"]}
            if event_type.startswith("device.") and isinstance(payload.get("device"), dict):
                return "device", payload["device"]["id"], {"type": event_type, "record": payload["device"]}
        return None

    @staticmethod
    def evidence_entries(session: Session, violation: ViolationRow) -> list[tuple[str, str, dict[str, Any]]]:
        """One entry per picture this transaction first records for the violation (its new `EvidenceRow`s)."""
        found = [r for r in session.new if isinstance(r, EvidenceRow) and r.violation_id == violation.id]
        return [
            (
                "evidence",
                f"{r.violation_id}:{r.kind}",
                {"type": "evidence", "record": {"violation": r.violation_id, "kind": r.kind, "path": r.path}},
            )
            for r in sorted(found, key=lambda r: r.kind)
        ]

    def _bound(self, session: Session) -> None:
        count = session.exec(select(func.count()).select_from(UplinkOutboxRow)).one()
        excess = count - self.max_rows
        if excess <= 0:
            return
        oldest = list(
            session.exec(
                select(UplinkOutboxRow.seq)
                .where(col(UplinkOutboxRow.kind).in_(DROPPABLE_KINDS))
                .order_by(col(UplinkOutboxRow.seq))
                .limit(excess)
            )
        )
        if oldest:
            session.exec(delete(UplinkOutboxRow).where(col(UplinkOutboxRow.seq).in_(oldest)))
        with self._lock:
            self.dropped += len(oldest)
            over = excess - len(oldest)
            if over > 0:
                self.over_limit += 1
            dropped, over_limit = self.dropped, self.over_limit
        if oldest and _worth_a_line(dropped, len(oldest)):
            log.warning(
                "uplink outbox full (%d entries, limit %d): dropped the %d oldest camera-health, device or evidence entries "
                "(%d dropped since start)",
                count,
                self.max_rows,
                len(oldest),
                self.dropped,
            )
        if over > 0 and _worth_a_line(over_limit, 1):
            log.warning(
                "uplink outbox over its limit with records only (%d entries, limit %d): keeping them all",
                count,
                self.max_rows,
            )

    def counters(self) -> dict[str, int]:
        with self._lock:
            return {"dropped": self.dropped, "over_limit": self.over_limit}


def _worth_a_line(total: int, added: int) -> bool:
    """Log the first time and then once per 100 (a full outbox drops on every write)."""
    return total == added or total // 100 != (total - added) // 100


def backlog(session: Session) -> int:
    """Entries waiting for the broker."""
    return session.exec(select(func.count()).select_from(UplinkOutboxRow)).one()
