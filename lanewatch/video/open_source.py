"""Pick the source class from what a configured URL points at."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from lanewatch.config import SourceConfig
from lanewatch.video.file_source import FileSource
from lanewatch.video.image_folder import ImageFolderSource
from lanewatch.video.live_source import LIVE_SCHEMES, LiveSource
from lanewatch.video.replay_source import ReplaySource
from lanewatch.video.source import Source, SourceError, redact_url


def open_source(config: SourceConfig) -> Source:
    """The source for ``config.url``: RTSP URL → live, folder → images, file → video.

    Raises:
        SourceError: the URL is none of these (an unsupported scheme, or a
            path that does not exist).
    """
    scheme = urlsplit(config.url).scheme.lower()
    if scheme in LIVE_SCHEMES:
        return LiveSource(config)
    path = Path(config.url).expanduser()
    if path.is_dir():
        return ImageFolderSource(config)
    if path.is_file():
        return ReplaySource(config) if config.replay else FileSource(config)
    if "://" in config.url:
        reason = f"unsupported scheme {scheme!r} (use rtsp://, rtsps://, a video file or an image folder)"
    else:
        reason = "no such file or folder"
    raise SourceError(f"camera {config.camera}: cannot use source {redact_url(config.url)}: {reason}")
