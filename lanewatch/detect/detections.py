"""`Detections`: the value type every stage after the detector speaks.

Modelled on supervision's: parallel numpy arrays, filtered with boolean
masks (``detections[zone.contains(detections)]``), so zones, trackers and
annotators never loop over Python objects per box.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np


def _empty_int() -> np.ndarray:
    return np.zeros((0,), dtype=np.int64)


@dataclass(slots=True)
class Detections:
    """Boxes found in one frame.

    Attributes:
        xyxy: float32 array (N, 4) of pixel corners x1, y1, x2, y2.
        confidence: float32 array (N,).
        class_id: int64 array (N,), COCO ids for the stock weights.
        class_name: object array (N,) of class names ("car", "truck", ...).
        tracker_id: int64 array (N,); -1 until a tracker assigns identities.
    """

    xyxy: np.ndarray
    confidence: np.ndarray
    class_id: np.ndarray
    class_name: np.ndarray
    tracker_id: np.ndarray = field(default_factory=_empty_int)

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        n = len(self.xyxy)
        self.confidence = np.asarray(self.confidence, dtype=np.float32).reshape(n)
        self.class_id = np.asarray(self.class_id, dtype=np.int64).reshape(n)
        self.class_name = np.asarray(self.class_name, dtype=object).reshape(n)
        if len(self.tracker_id) == 0 and n:
            self.tracker_id = np.full(n, -1, dtype=np.int64)
        self.tracker_id = np.asarray(self.tracker_id, dtype=np.int64).reshape(n)

    @classmethod
    def empty(cls) -> Detections:
        return cls(
            xyxy=np.zeros((0, 4), dtype=np.float32),
            confidence=np.zeros((0,), dtype=np.float32),
            class_id=_empty_int(),
            class_name=np.zeros((0,), dtype=object),
        )

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: np.ndarray | slice | int) -> Detections:
        """Select boxes by boolean mask, index array, slice or single index."""
        if isinstance(index, (int, np.integer)):
            index = np.array([index])
        return Detections(
            xyxy=self.xyxy[index],
            confidence=self.confidence[index],
            class_id=self.class_id[index],
            class_name=self.class_name[index],
            tracker_id=self.tracker_id[index],
        )

    def __iter__(self) -> Iterator[Detections]:
        for i in range(len(self)):
            yield self[i]

    @property
    def area(self) -> np.ndarray:
        """Box areas in square pixels."""
        w = np.clip(self.xyxy[:, 2] - self.xyxy[:, 0], 0, None)
        h = np.clip(self.xyxy[:, 3] - self.xyxy[:, 1], 0, None)
        return w * h

    def anchors(self, anchor: str) -> np.ndarray:
        """(N, 2) points of each box: "bottom_center" or "center"."""
        x = (self.xyxy[:, 0] + self.xyxy[:, 2]) / 2
        if anchor == "bottom_center":
            y = self.xyxy[:, 3]
        elif anchor == "center":
            y = (self.xyxy[:, 1] + self.xyxy[:, 3]) / 2
        else:
            raise ValueError(f"unknown anchor {anchor!r}")
        return np.stack([x, y], axis=1)

    def with_tracker_ids(self, tracker_id: np.ndarray) -> Detections:
        """A copy carrying the given identities."""
        return Detections(self.xyxy, self.confidence, self.class_id, self.class_name, tracker_id)

    @classmethod
    def merge(cls, parts: list[Detections]) -> Detections:
        """Concatenate several sets (e.g. boxes from several crops of one frame)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(
            xyxy=np.concatenate([p.xyxy for p in parts]),
            confidence=np.concatenate([p.confidence for p in parts]),
            class_id=np.concatenate([p.class_id for p in parts]),
            class_name=np.concatenate([p.class_name for p in parts]),
            tracker_id=np.concatenate([p.tracker_id for p in parts]),
        )
