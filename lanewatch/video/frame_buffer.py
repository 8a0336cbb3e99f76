"""Bounded per-camera frame buffers between source threads and the detector.

Why per camera: a recorded file must never lose a frame (its reader waits
when its buffer is full), while a live camera must never queue without
bound (its oldest frame is dropped and counted), and holds fewer frames
(a stale look is worth little). The consumer serves the least recently
served camera first, so under overload every camera gets its share of looks
(oldest-frame-first let the same cameras win every round), and each
camera's frames stay in stream order.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from lanewatch.video.frame import Frame


class FrameBuffers:
    """One bounded deque per camera behind a single condition variable."""

    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity
        self._queues: dict[str, deque[tuple[float, Frame]]] = {}
        self._closed: set[str] = set()
        self._dropped: dict[str, int] = {}
        self._capacity: dict[str, int] = {}
        self._served: dict[str, int] = {}
        self._live: set[str] = set()
        self._turn = 0
        self.last_drop_at: float | None = None
        """``time.monotonic()`` of the latest drop (None: never dropped)."""
        self._cond = threading.Condition()

    def add_camera(self, camera: str, capacity: int | None = None) -> None:
        with self._cond:
            self._queues.setdefault(camera, deque())
            self._dropped.setdefault(camera, 0)
            self._capacity[camera] = capacity or self.capacity
            self._served.setdefault(camera, 0)
            self._closed.discard(camera)

    def put(self, frame: Frame, *, drop_oldest: bool, stop: threading.Event | None = None) -> bool:
        """Add a frame; a full buffer drops its oldest (live) or waits (files). False if stopped."""
        with self._cond:
            queue = self._queues[frame.camera]
            while len(queue) >= self._capacity[frame.camera]:
                if drop_oldest:
                    queue.popleft()
                    self._dropped[frame.camera] += 1
                    self.last_drop_at = time.monotonic()
                    break
                if stop is not None and stop.is_set():
                    return False
                self._cond.wait(0.2)
            queue.append((time.monotonic(), frame))
            if drop_oldest:
                self._live.add(frame.camera)
            self._cond.notify_all()
            return True

    def waiting(self, camera: str) -> int:
        """Frames of ``camera`` waiting to be taken (0 for an unknown camera)."""
        with self._cond:
            queue = self._queues.get(camera)
            return len(queue) if queue is not None else 0

    def count_dropped(self, camera: str) -> None:
        """Count a look the camera's source dropped before it became a frame (see `Source.pace`)."""
        with self._cond:
            if camera in self._dropped:
                self._dropped[camera] += 1
                self.last_drop_at = time.monotonic()

    def close(self, camera: str) -> None:
        """The camera's source has ended; its remaining frames are still served."""
        with self._cond:
            self._closed.add(camera)
            self._cond.notify_all()

    def dropped(self, camera: str) -> int:
        with self._cond:
            return self._dropped.get(camera, 0)

    def depth(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._queues.values())

    def oldest_wait_s(self) -> float:
        """How long the oldest frame of a live camera has been waiting (0 when none waits).

        Files are left out: their readers run ahead of the detector by design."""
        now = time.monotonic()
        with self._cond:
            heads = [q[0][0] for cam, q in self._queues.items() if q and cam in self._live]
        return now - min(heads) if heads else 0.0

    def finished(self, exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """Cameras whose source ended and whose buffer is empty (reported once each), not in ``exclude``."""
        with self._cond:
            done = [c for c in self._closed if not self._queues[c] and c not in exclude]
            for camera in done:
                self._closed.discard(camera)
                del self._queues[camera]
            return done

    def active(self) -> int:
        """Cameras still producing or holding frames."""
        with self._cond:
            return len(self._queues)

    def take(self, max_frames: int, timeout: float, exclude: set[str] | frozenset[str] = frozenset()) -> list[Frame]:
        """Up to ``max_frames`` oldest frames across cameras not in ``exclude``; waits up to ``timeout`` for the first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not any(q for cam, q in self._queues.items() if cam not in exclude):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or any(c in self._closed for c in self._queues):
                    return []
                self._cond.wait(remaining)
            # least recently served camera first; among equals, the oldest frame
            heads = sorted(
                (self._served[cam], q[0][0], cam) for cam, q in self._queues.items() if q and cam not in exclude
            )
            taken: list[Frame] = []
            while len(taken) < max_frames and heads:
                _, _, cam = heads.pop(0)
                queue = self._queues[cam]
                taken.append(queue.popleft()[1])
                self._turn += 1
                self._served[cam] = self._turn
                if queue:
                    heads.append((self._served[cam], queue[0][0], cam))
                    heads.sort()
            self._cond.notify_all()
            return taken
