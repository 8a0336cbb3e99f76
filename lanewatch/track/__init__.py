"""Per-camera tracking at low frame rates and the dwell state machine."""

from lanewatch.track.dwell import (
    DwellMonitor,
    DwellTransition,
    Stay,
    StayState,
    TransitionKind,
    ZoneTiming,
)
from lanewatch.track.tracker import VEHICLE_CLASSES, LowRateTracker, box_iou, same_object_class

__all__ = [
    "VEHICLE_CLASSES",
    "DwellMonitor",
    "DwellTransition",
    "LowRateTracker",
    "Stay",
    "StayState",
    "TransitionKind",
    "ZoneTiming",
    "box_iou",
    "same_object_class",
]
