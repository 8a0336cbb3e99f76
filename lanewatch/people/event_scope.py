"""Which live events a scope may hear: the one rule the SSE stream and webhook deliveries share.

An event about a camera (violations, camera health) is inside a scope when
its camera is; one about a sensor device (alarms, device state) when its
device is. An event naming neither (a webhook test) names nothing outside
any scope and passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from lanewatch.events.bus import payload_camera, payload_device
from lanewatch.people.scope import Scope
from lanewatch.store.alarm_tables import DeviceRow
from lanewatch.store.tables import CameraRow


def event_allowed(session: Session, scope: Scope, payload: dict[str, Any]) -> bool:
    """Whether `payload`'s camera or device is inside `scope`, looking that one record up."""
    if scope.unlimited:
        return True
    camera = payload_camera(payload)
    if camera is not None:
        row = session.get(CameraRow, camera)
        return row is not None and scope.allows(row.org_pk)
    device = payload_device(payload)
    if device is not None:
        found = session.get(DeviceRow, device)
        return found is not None and scope.allows(found.org_pk)
    return True


_generation = 0


def changed() -> None:
    """Cameras or devices were added, moved or removed (in this process): streams read their sets again."""
    global _generation
    _generation += 1


class StreamScope:
    """`event_allowed` for a long-lived stream, from the sets of cameras and devices in scope.

    The sets are read again after `changed()` (the API calls it when a camera
    or device is added, moved or removed), every `refresh_s` (changes made by
    another process), and at once (at most every `recheck_s`) when an event
    names a camera or device not in them.
    """

    def __init__(
        self,
        scope: Scope,
        session_factory: Callable[[], Session],
        *,
        refresh_s: float = 10.0,
        recheck_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scope = scope
        self.session_factory = session_factory
        self.refresh_s = refresh_s
        self.recheck_s = recheck_s
        self.clock = clock
        self.cameras: frozenset[str] | None = None
        self.devices: frozenset[str] | None = None
        self._read_at: float | None = None
        self._generation = -1

    def refresh(self) -> None:
        generation = _generation  # before the read: a change made during it makes the next event read again
        with self.session_factory() as session:
            self.cameras = self.scope.camera_ids(session)
            self.devices = self.scope.device_ids(session)
        self._read_at = self.clock()
        self._generation = generation

    def _known(self, payload: dict[str, Any]) -> bool | None:
        """Allowed (True/False) from the sets as read, or None when the sets are too old to say."""
        camera = payload_camera(payload)
        device = payload_device(payload) if camera is None else None
        if camera is None and device is None:
            return True
        ids = self.cameras if camera is not None else self.devices
        hit = ids is None or (camera if camera is not None else device) in ids
        age = None if self._read_at is None else self.clock() - self._read_at
        stale = age is None or age >= self.refresh_s or self._generation != _generation
        if stale or (not hit and age is not None and age >= self.recheck_s):
            return None
        return hit

    def needs_refresh(self, payload: dict[str, Any]) -> bool:
        """Whether `allows` would read the database first (a stream does that off its event loop)."""
        return not self.scope.unlimited and self._known(payload) is None

    def allows(self, payload: dict[str, Any]) -> bool:
        if self.scope.unlimited:
            return True
        known = self._known(payload)
        if known is None:
            self.refresh()
            known = self._known(payload)
        return bool(known)
