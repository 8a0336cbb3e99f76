"""Settings of the detector shared by all cameras, the look-alike refresh and the tracker."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lanewatch.config.base import StrictModel


class DetectorConfig(StrictModel):
    """The object detector shared by all cameras."""

    weights: str | None = Field(
        None,
        title="Weights path",
        description="Model file or OpenVINO folder; see weights/README.md for the search order.",
    )
    imgsz: int = Field(
        960,
        ge=128,
        le=2560,
        multiple_of=32,
        title="Inference size (px)",
        description="Overview CCTV needs 960–1280 to see distant vehicles.",
    )
    confidence: float = Field(0.25, gt=0, lt=1, title="Minimum confidence")
    iou: float = Field(0.5, gt=0, lt=1, title="NMS IoU threshold")
    classes: list[str] = Field(
        default_factory=lambda: ["car", "truck", "bus", "motorcycle"],
        min_length=1,
        title="Classes to detect",
        description="COCO class names (e.g. bicycle, person) for the stock weights.",
    )
    batch_size: int = Field(8, ge=1, le=64, title="Frames per inference batch")
    device: str = Field("cpu", title="Torch device", description="'cpu', 'cuda:0', ...")
    backend: Literal["auto", "openvino", "ultralytics"] = Field(
        "auto",
        title="Detector backend",
        description="'openvino' runs an OpenVINO IR folder directly, the cameras' lane crops packed onto a few "
        "fixed input shapes (three 1920x600 crops at imgsz 960 share one 960x960 inference); "
        "'ultralytics' uses ultralytics.YOLO (any format, GPU); 'auto': openvino for *_openvino_model "
        "folders on the CPU, else ultralytics.",
    )
    processes: int = Field(
        1,
        ge=0,
        le=8,
        title="Detector worker processes",
        description="Inference runs in this many worker processes fed through shared memory "
        "(a crashed worker is restarted); 0 runs it inside the pipeline's process.",
    )
    threads: int | None = Field(
        None,
        ge=1,
        le=256,
        title="Inference threads per worker",
        description="Default: the machine's cores but one (left for decoding), divided by the "
        "worker processes; at least 1.",
    )
    timeout_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        title="Give up on a worker after (s)",
        description="A worker that answers no batch for this long is killed and restarted; its looks count as dropped.",
    )


class LookConfig(StrictModel):
    """What each sampled frame ("look") costs: skip unchanged lanes, infer on the lanes only."""

    change_gate: bool = Field(
        True,
        title="Skip unchanged looks",
        description="Do not run the detector when no zone region changed since the last "
        "inference; the previous detections are carried forward.",
    )
    refresh_s: float = Field(
        30.0,
        gt=0,
        title="Re-check at least every (s)",
        description="Force an inference this often even when nothing changed, so parked vehicles are re-confirmed.",
    )
    crop_to_zones: bool = Field(
        True,
        title="Infer on the lanes",
        description="Send the detector the bounding rectangle of the camera's zones "
        "(plus a margin) instead of the whole frame.",
    )
    crop_margin: float = Field(
        0.3,
        ge=0,
        le=1,
        title="Crop margin (fraction of the zones' size)",
        description="0.3 keeps PKLot per-space accuracy equal to full-frame inference; 0.15 lost 2 of 800 spaces.",
    )


class TrackerConfig(StrictModel):
    """Identity keeping at low analysed frame rates (0.5–2 fps)."""

    match_iou: float = Field(0.3, gt=0, lt=1, title="IoU needed to continue a track")
    max_missing_s: float = Field(
        120.0,
        gt=0,
        title="Forget a track unseen for (s)",
        description="Parked cars must keep their identity across missed detections.",
    )
    min_confidence: float = Field(
        0.25,
        ge=0,
        lt=1,
        title="Lowest confidence that may start a track",
        description="Weaker boxes may continue an existing track but never start one.",
    )
