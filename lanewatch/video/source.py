"""What every video source is: sampled, timestamped ``Frame``s and their health.

A source turns one camera's pictures into sampled, timestamped ``Frame``s and
reports its health. Files and live streams decode the same way (through
`video.decoder.VideoDecoder`), so that loop lives once; the subclasses only
say where the container comes from (`video.container.open_container`) and
what wall time its first frame had. The names of those two modules are
re-exported here, where importers have always found them.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import ClassVar

import av.container
import numpy as np

from lanewatch.config import SourceConfig
from lanewatch.video.container import AV_ERRORS, SourceError, open_container, redact_url
from lanewatch.video.decoder import ASSUMED_LIVE_GOP_S, DecodeMode, KeyframePacing, VideoDecoder
from lanewatch.video.frame import Frame, LazyImage
from lanewatch.video.health import HealthMonitor
from lanewatch.video.picture import DecodedPicture
from lanewatch.video.sampling import StreamTimeSampler

__all__ = [
    "AV_ERRORS",
    "DecodeMode",
    "KeyframePacing",
    "Source",
    "SourceError",
    "VideoDecoder",
    "open_container",
    "redact_url",
]

log = logging.getLogger(__name__)


def _always() -> bool:
    return True


class Source(ABC):
    """One camera's sampled frames plus its health.

    ``frames()`` runs in the source's own thread; ``stop()`` and ``health`` may
    be used from any other thread. A stopped source stays stopped.

    Attributes:
        camera: camera id, copied into every frame.
        live: whether frames arrive in real time (and the source reconnects).
        health: state changes for the pipeline to drain.
        frame_size: (width, height) of the frames, ``None`` until the first.
        errors: bad packets, frames or images skipped so far.
        last_offset_s: ``offset_s`` of the latest frame emitted, ``None`` before the first.
    """

    live: ClassVar[bool] = False

    def __init__(self, config: SourceConfig) -> None:
        self.config = config
        self.camera = config.camera
        self.health = HealthMonitor(config.camera, config.frozen_after_s)
        self.frame_size: tuple[int, int] | None = None
        self.errors = 0
        self.last_offset_s: float | None = None
        self._index = 0
        self._stop = threading.Event()
        self._last_decoder: VideoDecoder | None = None
        self._ready: Callable[[], bool] | None = None
        self._on_superseded: Callable[[], None] | None = None
        self.superseded = 0

    @abstractmethod
    def frames(self) -> Iterator[Frame]:
        """Sampled frames until the end of the input, ``duration_s`` or ``stop()``."""

    def pace(self, ready: Callable[[], bool], on_superseded: Callable[[], None]) -> None:
        """Let the consumer pace key-frame-only decoding (see `KeyframePacing`); call before ``frames()``.

        ``ready()``: the consumer can take a frame of this camera now. ``on_superseded()``: a look was
        lost undecoded, because a newer key frame came before the consumer was ready (counted as dropped).
        """
        self._ready, self._on_superseded = ready, on_superseded

    def stop(self) -> None:
        """Ask ``frames()`` to end soon; safe from any thread."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def skip_bad_input(self, reason: str) -> None:
        """Count a bad packet/frame/image, also one the pipeline could not convert later.

        Logs the 1st, 10th, 100th, ... to avoid a flood."""
        self.errors += 1
        if self.errors in (1, 10, 100, 1000) or self.errors % 10000 == 0:
            log.warning("%s: skipped bad input (%d so far): %s", self.camera, self.errors, redact_url(reason))

    def _past_duration(self, offset_s: float) -> bool:
        """True (and stops the source) once ``duration_s`` of stream time has passed."""
        if self.config.duration_s is not None and offset_s >= self.config.duration_s:
            self._stop.set()
            return True
        return False

    def _decoder(
        self, container: av.container.InputContainer, origin: datetime | None, *, retry_demux: bool
    ) -> VideoDecoder:
        """A decoder for a new connection; a live one starts from the GOP last measured (see VideoDecoder)."""
        expected: float | None = None
        if self.live:
            measured = self._last_decoder.gop_s if self._last_decoder is not None else None
            expected = measured or ASSUMED_LIVE_GOP_S
        self._last_decoder = VideoDecoder(
            container,
            mode=self.config.decode,
            sample_interval_s=1 / self.config.sample_fps,
            origin=origin,
            on_error=self.skip_bad_input,
            retry_demux=retry_demux,
            expected_gop_s=expected,
        )
        return self._last_decoder

    def _sampled(
        self, decoder: VideoDecoder, sampler: StreamTimeSampler, offset_base: Callable[[datetime], float]
    ) -> Iterator[Frame]:
        """Sample the decoder's frames, convert the taken ones to BGR and emit them.

        ``offset_base`` maps the decoder's origin (known at its first packet)
        to the source offset of that origin: 0 for a file, the time since the
        first connection for a live stream.
        """
        base: float | None = None

        def early_s() -> float:
            return 0.05 * decoder.interval_s if decoder.keyframes_only else 1e-3

        def wanted(rel_s: float) -> bool:
            if base is None:
                return True
            sampler.early_s = early_s()
            return sampler.due(base + rel_s)

        def superseded() -> None:
            self.superseded += 1
            if self._on_superseded is not None:
                self._on_superseded()

        pacing = KeyframePacing(self._ready or _always, wanted, superseded)
        for picture, rel_s in decoder.frames(self._stop, pacing):
            if base is None:
                assert decoder.origin is not None
                base = offset_base(decoder.origin)
            offset_s = base + rel_s
            if self._past_duration(offset_s):
                return
            sampler.early_s = early_s()
            if not sampler.take(offset_s):
                continue
            try:
                # Converted to BGR only once something needs colour (most looks stop at the change gate),
                # unless the format has no luma plane to take thumbnails from: then now, so a picture
                # that cannot be converted is skipped here like an undecodable one.
                decoded = DecodedPicture(picture, self.config.max_width)
                image: np.ndarray | LazyImage = decoded if DecodedPicture.has_luma(picture) else decoded.bgr()
            except AV_ERRORS as exc:
                self.skip_bad_input(f"unconvertible frame at {offset_s:.3f} s: {exc}")
                continue
            assert decoder.origin is not None
            yield self._emit(image, decoder.origin + timedelta(seconds=rel_s), offset_s)

    def _emit(self, image: np.ndarray | LazyImage, timestamp: datetime, offset_s: float) -> Frame:
        frame = Frame(self.camera, image, timestamp, offset_s, self._index)
        self._index += 1
        self.last_offset_s = offset_s
        self.frame_size = (frame.width, frame.height)
        self.health.on_frame(frame)
        return frame
