"""The violation record and its lifecycle messages.

A violation is created once per real stop (the dwell machine guarantees
that) and then updated and ended; every change travels as a
`ViolationEvent` carrying the record before and after, so sinks (store,
reports, live stream, webhooks) never have to diff state themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

EventKind = Literal["new", "update", "end"]


@dataclass(frozen=True, slots=True)
class Violation:
    """A vehicle or object stopped in a lane zone past the zone's grace time.

    Times come twice: ``*_s`` are seconds since the start of the source
    (stream time, what dwell is measured in) and ``*_at`` are timezone-aware
    wall times derived from the stream's timestamps.
    """

    id: str
    camera: str
    zone: str
    zone_name: str
    label: str
    start_s: float
    violation_s: float
    last_seen_s: float
    """Stream time the object was last seen (kept current while active)."""
    end_s: float | None
    started_at: datetime
    violation_at: datetime
    ended_at: datetime | None
    confidence: float
    box: tuple[float, float, float, float]
    """Best sighting's box as fractions (x1, y1, x2, y2) of the frame."""
    snapshot: str | None = None
    """Annotated JPEG, relative to the evidence directory."""
    snapshot_clean: str | None = None
    """Clean JPEG of the same frame, relative to the evidence directory."""
    unreliable_reason: str | None = None
    """Why the record cannot be trusted, e.g. "camera_moved" (it arose while the view had shifted off its zones)."""

    @property
    def unreliable(self) -> bool:
        return self.unreliable_reason is not None

    @property
    def active(self) -> bool:
        return self.end_s is None

    @property
    def dwell_s(self) -> float:
        """Seconds in the zone so far (to the end, or to the last sighting while active)."""
        return (self.end_s if self.end_s is not None else self.last_seen_s) - self.start_s


@dataclass(frozen=True, slots=True)
class ViolationEvent:
    """One lifecycle message: ``new``, ``update`` or ``end``."""

    kind: EventKind
    before: Violation | None
    after: Violation
