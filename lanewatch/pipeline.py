"""Wire N sources through one batched detector into per-camera state and sinks.

Threads: one reader per source (decode is FFmpeg-bound and releases the GIL)
feeding bounded per-camera buffers; one loop that takes the oldest frames
across cameras, runs the detector on them as a batch and hands each result
to its camera. Cameras can be added and removed while it runs (the service
does so on API edits): those changes are commands executed by the loop
itself, so a camera's state is only ever touched by one thread.

The detector itself usually runs in worker processes (`detect.worker`),
called from one thread of its own: while it works on a batch the loop
prepares the next one and then handles the last one's results, so the
detector does not wait for the loop's own work (`_Batch`). When it falls
behind, nothing queues without bound: each live camera keeps at most ``LIVE_BUFFER_FRAMES`` looks
waiting and drops its oldest, and the looks of a crashed worker are dropped
too. A live camera decoding key frames only goes further (`Source.pace`): it
decodes its next key frame only once its last look was taken, and a newer key
frame replaces one still waiting to be decoded, so the oldest look is dropped
before it cost a decode. (Without that, at 56 cameras on 2 cores the readers
decoded 28 key frames a second and starved the detector, which then analysed
3.5–12.6 of them.) All drops are counted (``stats.dropped``) and make `health()`
report "behind" until the backlog has drained and nothing was dropped for
``behind_hold_s``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from lanewatch.camera import CameraState, FrameResult, Look
from lanewatch.config import DetectorConfig, LookConfig, SourceConfig, TrackerConfig
from lanewatch.detect.detector import Detector
from lanewatch.detect.worker import DetectorCrashed
from lanewatch.events import unreliable
from lanewatch.events.evidence import EvidenceWriter
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.passage_tap import PassageSink, PassageTap
from lanewatch.video.frame import Frame
from lanewatch.video.frame_buffer import FrameBuffers
from lanewatch.video.health import HealthEvent
from lanewatch.video.open_source import open_source
from lanewatch.video.picture_health import PictureHealth
from lanewatch.video.reader_priority import READER_NICE, lower_thread_priority
from lanewatch.video.source import Source, redact_url
from lanewatch.zones.zone import Zone

log = logging.getLogger(__name__)

# A live camera keeps at most this many frames waiting for the detector (older ones are dropped):
# a look from seconds ago is worth little and a full-size frame costs megabytes.
LIVE_BUFFER_FRAMES = 2

EventSink = Callable[[ViolationEvent], None]
HealthSink = Callable[[HealthEvent], None]
FrameSink = Callable[[FrameResult], None]


@dataclass(slots=True)
class CameraSpec:
    """A camera to run: where its frames come from, its lane zones, and violations to resume."""

    source: SourceConfig
    zones: list[Zone]
    resume: list[Violation] = field(default_factory=list)


@dataclass(slots=True)
class PipelineStats:
    """Counters for summaries and metrics."""

    frames: dict[str, int] = field(default_factory=dict)
    """Looks analysed per camera (inferred or carried forward)."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Looks per camera that needed no inference: their zones had not changed."""
    dropped: dict[str, int] = field(default_factory=dict)
    """Looks per camera dropped because the detector was behind (live sources) or its worker crashed."""
    inferences: int = 0
    detector_errors: int = 0
    detector_restarts: int = 0
    """Detector worker processes lost (crash or hang) and restarted."""
    detector_seconds: float = 0.0
    wall_seconds: float = 0.0
    violations: int = 0


@dataclass(frozen=True, slots=True)
class PipelineHealth:
    """Whether the detector keeps up with the cameras (``/api/health``, ``lanewatch_pipeline_behind``)."""

    state: Literal["ok", "behind"]
    backlog: int
    """Looks waiting for the detector."""
    oldest_wait_s: float
    """How long the oldest waiting look of a live camera has waited."""
    dropped: int
    """Looks dropped so far, all cameras."""
    since: datetime | None
    """When the current state began (None: ok since the start)."""


@dataclass(slots=True)
class _Batch:
    """Looks taken together, on their way through the detector.

    While the detector works on one batch, the loop prepares the next (gate, crop, colour) and
    hands it to the detector thread, then processes the first one's results: the detector is
    never idle waiting for the loop's own work. A camera with a look in flight is left out of the
    next batch, because its next look depends on this one (the gate's reference picture).
    """

    looks: list[tuple[CameraState, Look]]
    images: list[np.ndarray]
    cameras: set[str]
    call: Future[tuple[list, float]] | None = None


def _cameras_in(batches: deque[_Batch]) -> set[str]:
    """The cameras with a look in these batches."""
    return {camera for batch in batches for camera in batch.cameras}


class Pipeline:
    """Runs until every source has ended (files), or until `stop()` when ``keep_alive``."""

    def __init__(
        self,
        cameras: Sequence[CameraSpec],
        detector: Detector,
        *,
        detector_config: DetectorConfig | None = None,
        tracker_config: TrackerConfig | None = None,
        look_config: LookConfig | None = None,
        evidence: EvidenceWriter | None = None,
        event_sinks: Sequence[EventSink] = (),
        health_sinks: Sequence[HealthSink] = (),
        frame_sinks: Sequence[FrameSink] = (),
        passage_sinks: Sequence[PassageSink] = (),
        buffer_frames: int = 8,
        behind_after_s: float = 5.0,
        behind_hold_s: float = 10.0,
    ) -> None:
        """
        Args:
            behind_after_s: the pipeline is "behind" while a live camera's look has waited this long.
            behind_hold_s: ... and for this long after any look was dropped.
            passage_sinks: get each lane passage (`lanewatch.track.passages`) once it is judged.
        """
        ids = [c.source.camera for c in cameras]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"camera ids must be unique; repeated: {', '.join(duplicates)}")
        self.detector = detector
        self.batch_size = (detector_config or DetectorConfig()).batch_size
        self.tracker_config = tracker_config or TrackerConfig()
        self.look_config = look_config or LookConfig()
        self.evidence = evidence
        self.event_sinks, self.health_sinks, self.frame_sinks = list(event_sinks), list(health_sinks), list(frame_sinks)
        self.passages = PassageTap(passage_sinks)
        self.buffers = FrameBuffers(buffer_frames)
        self.stats = PipelineStats()
        self.sources: dict[str, Source] = {}
        self.cameras: dict[str, CameraState] = {}
        self._pictures: dict[str, PictureHealth] = {}  # covered / dark / blurred / moved judges, one per camera
        self._threads: dict[str, threading.Thread] = {}
        self._removing: set[str] = set()
        self._commands: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self._deferred: list[tuple] = []
        self._stop = threading.Event()
        self._running = False
        self.behind_after_s, self.behind_hold_s = behind_after_s, behind_hold_s
        self._lost: dict[str, int] = {}
        self._lost_at: float | None = None
        self._behind_since: datetime | None = None
        self._state = "ok"
        for spec in cameras:
            self._add(spec)

    # -- control (any thread) -------------------------------------------------
    def add_camera(self, spec: CameraSpec) -> None:
        """Start a camera; applied by the loop (or at once before `run`). Opening errors raise here."""
        source = open_source(spec.source)
        self._commands.put(("add", spec, source))

    def remove_camera(self, camera: str) -> None:
        """Stop a camera; its active violations stay active in the sinks (resumed if it comes back)."""
        self._commands.put(("remove", camera))

    def update_zones(self, camera: str, zones: list[Zone]) -> None:
        """New zones for a camera, in effect from its next frame; ordered after earlier adds/removes."""
        self._commands.put(("zones", camera, zones))

    def picture(self, camera: str) -> PictureHealth | None:
        """The camera's picture judge (its reference view, its moves, ``confirm_view``); None when not running."""
        return self._pictures.get(camera)

    def stop(self) -> None:
        """Ask every source and the loop to end soon (safe from any thread or a signal handler)."""
        self._stop.set()
        for source in list(self.sources.values()):
            source.stop()

    # -- loop -----------------------------------------------------------------
    def run(self, keep_alive: bool = False) -> PipelineStats:
        started = time.monotonic()
        self._running = True
        for camera in list(self.sources):
            self._start_reader(camera)
        # One thread makes the detector calls, one batch after another, so that the next batch's looks
        # are prepared and the last one's results processed while the detector works (see `_Batch`).
        calls = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detector-call")
        in_flight: deque[_Batch] = deque()
        try:
            while not self._stop.is_set():
                self._apply_commands()
                if (
                    not keep_alive
                    and not in_flight
                    and not self.buffers.active()
                    and self._commands.empty()
                    and not self._deferred
                ):
                    break
                self._forward_health()
                wait_s = 0.0 if in_flight else 0.2 if keep_alive else 0.5
                frames = self.buffers.take(self.batch_size, timeout=wait_s, exclude=_cameras_in(in_flight))
                if frames:
                    in_flight.append(self._submit(self._prepare(frames), calls))
                if in_flight and (len(in_flight) > 1 or not frames):
                    self._finish(in_flight.popleft())
                self._finish_ended(exclude=_cameras_in(in_flight))
                self.health()
        finally:
            self.stop()
            while in_flight:  # looks already taken are analysed, not lost
                self._finish(in_flight.popleft())
            calls.shutdown(wait=True)
            for thread in self._threads.values():
                thread.join(timeout=10)
            self._finish_ended()
            self._forward_health()
            self.stats.wall_seconds = time.monotonic() - started
            self._running = False
        return self.stats

    def _add(self, spec: CameraSpec, source: Source | None = None) -> None:
        camera = spec.source.camera
        self.sources[camera] = source or open_source(spec.source)
        state = CameraState(camera, spec.zones, self.tracker_config, self.evidence, self.look_config)
        if spec.resume:
            state.resume(spec.resume)
        self.cameras[camera] = state
        self.passages.add(camera, spec.zones)
        self._pictures[camera] = PictureHealth(spec.source.picture)
        self.buffers.add_camera(camera, capacity=LIVE_BUFFER_FRAMES if self.sources[camera].live else None)
        if self.sources[camera].live:
            # Decode a camera's next key frame only once its last look was taken; a newer key frame
            # replaces one still waiting to be decoded (the oldest look is dropped, undecoded).
            self.sources[camera].pace(
                lambda: self.buffers.waiting(camera) == 0, lambda: self.buffers.count_dropped(camera)
            )
        self.stats.frames.setdefault(camera, 0)
        self.stats.skipped.setdefault(camera, 0)
        self.stats.dropped.setdefault(camera, 0)
        if self._running:
            self._start_reader(camera)

    def _start_reader(self, camera: str) -> None:
        thread = threading.Thread(
            target=self._read, args=(camera, self.sources[camera]), name=f"source-{camera}", daemon=True
        )
        self._threads[camera] = thread
        thread.start()

    def _apply_commands(self) -> None:
        pending, self._deferred = self._deferred, []
        while not self._commands.empty():
            pending.append(self._commands.get_nowait())
        for command in pending:
            if self._deferred:  # keep the order: nothing overtakes a deferred command
                self._deferred.append(command)
            elif command[0] == "add":
                camera = command[1].source.camera
                if camera in self.cameras:  # the old instance is still draining: retry next turn
                    self._deferred.append(command)
                else:
                    self._add(command[1], command[2])
            elif command[0] == "remove" and command[1] in self.sources:
                self._removing.add(command[1])
                self.sources[command[1]].stop()
            elif command[0] == "zones" and command[1] in self.cameras and command[1] not in self._removing:
                self.cameras[command[1]].set_zones(command[2])
                self.passages.set_zones(command[1], command[2])

    def _read(self, camera: str, source: Source) -> None:
        lower_thread_priority(READER_NICE)
        try:
            for frame in source.frames():
                if not self.buffers.put(frame, drop_oldest=source.live, stop=self._stop):
                    break
        except Exception:  # a source bug must not take the other cameras down
            log.exception("source %s failed", camera)
        finally:
            self.buffers.close(camera)

    def health(self) -> PipelineHealth:
        """Behind or ok, now (see the module docstring); logs each change of state. Any thread."""
        now = time.monotonic()
        drops = [t for t in (self.buffers.last_drop_at, self._lost_at) if t is not None]
        wait = self.buffers.oldest_wait_s()
        behind = wait >= self.behind_after_s or bool(drops and now - max(drops) < self.behind_hold_s)
        state: Literal["ok", "behind"] = "behind" if behind else "ok"
        if state != self._state:
            self._state, self._behind_since = state, datetime.now(UTC)
            if behind:
                log.warning("detector behind: looks dropped or waiting %.1f s; dropping oldest looks", wait)
            else:
                log.warning("detector caught up")
        for camera in list(self.stats.dropped):
            self.stats.dropped[camera] = self.buffers.dropped(camera) + self._lost.get(camera, 0)
        return PipelineHealth(
            state, self.buffers.depth(), round(wait, 3), sum(self.stats.dropped.values()), self._behind_since
        )

    def _finish_ended(self, exclude: set[str] | frozenset[str] = frozenset()) -> None:
        """Finish the cameras whose source ended and whose looks are all analysed (none in ``exclude``)."""
        for camera in self.buffers.finished(exclude=exclude):
            last = self.cameras[camera].finish()
            self._emit(unreliable.mark(last, self._pictures.get(camera)))
            self.passages.finish(camera, last)
            self.stats.dropped[camera] = self.buffers.dropped(camera) + self._lost.get(camera, 0)
            self._forward_health()
            self._removing.discard(camera)
            self.cameras.pop(camera, None)
            self._pictures.pop(camera, None)
            self.sources.pop(camera, None)
            self._threads.pop(camera, None)

    def _prepare(self, batch: list[Frame]) -> _Batch:
        """The looks of a batch and the images of those that go to the detector (the gate and the crop)."""
        looks = [
            (state, state.look(frame))
            for frame in batch
            if (state := self.cameras.get(frame.camera)) is not None and frame.camera not in self._removing
        ]
        looks, images = self._in_colour(looks)
        return _Batch(looks, images, {frame.camera for frame in batch})

    def _submit(self, batch: _Batch, calls: ThreadPoolExecutor) -> _Batch:
        if batch.images:
            batch.call = calls.submit(self._timed_detect, batch.images)
        return batch

    def _timed_detect(self, images: list[np.ndarray]) -> tuple[list, float]:
        t0 = time.monotonic()
        found = self.detector.detect(images)
        return found, time.monotonic() - t0

    def _finish(self, batch: _Batch) -> None:
        """Wait for a batch's detections and hand every look to its camera, in the order they were taken."""
        looks = batch.looks
        wanted = [look for _, look in looks if look.infer]
        try:
            found_list, seconds = batch.call.result() if batch.call is not None else ([], 0.0)
            found = iter(found_list)
        except DetectorCrashed as crash:  # the worker is restarted; its looks in flight are dropped
            self.stats.detector_restarts += 1
            self.stats.inferences += len(wanted) - crash.lost
            kept = {id(look) for look, result in zip(wanted, crash.results, strict=True) if result is not None}
            for look, lost in zip(wanted, crash.results, strict=True):
                if lost is None:
                    self._lost[look.frame.camera] = self._lost.get(look.frame.camera, 0) + 1
            self._lost_at = time.monotonic()
            looks = [(state, look) for state, look in looks if not look.infer or id(look) in kept]
            found = iter([r for r in crash.results if r is not None])
        except Exception:
            log.exception("detector failed on a batch of %d frames; those frames are skipped", len(wanted))
            self.stats.detector_errors += len(wanted)
            looks = [(state, look) for state, look in looks if not look.infer]
            found = iter([])
        else:
            self.stats.detector_seconds += seconds
            self.stats.inferences += len(wanted)
        for state, look in looks:
            result = state.process(look, next(found) if look.infer else None)
            if result is None:
                continue
            self._judge_picture(look.frame)
            camera = look.frame.camera
            self.stats.frames[camera] = self.stats.frames.get(camera, 0) + 1
            if not look.infer:
                self.stats.skipped[camera] = self.stats.skipped.get(camera, 0) + 1
            for sink in self.frame_sinks:
                sink(result)
            self._emit(unreliable.mark(result.events, self._pictures.get(camera)))
            self.passages.look(result)

    def _in_colour(
        self, looks: list[tuple[CameraState, Look]]
    ) -> tuple[list[tuple[CameraState, Look]], list[np.ndarray]]:
        """The looks whose pictures could be converted, and the detector's images for those that infer.

        A frame is converted to BGR only here, for the detector (see `lanewatch.video.picture`); a
        picture that will not convert costs its own look, counted as the source's bad input.
        """
        kept, images = [], []
        for state, look in looks:
            if look.infer:
                try:
                    images.append(look.image)
                except Exception as exc:
                    source = self.sources.get(look.frame.camera)
                    if source is not None:
                        source.skip_bad_input(f"unconvertible frame at {look.frame.offset_s:.3f} s: {exc}")
                    continue
            kept.append((state, look))
        return kept, images

    def _judge_picture(self, frame: Frame) -> None:
        """Judge an analysed frame; a change goes into the camera's health, forwarded with the rest."""
        judge, source = self._pictures.get(frame.camera), self.sources.get(frame.camera)
        if judge is None or source is None:
            return
        change = judge.check(frame)
        if change is not None:
            source.health.on_picture(change.kind, change.at, change.detail, change.offset_s)

    def _emit(self, events: list[ViolationEvent]) -> None:
        for event in events:
            if event.kind == "new":
                self.stats.violations += 1
            for sink in self.event_sinks:
                try:
                    sink(event)
                except Exception:  # one failing sink (e.g. DB briefly down) must not stop the cameras
                    log.exception("event sink %r failed for violation %s", sink, event.after.id)

    def _forward_health(self) -> None:
        for source in list(self.sources.values()):
            for event in source.health.drain_events():
                log.info("camera %s is %s: %s", event.camera, event.state.value, redact_url(event.detail))
                for sink in self.health_sinks:
                    try:
                        sink(event)
                    except Exception:
                        log.exception("health sink %r failed", sink)
