"""The records of the dwell stage: zone timings, stays and the transitions reported.

Kept apart from the state machine (`dwell.DwellMonitor`) because the events
stage reads them too (`events.recorder`), and so each module stays small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

StayState = Literal["entered", "dwelling", "violating", "ended"]
TransitionKind = Literal["entered", "violation", "update", "ended"]
DwellRule = Literal["stopped", "present"]

# Every comparison of stream-time spans (dwell, exit grace, standing) allows
# this much. Stream timestamps jitter by a fraction of a millisecond (an RTSP
# camera stamps frames as it sends them: key frames 2 s apart measured 8.0 s
# +- 0.0004 s over four GOPs), so without it a dwell that is a whole number of
# look intervals passed at one look or a whole look later by chance: half of
# the alerts on an 8 s dwell at one look per 2 s came 2 s late. 50 ms is about
# one frame at 25 fps, nothing against dwells and graces of seconds.
TIME_TOLERANCE_S = 0.05


@dataclass(frozen=True, slots=True)
class ZoneTiming:
    """What the dwell clock needs from a zone, in seconds of stream time."""

    dwell_seconds: float
    exit_grace_seconds: float
    rule: DwellRule = "stopped"

    def __post_init__(self) -> None:
        for name in ("dwell_seconds", "exit_grace_seconds"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number ≥ 0, got {value!r}")
        if self.rule not in get_args(DwellRule):
            raise ValueError(f"rule must be one of {get_args(DwellRule)}, got {self.rule!r}")


@dataclass(frozen=True, slots=True)
class Stay:
    """Immutable snapshot of one object's stay in one zone.

    `box` is the xyxy box of the *last* sighting (at `last_seen_s`), not the
    most confident one: it is what the current frame shows, so an evidence
    snapshot taken with a transition draws the box where the car is, and it
    is what an id switch is matched against. `stop_s` is when the current
    stop began (see the module docstring), `stop_box` the box it stands on;
    `firm_s` / `firm_box` begin the current run of sightings that stand on
    `firm_box` with no shrink excused (`stands(..., strict=True)`); `stop_track` the stop's last sightings
    (time, box), for `standing.drifting`.
    """

    stay_id: int
    zone_id: str
    tracker_id: int
    label: str
    state: StayState
    entered_s: float
    last_seen_s: float
    violation_s: float | None
    ended_s: float | None
    best_confidence: float
    box: tuple[float, float, float, float]
    stop_s: float
    stop_box: tuple[float, float, float, float]
    firm_s: float
    firm_box: tuple[float, float, float, float]
    stop_track: tuple[tuple[float, tuple[float, float, float, float]], ...] = ()

    @property
    def dwell_s(self) -> float:
        """Seconds between the first and the last sighting in the zone."""
        return self.last_seen_s - self.entered_s

    @property
    def stopped_s(self) -> float:
        """Seconds the current stop has lasted, up to the last sighting."""
        return self.last_seen_s - self.stop_s


@dataclass(frozen=True, slots=True)
class DwellTransition:
    """One change to report.

    kind:
        "entered"   a new stay began;
        "violation" the stay just reached the zone's dwell time (once per stay:
                    the only kind from which callers create violations);
        "update"    a violating stay was seen again (at most one per stay per
                    `update`), or, from `finish`, a stay still open at the end;
        "ended"     the stay is over; sent for pass-throughs too
                    (`violation_s` is None), so callers can count them.
    """

    kind: TransitionKind
    stay: Stay
