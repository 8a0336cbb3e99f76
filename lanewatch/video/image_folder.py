"""Folders of still snapshots (PKLot-style or a camera's FTP uploads) as a frame source.

Snapshot cameras name files after the capture time; the name is a better
clock than the mtime, which copying resets. Images are ordered by capture time
and sampled by it, like video, so the pipeline cannot tell the difference.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from lanewatch.config import SourceConfig
from lanewatch.video.frame import Frame
from lanewatch.video.picture import to_bgr
from lanewatch.video.sampling import StreamTimeSampler
from lanewatch.video.source import AV_ERRORS, Source, SourceError, open_container

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp"})

# What each strptime directive can look like inside a file name.
_DIRECTIVE_REGEX = {
    "Y": r"\d{4}",
    "y": r"\d{2}",
    "m": r"\d{1,2}",
    "d": r"\d{1,2}",
    "H": r"\d{1,2}",
    "I": r"\d{1,2}",
    "M": r"\d{1,2}",
    "S": r"\d{1,2}",
    "f": r"\d{1,6}",
    "j": r"\d{1,3}",
    "p": r"(?i:am|pm)",
    "b": r"[A-Za-z]{3}",
    "B": r"[A-Za-z]+",
    "a": r"[A-Za-z]{3}",
    "A": r"[A-Za-z]+",
    "z": r"(?:Z|[+-]\d{2}:?\d{2})",
    "%": "%",
}


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """Regex finding text that ``datetime.strptime(text, pattern)`` may parse.

    Raises:
        ValueError: the pattern uses a directive that file names cannot sensibly hold.
    """
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char != "%":
            parts.append(re.escape(char))
            continue
        directive = next(chars, "")
        if directive not in _DIRECTIVE_REGEX:
            raise ValueError(f"unsupported directive %{directive} in file-name pattern {pattern!r}")
        parts.append(_DIRECTIVE_REGEX[directive])
    return re.compile("".join(parts))


class ImageFolderSource(Source):
    """Still images of one folder, in capture-time order.

    Capture time: ``config.filename_pattern`` searched anywhere in the file
    name's stem (local time in ``config.timezone`` unless the pattern has
    ``%z``), else the file's mtime. ``offset_s`` counts from the first image.
    Unreadable images are skipped, logged and counted in ``errors``.
    """

    live = False

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        self.folder = Path(config.url).expanduser()
        if not self.folder.is_dir():
            raise SourceError(f"camera {config.camera}: image folder {self.folder} does not exist")
        try:
            self._regex = pattern_regex(config.filename_pattern)
        except ValueError as exc:
            raise SourceError(f"camera {config.camera}: {exc}") from None
        self._zone = ZoneInfo(config.timezone)

    def images(self) -> list[tuple[datetime, Path]]:
        """(capture time, path) of every image in the folder, oldest first."""
        paths = [p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
        return sorted(((self.capture_time(p), p) for p in paths), key=lambda item: (item[0], item[1].name))

    def capture_time(self, path: Path) -> datetime:
        """Time in the file name if the pattern matches, else the mtime."""
        match = self._regex.search(path.stem)
        if match:
            try:
                when = datetime.strptime(match.group(0), self.config.filename_pattern)
            except ValueError:
                log.debug("%s: %r matches the pattern but is no valid time", self.camera, path.name)
            else:
                return when if when.tzinfo is not None else when.replace(tzinfo=self._zone)
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).astimezone(self._zone)

    def frames(self) -> Iterator[Frame]:
        images = self.images()
        if not images:
            raise SourceError(f"camera {self.camera}: no {'/'.join(sorted(IMAGE_SUFFIXES))} images in {self.folder}")
        sampler = StreamTimeSampler(self.config.sample_fps)
        first = images[0][0]
        for when, path in images:
            if self.stopped:
                return
            offset_s = (when - first).total_seconds()
            if self._past_duration(offset_s):
                return
            if not sampler.take(offset_s):
                continue
            image = self._read(path)
            if image is not None:
                yield self._emit(image, when, offset_s)

    def _read(self, path: Path) -> np.ndarray | None:
        try:
            with open_container(str(path)) as container:
                for picture in container.decode(video=0):
                    return to_bgr(picture, self.config.max_width)
        except (SourceError, *AV_ERRORS) as exc:
            reason = str(exc)
        else:
            reason = "no picture in it"
        # Every bad image is logged: unlike packets, each one is a whole lost observation.
        self.errors += 1
        log.warning("%s: skipped unreadable image %s (%s)", self.camera, path, reason)
        return None
