"""Video sources: files, RTSP streams and snapshot-image folders → timestamped frames, health."""

from lanewatch.video.file_source import FileSource
from lanewatch.video.frame import Frame
from lanewatch.video.health import HealthEvent, HealthMonitor, SourceState
from lanewatch.video.image_folder import ImageFolderSource
from lanewatch.video.live_source import LiveSource
from lanewatch.video.open_source import open_source
from lanewatch.video.sampling import StreamTimeSampler
from lanewatch.video.source import Source, SourceError, VideoDecoder, redact_url

__all__ = [
    "FileSource",
    "Frame",
    "HealthEvent",
    "HealthMonitor",
    "ImageFolderSource",
    "LiveSource",
    "Source",
    "SourceError",
    "SourceState",
    "StreamTimeSampler",
    "VideoDecoder",
    "open_source",
    "redact_url",
]
