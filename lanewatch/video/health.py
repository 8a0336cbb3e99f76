"""Whether a camera is delivering usable pictures: online, offline, frozen, or a picture problem.

A fire-lane watcher that silently stops seeing is worse than one that alarms
wrongly, so every source reports its state changes here and the pipeline
drains them as events. A frozen camera (encoder stuck, cable to the sensor
cut while the encoder keeps streaming) still sends frames, so it is detected
from the picture itself: a tiny grey thumbnail that stays the same, within
compression noise, for ``frozen_after_s`` seconds of stream time.

Picture problems (covered, dark, blurred, moved) are judged by
``video.picture_health`` on the frames the pipeline analyses and reported
here through ``on_picture``: a camera has one state at a time, so each
problem is a period with a start and an end, stored and streamed like
frozen. Offline wins over a picture problem, and a picture problem over
frozen: a black or covered picture cannot change, so "frozen" would only
hide what is wrong.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np

from lanewatch.video.frame import Frame


class SourceState(StrEnum):
    """What the pipeline may assume about a camera's pictures."""

    ONLINE = "online"
    OFFLINE = "offline"
    FROZEN = "frozen"
    COVERED = "covered"
    DARK = "dark"
    BLURRED = "blurred"
    MOVED = "moved"


PICTURE_STATES = frozenset({SourceState.COVERED, SourceState.DARK, SourceState.BLURRED, SourceState.MOVED})
"""States judged from the picture's content while frames arrive (``video.picture_health``)."""


@dataclass(frozen=True, slots=True)
class HealthEvent:
    """One state change of one camera."""

    camera: str
    state: SourceState
    at: datetime
    detail: str
    offset_s: float | None = None  # stream time of ``at`` when it comes from a frame (None: a disconnect)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("HealthEvent.at must be timezone-aware")


class HealthMonitor:
    """Turns frames and disconnects into state changes, safe across threads.

    The source thread calls ``on_frame`` / ``on_disconnect``; the pipeline
    thread reads ``state`` and calls ``drain_events``. The first report always
    produces an event (so a camera that never connects is announced offline);
    after that only changes do.

    Args:
        camera: camera id copied into every event.
        frozen_after_s: seconds of stream time the picture must stay unchanged.
        thumb_size: side of the square grey thumbnail compared between frames.
            Each thumbnail pixel averages a large block, which smooths away
            sensor and compression noise but still sees a moving car or an
            on-screen clock changing.
        tolerance: largest per-pixel difference (0–255) still counted as the
            same picture.
    """

    def __init__(self, camera: str, frozen_after_s: float, *, thumb_size: int = 32, tolerance: float = 4.0) -> None:
        if frozen_after_s <= 0:
            raise ValueError(f"frozen_after_s must be > 0, got {frozen_after_s}")
        self.camera = camera
        self.frozen_after_s = frozen_after_s
        self._thumb_size = thumb_size
        self._tolerance = tolerance
        self._lock = threading.Lock()
        self._state = SourceState.OFFLINE
        self._reported = False
        self._events: list[HealthEvent] = []
        self._last_frame_at: datetime | None = None
        self._still_thumb: np.ndarray | None = None  # picture at the start of the unchanged run
        self._still_since: tuple[float, datetime] | None = None  # (offset_s, timestamp) of that start
        self._picture: tuple[SourceState, str] | None = None  # the picture problem reported by on_picture
        self._state_at: tuple[datetime, float | None] | None = None  # when the current state began

    @property
    def state(self) -> SourceState:
        with self._lock:
            return self._state

    @property
    def last_frame_at(self) -> datetime | None:
        """Capture time of the most recent frame, ``None`` before the first."""
        with self._lock:
            return self._last_frame_at

    def on_frame(self, frame: Frame) -> None:
        """Record a delivered frame: online, or frozen if the picture stopped changing."""
        # Outside the lock: the only costly step. From the decoded luma plane: no BGR conversion.
        thumb = frame.grey_thumbnail(self._thumb_size, self._thumb_size).astype(np.int16)
        with self._lock:
            self._last_frame_at = frame.timestamp
            if self._still_thumb is None or self._changed(thumb):
                self._still_thumb = thumb
                self._still_since = (frame.offset_s, frame.timestamp)
                if self._picture is not None:
                    self._set(self._picture[0], frame.timestamp, self._picture[1], frame.offset_s)
                else:
                    detail = "receiving frames" if self._state != SourceState.FROZEN else "picture changed"
                    self._set(SourceState.ONLINE, frame.timestamp, detail, frame.offset_s)
                return
            assert self._still_since is not None
            still_s = frame.offset_s - self._still_since[0]
            if still_s >= self.frozen_after_s and self._picture is None:
                self._set(
                    SourceState.FROZEN,
                    frame.timestamp,
                    f"picture unchanged for {still_s:.1f} s since {self._still_since[1].isoformat()}",
                    frame.offset_s,
                )

    def on_picture(self, problem: SourceState | None, at: datetime, detail: str, offset_s: float) -> None:
        """Record a picture problem starting (``problem``) or ending (None), judged at stream time ``at``.

        It becomes the state unless the camera is offline (then it shows once frames come back).
        """
        if problem is not None and problem not in PICTURE_STATES:
            raise ValueError(f"{problem} is not a picture problem")
        with self._lock:
            self._picture = None if problem is None else (problem, detail)
            if self._reported and self._state != SourceState.OFFLINE:
                if self._state_at is not None and at < self._state_at[0]:  # it began before the current state
                    at, offset_s = self._state_at[0], self._state_at[1] if self._state_at[1] is not None else offset_s
                self._set(problem or SourceState.ONLINE, at, detail, offset_s)

    def on_disconnect(self, at: datetime, detail: str) -> None:
        """Record a lost or failed connection; the frozen timer restarts on reconnect."""
        with self._lock:
            self._still_thumb = None
            self._still_since = None
            self._set(SourceState.OFFLINE, at, detail)

    def drain_events(self) -> list[HealthEvent]:
        """State changes since the previous call, oldest first."""
        with self._lock:
            events, self._events = self._events, []
            return events

    def _set(self, state: SourceState, at: datetime, detail: str, offset_s: float | None = None) -> None:
        if self._reported and state == self._state:
            return
        self._reported = True
        self._state = state
        self._state_at = (at, offset_s)
        self._events.append(HealthEvent(self.camera, state, at, detail, offset_s))

    def _changed(self, thumb: np.ndarray) -> bool:
        assert self._still_thumb is not None
        if thumb.shape != self._still_thumb.shape:
            return True
        return int(np.abs(thumb - self._still_thumb).max()) > self._tolerance
