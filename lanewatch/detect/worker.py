"""The detector in its own process(es), fed pixels through shared memory.

Why a process: the pipeline's process decodes dozens of streams, gates and
tracks in Python threads; the detector's pre/post-processing would compete
with them for the GIL, and a crash inside the inference runtime (native
code) would take every camera down. Here each worker process owns one
backend with ``(cores - 1) / processes`` inference threads; a batch is split
across the workers and each chunk's pixels are copied once into that
worker's shared-memory block (a pickled 1080p frame would cost a 6 MB
copy through a pipe, twice). Only the small box arrays come back.

A worker that dies (or answers nothing for ``timeout_s``) is detected at
once through its process sentinel, killed if needed and restarted on the
next batch; `detect` then raises `DetectorCrashed` carrying the results it
did get and ``None`` for the looks that were in flight on the lost worker,
which the pipeline counts as dropped. Nothing waits without a timeout.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing as mp
import os
from collections.abc import Sequence
from itertools import pairwise
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np

from lanewatch.config import DetectorConfig
from lanewatch.detect.backends import build_in_process
from lanewatch.detect.detections import Detections
from lanewatch.detect.detector import Detector

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120.0
_ALIGN = 64


class DetectorCrashed(RuntimeError):
    """A worker was lost with images in flight; ``results`` holds None for each lost image."""

    def __init__(self, results: list[Detections | None], reason: str) -> None:
        super().__init__(reason)
        self.results = results

    @property
    def lost(self) -> int:
        return sum(r is None for r in self.results)


def _serve(config: DetectorConfig, threads: int, conn: Connection) -> None:
    """Worker process main: build the backend, then answer batches until told to stop or orphaned."""
    try:
        detector = build_in_process(config, threads=threads)
    except Exception as exc:  # a bad config: the parent re-raises it
        conn.send(("failed", exc))
        return
    conn.send(("ready", detector.names))
    try:
        _answer(detector, conn)
    finally:
        close = getattr(detector, "close", None)
        if close is not None:
            close()


def _answer(detector: Detector, conn: Connection) -> None:
    """Answer the parent's messages until it says stop or is gone."""
    shm: SharedMemory | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if message[0] == "stop":
            return
        if message[0] == "wait_ready":
            wait_ready = getattr(detector, "wait_ready", None)
            conn.send(("ok", wait_ready(message[1]) if wait_ready else True))
            continue
        _, name, items = message
        if shm is None or shm.name != name:
            if shm is not None:
                shm.close()
            shm = SharedMemory(name=name)
        try:
            images = [np.ndarray(shape, np.uint8, buffer=shm.buf, offset=offset) for offset, shape in items]
            found = detector.detect(images)
            del images  # no view may outlive the block's next resize
            conn.send(("ok", [(d.xyxy, d.confidence, d.class_id, d.class_name) for d in found]))
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class _Worker:
    """One worker process, its pipe and its shared-memory block."""

    def __init__(self, ctx: SpawnContext, config: DetectorConfig, threads: int, index: int) -> None:
        self.ctx, self.config, self.threads, self.index = ctx, config, threads, index
        self.shm: SharedMemory | None = None
        self.process: SpawnProcess | None = None
        self.conn: Connection | None = None
        self.names: dict[int, str] = {}

    def spawn(self) -> None:
        self.conn, child = self.ctx.Pipe(duplex=True)
        process = self.ctx.Process(
            target=_serve, args=(self.config, self.threads, child), name=f"lanewatch-detector-{self.index}", daemon=True
        )
        process.start()
        self.process = process
        child.close()

    def wait_ready(self, timeout_s: float) -> None:
        kind, payload = self._receive(timeout_s)
        if kind == "failed":
            self.kill()
            raise payload
        if kind != "ready":
            raise RuntimeError(f"detector worker {self.index}: unexpected {kind!r} at start")
        self.names = payload

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def send(self, images: Sequence[np.ndarray]) -> None:
        offsets, total = [], 0
        for image in images:
            offsets.append(total)
            total += -(-image.nbytes // _ALIGN) * _ALIGN
        if self.shm is None or self.shm.size < total:
            self._release_shm()
            self.shm = SharedMemory(create=True, size=max(total, 1 << 20) * 3 // 2)
        items = []
        for offset, image in zip(offsets, images, strict=True):
            view = np.ndarray(image.shape, np.uint8, buffer=self.shm.buf, offset=offset)
            view[...] = image  # the one copy: also makes a crop view contiguous
            items.append((offset, image.shape))
        del view
        assert self.conn is not None
        self.conn.send(("detect", self.shm.name, items))

    def wait_compiled(self, timeout_s: float) -> bool:
        assert self.conn is not None
        self.conn.send(("wait_ready", timeout_s))
        kind, payload = self._receive(timeout_s + 5)
        return kind == "ok" and bool(payload)

    def receive(self, timeout_s: float) -> list[Detections]:
        kind, payload = self._receive(timeout_s)
        if kind == "error":
            raise RuntimeError(f"detector worker {self.index}: {payload}")
        return [Detections(*parts) for parts in payload]

    def _receive(self, timeout_s: float) -> tuple[str, Any]:  # Any: whatever the worker pickled for this kind
        assert self.conn is not None and self.process is not None
        ready = wait([self.conn, self.process.sentinel], timeout_s)
        if self.conn in ready:
            try:
                return self.conn.recv()
            except (EOFError, OSError):
                pass
        reason = "no answer within the timeout" if not ready else f"exit code {self.process.exitcode}"
        self.kill()
        raise _Lost(f"detector worker {self.index} lost ({reason})")

    def kill(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def stop(self) -> None:
        if self.conn is not None and self.alive:
            with contextlib.suppress(OSError):
                self.conn.send(("stop",))
            assert self.process is not None
            self.process.join(5)
        self.kill()
        self._release_shm()

    def _release_shm(self) -> None:
        if self.shm is not None:
            self.shm.close()
            self.shm.unlink()
            self.shm = None


class _Lost(Exception):
    pass


def default_threads(processes: int, cores: int | None = None) -> int:
    """Inference threads per worker: all cores but one, shared by the workers (at least 1 each).

    The core left over decodes the cameras and runs the pipeline loop. On 2 cores with 48 busy 1080p
    cameras, 2 inference threads (which wait for each other whenever a decoder holds the other core)
    got fewer looks analysed than 1: 21.7 against 22.8 per second. A single recorded file evaluates
    as fast with 1 thread as with 2 (7.5–7.8 s for 48 s of 1080p at 4 looks/s): decoding bounds it."""
    cores = cores or os.cpu_count() or 1
    return max(1, (cores - 1) // processes)


class ProcessDetector:
    """`Detector` backed by ``config.processes`` worker processes (see module docstring).

    Attributes:
        restarts: workers restarted after a crash or a hang.
    """

    def __init__(self, config: DetectorConfig, *, start_timeout_s: float = START_TIMEOUT_S) -> None:
        if config.processes < 1:
            raise ValueError("ProcessDetector needs processes >= 1")
        self.config = config
        self.timeout_s = config.timeout_s
        self.start_timeout_s = start_timeout_s
        threads = config.threads or default_threads(config.processes)
        ctx = mp.get_context("spawn")  # never fork a process that runs decoder threads
        self._workers = [_Worker(ctx, config, threads, i) for i in range(config.processes)]
        self.restarts = 0
        try:
            for worker in self._workers:
                worker.spawn()
            for worker in self._workers:
                worker.wait_ready(start_timeout_s)
        except BaseException:
            self.close()
            raise
        self.names = self._workers[0].names
        atexit.register(self.close)  # free the shared memory even when the owner forgets to

    def detect(self, images: Sequence[np.ndarray]) -> list[Detections]:
        if not images:
            return []
        for worker in self._workers:
            if not worker.alive:
                self._restart(worker)
        count = len(self._workers)
        bounds = [len(images) * i // count for i in range(count + 1)]
        busy = []
        lost: list[str] = []
        errors: list[str] = []
        for worker, (lo, hi) in zip(self._workers, pairwise(bounds), strict=True):
            if hi > lo:
                try:
                    worker.send(images[lo:hi])
                except OSError as exc:  # died between the liveness check and the send: lost like mid-batch
                    lost.append(f"detector worker gone before its batch was sent ({type(exc).__name__})")
                    continue
                busy.append((worker, lo, hi))
        results: list[Detections | None] = [None] * len(images)
        for worker, lo, hi in busy:
            try:
                results[lo:hi] = worker.receive(self.timeout_s)
            except _Lost as exc:
                lost.append(str(exc))
            except RuntimeError as exc:
                errors.append(str(exc))
        if lost:
            log.error("%s; %d looks in flight dropped; restarting it", "; ".join(lost), sum(r is None for r in results))
            for worker in self._workers:
                if not worker.alive:
                    self._restart(worker)
            raise DetectorCrashed(results, "; ".join(lost))
        if errors:
            raise RuntimeError("; ".join(errors))
        return results  # type: ignore[return-value]

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> bool:
        """Block until every worker has compiled all its input shapes (it answers looks before that, on the
        shapes it has); benchmarks call this so that their clock starts on the steady state."""
        compiled = [worker.wait_compiled(timeout_s) for worker in self._workers]  # wait for every one
        return all(compiled)

    def _restart(self, worker: _Worker) -> None:
        worker.kill()
        self.restarts += 1
        worker.spawn()
        worker.wait_ready(self.start_timeout_s)

    @property
    def pids(self) -> list[int]:
        """Worker process ids (for tests and the benchmark's CPU sampling)."""
        return [w.process.pid for w in self._workers if w.process is not None and w.process.pid]

    def close(self) -> None:
        """Stop the workers and free their shared memory; safe to call twice."""
        for worker in self._workers:
            worker.stop()

    def __enter__(self) -> ProcessDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
