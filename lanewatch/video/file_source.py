"""Recorded video files: the same frames a live camera would give, as fast as they decode.

Timestamps come from the PTS, anchored at the recording's start time, so a
replayed recording produces the same dwell times and evidence times as the
live camera did (and the tests never depend on the wall clock).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import av.container

from lanewatch.config import SourceConfig
from lanewatch.video.frame import Frame
from lanewatch.video.sampling import StreamTimeSampler
from lanewatch.video.source import Source, SourceError, open_container

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FileSource(Source):
    """Frames of a video file, sampled by stream time.

    ``timestamp = start + (pts - first_pts) * time_base`` where the start is
    ``config.start_time``, else the container's ``creation_time``, else the
    epoch; times without a zone are read in ``config.timezone``.

    Raises:
        SourceError: the file is missing (at construction) or not a readable
            video (when ``frames()`` starts).
    """

    live = False

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        self.path = Path(config.url).expanduser()
        if not self.path.exists():
            raise SourceError(f"camera {config.camera}: video file {self.path} does not exist")
        if not self.path.is_file():
            raise SourceError(f"camera {config.camera}: {self.path} is not a file")
        self._zone = ZoneInfo(config.timezone)
        self.start_time: datetime | None = None

    def frames(self) -> Iterator[Frame]:
        try:
            container = open_container(str(self.path))
        except SourceError as exc:
            raise SourceError(f"camera {self.camera}: {exc}") from None
        with container:
            self.start_time = self._start_time(container)
            decoder = self._decoder(container, self.start_time, retry_demux=True)
            yield from self._sampled(decoder, StreamTimeSampler(self.config.sample_fps), lambda _origin: 0.0)

    def _start_time(self, container: av.container.InputContainer) -> datetime:
        if self.config.start_time is not None:
            return self._aware(self.config.start_time)
        created = container.metadata.get("creation_time") or container.streams.video[0].metadata.get("creation_time")
        if created:
            try:
                when = self._aware(datetime.fromisoformat(created))
            except ValueError:
                log.warning("%s: unreadable creation_time %r in %s; using the epoch", self.camera, created, self.path)
            else:
                # MP4 writers that never set the field leave its zero: 1904-01-01.
                if when > EPOCH:
                    return when
        return EPOCH

    def _aware(self, when: datetime) -> datetime:
        return when if when.tzinfo is not None else when.replace(tzinfo=self._zone)
