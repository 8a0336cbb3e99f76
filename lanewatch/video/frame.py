"""The one frame type every stage downstream of video/ receives.

A frame carries its own stream time so that dwell, sampling and evidence
never depend on the wall clock of the machine that decoded it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded, sampled picture from one camera.

    Attributes:
        camera: the camera/source id the frame belongs to.
        image: BGR uint8 array of shape (height, width, 3).
        timestamp: timezone-aware capture time, derived from the stream's PTS
            (or the image's file name / mtime for snapshot folders).
        offset_s: seconds of stream time since the source's first frame; the
            clock that dwell timers use.
        index: running number of the frame among those the source emitted.
    """

    camera: str
    image: np.ndarray
    timestamp: datetime
    offset_s: float
    index: int

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None:
            raise ValueError("Frame.timestamp must be timezone-aware")

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])
