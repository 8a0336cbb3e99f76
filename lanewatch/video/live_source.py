"""RTSP cameras: reconnect forever, never raise out of the frame loop.

A fire-lane camera that drops off the network must come back by itself and
say that it was gone. PyAV's packet iteration simply *ends* when the server
dies (no exception), so on a live source the end of the stream is a
disconnect, never the end of the video.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

from lanewatch.config import SourceConfig
from lanewatch.video.frame import Frame
from lanewatch.video.sampling import StreamTimeSampler
from lanewatch.video.source import AV_ERRORS, Source, SourceError, open_container, redact_url

log = logging.getLogger(__name__)

LIVE_SCHEMES = ("rtsp", "rtsps")


class LiveSource(Source):
    """Frames of an ``rtsp://`` or ``rtsps://`` stream, with reconnects.

    Timestamps are the wall clock at the first packet of each connection plus
    the PTS deltas within it; ``offset_s`` counts seconds since the first
    connection's first frame and keeps increasing across reconnects. Failed
    connections are retried after ``reconnect_initial_s``, doubling up to
    ``reconnect_max_s``, back to the initial delay once frames flow again.

    ``stop()`` ends ``frames()`` within one packet while data flows and at
    once during a backoff wait; a connection that hangs mid-read ends only when
    the ``io_timeout_s`` socket timeout fires (FFmpeg: about twice that),
    because PyAV's only interrupt hook costs the GIL on every I/O check.
    """

    live = True

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        if urlsplit(config.url).scheme.lower() not in LIVE_SCHEMES:
            raise SourceError(f"camera {config.camera}: {redact_url(config.url)} is not an rtsp:// or rtsps:// URL")
        self.url = config.url
        self.safe_url = redact_url(config.url)
        self.attempts = 0  # connection attempts, successful or not
        self.connections = 0  # connections that delivered at least one frame
        self._options = {"rtsp_transport": "tcp", "timeout": str(int(config.io_timeout_s * 1e6))}
        self._first_origin: datetime | None = None
        self._down_logged = False

    def frames(self) -> Iterator[Frame]:
        delay = self.config.reconnect_initial_s
        sampler = StreamTimeSampler(self.config.sample_fps)
        while not self.stopped:
            self.attempts += 1
            try:
                container = open_container(self.url, self._options)
            except SourceError as exc:
                reason = str(exc)  # already redacted
            else:
                flowed = False
                try:
                    with container:  # closed even when the consumer abandons the generator
                        decoder = self._decoder(container, None, retry_demux=False)
                        for frame in self._sampled(decoder, sampler, self._offset_base):
                            if not flowed:
                                flowed = True
                                delay = self.config.reconnect_initial_s
                                self.connections += 1
                                self._down_logged = False
                                log.info("%s: receiving frames from %s", self.camera, self.safe_url)
                            yield frame
                    reason = "stream ended (connection closed by the server)"
                except AV_ERRORS as exc:
                    reason = f"stream failed: {redact_url(str(exc))}"
            if self.stopped:
                return
            self._disconnected(reason, delay)
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, self.config.reconnect_max_s)

    def _disconnected(self, reason: str, retry_in_s: float) -> None:
        detail = reason if self.safe_url in reason else f"{self.safe_url}: {reason}"
        self.health.on_disconnect(datetime.now(UTC), detail)
        level = logging.INFO if self._down_logged else logging.WARNING
        log.log(level, "%s: offline (%s); retrying in %.1f s", self.camera, detail, retry_in_s)
        self._down_logged = True

    def _offset_base(self, origin: datetime) -> float:
        """Source offset of a connection's first frame: wall time since the first connection."""
        if self._first_origin is None:
            self._first_origin = origin
            return 0.0
        # Never go back, even if the previous connection's PTS ran ahead of the wall clock.
        since_first = (origin - self._first_origin).total_seconds()
        return since_first if self.last_offset_s is None else max(since_first, self.last_offset_s + 1e-3)
