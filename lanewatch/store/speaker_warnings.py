"""`SpeakerWarnings`: calls each lane's IP speaker while a matching violation lasts.

Fed by the pipeline's violation events (it is one of ``event_sinks``, after the store) to know
which violations to watch, and by a clock: `tick(now)` makes every call that is due. What to do
is derived from the database each time — the violation's row (ended? acknowledged or resolved?)
and its call log (`lanewatch.store.speaker_log`: calls made, a person's stop) — so a new
`SpeakerWarnings` over the same database, after a restart, picks up active violations and never
repeats a call already logged. One scheduler per database (the service runs one).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, tzinfo

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch import __version__
from lanewatch.events.speaker import SpeakerTarget, build_request, due_call, is_quiet, values
from lanewatch.events.violation import ViolationEvent
from lanewatch.store import speaker_log
from lanewatch.store.tables import CameraRow, ViolationRow, as_utc, utcnow
from lanewatch.words import time_zone

log = logging.getLogger(__name__)


class SpeakerWarnings:
    """The speaker calls of every configured target; `start()`/`stop()` a clock thread, or `tick(now)` by hand.

    Args:
        engine: the store holding violations and the audit (the call log).
        targets: the configured speakers (``speakers:``).
        zone: time zone of the quiet hours (default: the deployment's `time_zone`).
        clock: what `start()`'s thread ticks with.
        tick_s: pause between the thread's ticks.
    """

    def __init__(
        self,
        engine: Engine,
        targets: list[SpeakerTarget],
        *,
        zone: tzinfo | None = None,
        clock: Callable[[], datetime] = utcnow,
        tick_s: float = 1.0,
    ) -> None:
        self.engine = engine
        self.targets = list(targets)
        self.zone = zone
        self.clock = clock
        self.tick_s = tick_s
        self._watched: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(follow_redirects=False, headers={"User-Agent": f"lanewatch/{__version__}"})
        self._resume()

    # -- what to watch ------------------------------------------------------------
    def _resume(self) -> None:
        """Watch the active violations of the targets' cameras; complete calls a stopped process left pending."""
        cameras = {t.camera for t in self.targets}
        if not cameras:
            return
        with Session(self.engine) as session:
            query = select(ViolationRow.id).where(
                col(ViolationRow.camera).in_(cameras), col(ViolationRow.end_s).is_(None)
            )
            ids = list(session.exec(query))
            marked = sum(speaker_log.interrupt_pending(session, vid) for vid in ids)
            session.commit()
        if marked:
            log.warning("speaker: %d call(s) were interrupted by the last stop; not repeated", marked)
        with self._lock:
            self._watched.update(ids)

    def _wanted(self, camera: str, zone: str) -> list[SpeakerTarget]:
        return [t for t in self.targets if t.camera == camera and (not t.zones or zone in t.zones)]

    def __call__(self, event: ViolationEvent) -> None:
        """The pipeline's violation sink: watch what may need a call, forget what ended (never blocks)."""
        v = event.after
        if not self._wanted(v.camera, v.zone):
            return
        with self._lock:
            if v.active:
                self._watched.add(v.id)
            else:
                self._watched.discard(v.id)

    def watched(self) -> set[str]:
        with self._lock:
            return set(self._watched)

    # -- the clock ----------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> int:
        """Make every call due at `now` (default: the clock); returns how many requests were sent."""
        now = self.clock() if now is None else now
        sent = 0
        for violation_id in sorted(self.watched()):
            try:
                sent += self._tick_one(violation_id, now)
            except Exception:  # a database hiccup must not end the warnings of the others
                log.exception("speaker: violation %s", violation_id)
        return sent

    def _tick_one(self, violation_id: str, now: datetime) -> int:
        with Session(self.engine) as session:
            row = session.get(ViolationRow, violation_id)
            if row is None or row.end_s is not None or row.state != "new":
                self._forget(violation_id)  # ended, acknowledged or resolved: no more calls
                return 0
            if speaker_log.stopped(session, violation_id) is not None:
                self._forget(violation_id)
                return 0
            logged = speaker_log.calls(session, violation_id)
            camera = session.get(CameraRow, row.camera)
            camera_name = camera.name if camera is not None else None
            violation = row.model_dump()
        violation_at = as_utc(violation["violation_at"])
        violation["violation_at"] = violation_at
        sent = 0
        for target in self._wanted(violation["camera"], violation["zone"]):
            mine = [r.after or {} for r in logged if (r.after or {}).get("target") == target.name]
            call = due_call(target, violation_at, now)
            if call is None or any(int(a.get("call", 0)) >= call for a in mine):
                continue
            if target.max_calls is not None and len(mine) >= target.max_calls:
                continue
            if is_quiet(target, now, self.zone or time_zone()):
                continue
            self._call(target, violation, camera_name, call, (now - violation_at).total_seconds())
            sent += 1
        return sent

    def _forget(self, violation_id: str) -> None:
        with self._lock:
            self._watched.discard(violation_id)

    def _call(
        self, target: SpeakerTarget, violation: dict, camera_name: str | None, call: int, lasted_s: float
    ) -> None:
        """Log the call as pending, make the request, then log its result."""
        with Session(self.engine) as session:
            row = speaker_log.begin_call(session, violation["id"], target.name, call, lasted_s)
            session.commit()
            session.refresh(row)
        status: int | None = None
        error: str | None = None
        started = time.monotonic()
        try:
            fields = values(target, violation, camera_name=camera_name, call=call, lasted_s=lasted_s)
            request = build_request(target, fields)
            auth: httpx.Auth | None = None
            if target.auth is not None:
                password = target.auth.password.get_secret_value()
                auth = (
                    httpx.DigestAuth(target.auth.username, password)
                    if target.auth.kind == "digest"
                    else httpx.BasicAuth(target.auth.username, password)
                )
            response = self._client.request(
                request.method,
                request.url,
                content=request.body,
                headers=request.headers,
                auth=auth,
                timeout=target.timeout_s,
            )
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}: {response.text[:200]}"
        except Exception as exc:  # refused, timed out, a bad template value: logged on the violation
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")[:500]
        duration_ms = round((time.monotonic() - started) * 1000)
        if error is not None:
            log.warning("speaker %s, violation %s, call %d: %s", target.name, violation["id"], call, error)
        with Session(self.engine) as session:
            stored = session.get(type(row), row.pk)
            if stored is not None:
                speaker_log.finish_call(session, stored, status, error, duration_ms)
                session.commit()

    # -- thread -------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("speaker warnings already started")
        if not self.targets:
            return
        self._thread = threading.Thread(target=self._run, name="speaker-warnings", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("speaker warnings tick failed")
            self._stop.wait(self.tick_s)

    def stop(self) -> None:
        """End the thread after the request in flight (at most its timeout)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(max((t.timeout_s for t in self.targets), default=0) * 2 + 5)
        self._client.close()
