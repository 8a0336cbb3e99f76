"""A recorded file played as if it were a live camera: in real time, looping.

For demos and soak tests of the service: the frames are paced to the wall
clock, timestamps are wall time, and the stream clock (``offset_s``) keeps
increasing across loops, so trackers and dwell timers see one continuous
camera. Like a live camera it drops frames rather than waiting.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from lanewatch.config import SourceConfig
from lanewatch.video.file_source import FileSource
from lanewatch.video.frame import Frame
from lanewatch.video.source import Source


class ReplaySource(Source):
    """Loops a video file in real time (``SourceConfig.replay``)."""

    live = True

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        self._file_config = config.model_copy(update={"replay": False, "duration_s": None})
        FileSource(self._file_config)  # fails now, with the file source's message, if the file is missing

    def frames(self) -> Iterator[Frame]:
        started_wall = time.monotonic()
        started_at = datetime.now(UTC)
        base = 0.0
        while not self.stopped:
            source = FileSource(self._file_config)
            last = None
            for frame in source.frames():
                offset_s = base + frame.offset_s
                if self._past_duration(offset_s):
                    return
                delay = offset_s - (time.monotonic() - started_wall)
                if delay > 0 and self._stop.wait(delay):
                    return
                last = frame.offset_s
                yield self._emit(frame.source_image, started_at + timedelta(seconds=offset_s), offset_s)
            if last is None:  # an empty or unreadable file: do not spin
                self._stop.wait(1.0)
                continue
            base += last + 1 / self.config.sample_fps
