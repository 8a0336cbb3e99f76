"""Violations raised while their camera's view had moved are marked unreliable, on every event they travel in.

A knocked or re-aimed camera keeps its zones where the lane used to be, so
what it reports as stopped in a lane may be parked beside it. The pipeline
passes each camera's events through ``mark`` before any sink sees them, so
the store, the live stream, webhooks and reports all carry the same mark.
Whether a violation is marked depends only on when it became a violation
(inside a reported move, counted from the first shifted view), so its later
updates and its end carry the mark too, also those raised in the seconds
before the move was confirmed. The store keeps a mark once set (a restart
forgets the moves, not the marks).
"""

from __future__ import annotations

from dataclasses import replace

from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.video.picture_health import PictureHealth

CAMERA_MOVED = "camera_moved"
"""The reason: the camera's view had shifted off the one its zones were drawn on."""


def _marked(v: Violation, judge: PictureHealth) -> Violation:
    if v.unreliable or not judge.moved_at(v.violation_s):
        return v
    return replace(v, unreliable_reason=CAMERA_MOVED)


def mark(events: list[ViolationEvent], judge: PictureHealth | None) -> list[ViolationEvent]:
    """The events with each violation that arose during a move of ``judge``'s camera marked unreliable."""
    if judge is None or not judge.moved_periods:
        return events
    return [
        replace(
            e,
            before=_marked(e.before, judge) if e.before is not None else None,
            after=_marked(e.after, judge),
        )
        for e in events
    ]
