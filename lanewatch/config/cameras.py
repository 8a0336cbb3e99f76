"""Settings of one camera: where its pictures come from (``SourceConfig``) and when the picture counts as
unhealthy (``PictureHealthConfig``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from lanewatch.config.base import StrictModel

DecodeMode = Literal["auto", "all", "keyframes"]
"""Which frames of a stream are decoded (``SourceConfig.decode``)."""


class PictureHealthConfig(StrictModel):
    """When a camera's picture counts as covered, dark, blurred or moved (``video.picture_health``)."""

    enabled: bool = Field(True, title="Judge the picture", description="Off: only offline and frozen are reported.")
    every_s: float = Field(
        2.0, ge=0, le=600, title="Judge every (s)", description="At most one analysed frame per this much stream time."
    )
    confirm_s: float = Field(
        20.0,
        ge=0,
        le=3600,
        title="Confirm after (s)",
        description="A problem (or its end) must hold on every judged frame this long before it is reported, "
        "so a lorry filling the view or a headlight flash does not flap the state.",
    )
    dark_mean: float = Field(
        30.0, ge=0, le=255, title="Dark: mean brightness below", description="0–255; with the 95th percentile below."
    )
    dark_p95: float = Field(
        60.0,
        ge=0,
        le=255,
        title="Dark: 95th-percentile brightness below",
        description="0–255: even the brightest parts of the picture are dim.",
    )
    flat_std: float = Field(
        1.0,
        gt=0,
        le=255,
        title="Flat block: brightness spread below",
        description="A 1/16-of-the-width block whose standard deviation is under this has no texture.",
    )
    covered_fraction: float = Field(
        0.8, gt=0, le=1, title="Covered: flat fraction at least", description="Fraction of blocks without texture."
    )
    blurred_ratio: float = Field(
        0.3,
        gt=0,
        lt=1,
        title="Blurred: sharpness below this fraction of the reference",
        description="Sharpness is the variance of the Laplacian; the reference is the camera's own.",
    )
    reference_s: float = Field(
        60.0,
        gt=0,
        le=86_400,
        title="Sharpness reference from the first healthy (s)",
        description="The median sharpness of the first healthy pictures over this much stream time; the "
        "picture that completes it is the reference view for 'moved'.",
    )
    moved_shift: float = Field(
        0.05,
        gt=0,
        lt=1,
        title="Moved: view shifted by more than (fraction of the width)",
        description="The reference view's centre, carried through the fitted homography, moved this far.",
    )
    moved_every_s: float = Field(
        2.0,
        ge=0,
        le=3600,
        title="Moved: compare the view every (s)",
        description="ORB matching costs a few ms: it runs this often and its verdict holds in between.",
    )
    moved_confirm_s: float = Field(
        2.0,
        ge=0,
        le=3600,
        title="Moved: confirm after (s)",
        description="A shifted view must be found on every view check this long before it is reported (and "
        "its end after confirm_s). Shorter than confirm_s: a knocked camera must be reported within seconds, "
        "and a view check only concludes when the scene's fixed features agree, so traffic does not count.",
    )
    moved_min_features: int = Field(
        100,
        ge=10,
        le=500,
        title="Moved: judge only with this many reference features",
        description="ORB key points the reference view needs; flat scenes with fewer are not judged.",
    )


class SourceConfig(StrictModel):
    """Where one camera's pictures come from and how they are sampled."""

    camera: str = Field(
        title="Camera id",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="Short id used in records, file names and the API.",
    )
    url: str = Field(
        title="Source",
        min_length=1,
        description="A video file path, an rtsp:// or rtsps:// URL, or a folder of still images.",
    )
    sample_fps: float = Field(
        0.5,
        gt=0,
        le=30,
        title="Analysed frames per second",
        description="Frames are taken by stream time, not by frame count. The default, one "
        "look per 2 s, is at least the usual 1-2 s CCTV GOP, so 'auto' decoding "
        "decodes key frames only, which is what lets one machine watch many "
        "cameras; fire-lane grace times are tens of seconds.",
    )
    decode: DecodeMode = Field(
        "auto",
        title="Decode mode",
        description="'keyframes' decodes only key frames (cheap); 'auto' does so when the sampling "
        "interval is at least the stream's GOP; 'all' decodes every frame.",
    )
    start_time: datetime | None = Field(
        None,
        title="Start time of a recorded file",
        description="Wall time of the file's first frame. Default: the container's creation_time, else the epoch.",
    )
    filename_pattern: str = Field(
        "%Y-%m-%d_%H_%M_%S",
        title="Image file-name time pattern",
        description="strptime pattern searched for in image file names (snapshot folders); "
        "falls back to the file's mtime when it does not match.",
    )
    timezone: str = Field(
        "UTC", title="Time zone", description="IANA zone for times without one (file names, naive creation_time)."
    )
    io_timeout_s: float = Field(
        5.0,
        gt=0,
        le=300,
        title="I/O timeout (s)",
        description="A live stream that sends nothing for this long is treated as disconnected.",
    )
    reconnect_initial_s: float = Field(0.5, gt=0, title="First reconnect delay (s)")
    reconnect_max_s: float = Field(
        30.0, gt=0, title="Longest reconnect delay (s)", description="The exponential backoff is capped here."
    )
    frozen_after_s: float = Field(
        30.0,
        gt=0,
        title="Frozen after (s)",
        description="Identical frames for this long of stream time mark the source frozen.",
    )
    picture: PictureHealthConfig = Field(
        default_factory=PictureHealthConfig,
        title="Picture health",
        description="When the picture counts as covered, dark, blurred or moved.",
    )
    duration_s: float | None = Field(None, gt=0, title="Stop after (s of stream time)")
    max_width: int | None = Field(
        None,
        ge=64,
        le=7680,
        title="Convert frames to at most this width (px)",
        description="Large streams are scaled while converting the decoded picture "
        "(one FFmpeg reformat, no full-size copy); evidence is at this size.",
    )
    replay: bool = Field(
        False,
        title="Replay a file as a live camera",
        description="Play a recorded file in real time, looping forever (demos, soak tests).",
    )
