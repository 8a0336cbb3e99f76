"""Pydantic models for every setting, one source for CLI, API, docs and forms.

Every model is strict (``extra="forbid"``) so a typo in a config file is an
error, not a silently ignored option. Stages import their settings from
here; this module imports no stage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """Base for all settings: unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid")


class SourceConfig(StrictModel):
    """Where one camera's pictures come from and how they are sampled."""

    camera: str = Field(title="Camera id", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$",
                        description="Short id used in records, file names and the API.")
    url: str = Field(title="Source", min_length=1,
                     description="A video file path, an rtsp:// or rtsps:// URL, or a folder of still images.")
    sample_fps: float = Field(1.0, gt=0, le=30, title="Analysed frames per second",
                              description="Frames are taken by stream time, not by frame count.")
    decode: Literal["auto", "all", "keyframes"] = Field(
        "auto", title="Decode mode",
        description="'keyframes' decodes only key frames (cheap); 'auto' does so when the sampling "
                    "interval is at least the stream's GOP; 'all' decodes every frame.")
    start_time: datetime | None = Field(
        None, title="Start time of a recorded file",
        description="Wall time of the file's first frame. Default: the container's creation_time, else the epoch.")
    filename_pattern: str = Field(
        "%Y-%m-%d_%H_%M_%S", title="Image file-name time pattern",
        description="strptime pattern searched for in image file names (snapshot folders); "
                    "falls back to the file's mtime when it does not match.")
    timezone: str = Field("UTC", title="Time zone",
                          description="IANA zone for times without one (file names, naive creation_time).")
    io_timeout_s: float = Field(5.0, gt=0, le=300, title="I/O timeout (s)",
                                description="A live stream that sends nothing for this long is treated as disconnected.")
    reconnect_initial_s: float = Field(0.5, gt=0, title="First reconnect delay (s)")
    reconnect_max_s: float = Field(30.0, gt=0, title="Longest reconnect delay (s)",
                                   description="The exponential backoff is capped here.")
    frozen_after_s: float = Field(30.0, gt=0, title="Frozen after (s)",
                                  description="Identical frames for this long of stream time mark the source frozen.")
    duration_s: float | None = Field(None, gt=0, title="Stop after (s of stream time)")


class DetectorConfig(StrictModel):
    """The object detector shared by all cameras."""

    weights: str | None = Field(None, title="Weights path",
                                description="Model file or OpenVINO folder; see weights/README.md for the search order.")
    imgsz: int = Field(960, ge=128, le=2560, multiple_of=32, title="Inference size (px)",
                       description="Overview CCTV needs 960–1280 to see distant vehicles.")
    confidence: float = Field(0.25, gt=0, lt=1, title="Minimum confidence")
    iou: float = Field(0.5, gt=0, lt=1, title="NMS IoU threshold")
    classes: list[str] = Field(default_factory=lambda: ["car", "truck", "bus", "motorcycle"],
                               min_length=1, title="Classes to detect",
                               description="COCO class names (e.g. bicycle, person) for the stock weights.")
    batch_size: int = Field(8, ge=1, le=64, title="Frames per inference batch")
    device: str = Field("cpu", title="Torch device", description="'cpu', 'cuda:0', ...")


class TrackerConfig(StrictModel):
    """Identity keeping at low analysed frame rates (0.5–2 fps)."""

    match_iou: float = Field(0.3, gt=0, lt=1, title="IoU needed to continue a track")
    max_missing_s: float = Field(120.0, gt=0, title="Forget a track unseen for (s)",
                                 description="Parked cars must keep their identity across missed detections.")
    min_confidence: float = Field(0.25, ge=0, lt=1, title="Lowest confidence that may extend a track")
