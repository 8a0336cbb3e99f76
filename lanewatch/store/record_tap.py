"""A tap on the places records are written, so another folder can add rows to the same transaction.

The uplink's edge outbox (`lanewatch.uplink.outbox`) must be written in the
transaction that writes the record it carries, or a crash could save one
without the other. The writers (`ViolationStore.apply`, `HealthStore.apply`,
the alarm `Notifier`) call `emit` with what they wrote; with no tap attached
to the session's engine that costs one dictionary lookup, so the store keeps
knowing nothing of the uplink.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine
from sqlmodel import Session

RecordTap = Callable[[Session, str, Any], None]
"""``tap(session, what, subject)``: ``what`` is "violation" (a ViolationRow), "health" (a HealthEvent) or
"event" (``(event_type, payload)`` of an alarm or device event); it runs before the caller commits."""

_taps: WeakKeyDictionary[Engine, RecordTap] = WeakKeyDictionary()


def attach(engine: Engine, tap: RecordTap) -> None:
    """Call `tap` for every record written through `engine` (one tap per engine)."""
    if engine in _taps:
        raise RuntimeError("a record tap is already attached to this engine")
    _taps[engine] = tap


def detach(engine: Engine) -> None:
    _taps.pop(engine, None)


def emit(session: Session, what: str, subject: Any) -> None:
    """Hand one written record to the engine's tap, if there is one, in the caller's transaction."""
    if not _taps:
        return
    bind = session.get_bind()
    tap = _taps.get(bind) if isinstance(bind, Engine) else None
    if tap is not None:
        tap(session, what, subject)
