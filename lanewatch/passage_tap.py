"""The pipeline's tap for lane passages: one `PassageCounter` per camera, its passages to the sinks.

Lives beside the pipeline rather than in `lanewatch.track` because it reads
violation events (downstream of tracking) to tell the counter which boxes
became violations. Called only by the pipeline's loop, so a camera's counter
is only ever touched by one thread, like the rest of its state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from lanewatch.camera import FrameResult
from lanewatch.events.violation import ViolationEvent
from lanewatch.track.passages import Passage, PassageCounter, ViolatingBox
from lanewatch.zones.zone import Zone

log = logging.getLogger(__name__)

PassageSink = Callable[[Passage], None]


def violating(events: Sequence[ViolationEvent], size: tuple[int, int]) -> list[ViolatingBox]:
    """The violations of a look's events, their boxes (stored as fractions of the frame) in pixels."""
    width, height = size
    out = []
    for event in events:
        x1, y1, x2, y2 = event.after.box
        out.append(
            ViolatingBox(event.after.zone, (x1 * width, y1 * height, x2 * width, y2 * height), event.after.start_s)
        )
    return out


class PassageTap:
    """Per-camera passage counters; `passages` counts what was reported, all cameras."""

    def __init__(self, sinks: Sequence[PassageSink] = ()) -> None:
        self.sinks = list(sinks)
        self.passages = 0
        self._counters: dict[str, PassageCounter] = {}
        self._sizes: dict[str, tuple[int, int]] = {}  # each camera's frame size, for the events' boxes

    def add(self, camera: str, zones: list[Zone]) -> None:
        self._counters[camera] = PassageCounter(camera, zones)

    def set_zones(self, camera: str, zones: list[Zone]) -> None:
        if camera in self._counters:
            self._counters[camera].set_zones(zones)

    def look(self, result: FrameResult) -> None:
        counter = self._counters.get(result.frame.camera)
        if counter is not None:
            frame = result.frame
            size = self._sizes[frame.camera] = (frame.width, frame.height)
            claimed = violating(result.events, size)
            self._emit(counter.update(frame.offset_s, frame.timestamp, result.detections, result.inside, claimed))

    def finish(self, camera: str, events: Sequence[ViolationEvent]) -> None:
        """The camera's source ended (`events`: its last violation events)."""
        counter, size = self._counters.pop(camera, None), self._sizes.pop(camera, None)
        if counter is not None:
            self._emit(counter.finish(violating(events, size) if size is not None else []))

    def _emit(self, passages: list[Passage]) -> None:
        for passage in passages:
            self.passages += 1
            for sink in self.sinks:
                try:
                    sink(passage)
                except Exception:  # a failing sink (e.g. DB briefly down) must not stop the cameras
                    log.exception("passage sink %r failed for camera %s", sink, passage.camera)
