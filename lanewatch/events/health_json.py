"""``health.json``: the periods each camera was not healthy during a ``lanewatch eval`` run.

The eval run collects the ``HealthEvent``s its cameras reported; a camera is
in one state at a time, so each event ends the previous period. Every period
in a state other than online becomes one record::

    {"camera": "gate", "kind": "covered", "start_s": 12.0, "end_s": 40.0, "detail": "..."}

``start_s`` / ``end_s`` are seconds of stream time since the camera's first
frame, the clock violations.json uses; ``end_s`` is null when the period
lasted to the end of the run. An event that does not carry its stream time
(a disconnect) is placed by its wall time relative to one that does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lanewatch.video.health import HealthEvent, SourceState


def health_periods(events: Iterable[HealthEvent]) -> list[dict[str, Any]]:
    """The not-online periods, camera by camera in first-seen order, each in time order."""
    by_camera: dict[str, list[HealthEvent]] = {}
    for event in events:
        by_camera.setdefault(event.camera, []).append(event)
    periods: list[dict[str, Any]] = []
    for camera, mine in by_camera.items():
        anchor = next((e for e in mine if e.offset_s is not None), None)

        def offset(event: HealthEvent, anchor: HealthEvent | None = anchor) -> float | None:
            if event.offset_s is not None:
                return round(event.offset_s, 3)
            if anchor is None or anchor.offset_s is None:
                return None
            return round(anchor.offset_s + (event.at - anchor.at).total_seconds(), 3)

        for event, following in zip(mine, [*mine[1:], None], strict=True):
            if event.state == SourceState.ONLINE:
                continue
            periods.append(
                {
                    "camera": camera,
                    "kind": event.state.value,
                    "start_s": offset(event),
                    "end_s": offset(following) if following is not None else None,
                    "detail": event.detail,
                }
            )
    return periods


def write_health_json(path: Path, events: Iterable[HealthEvent]) -> list[dict[str, Any]]:
    """Write ``health_periods(events)`` to ``path`` (UTF-8, indented) and return them."""
    periods = health_periods(events)
    path.write_text(json.dumps(periods, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return periods
