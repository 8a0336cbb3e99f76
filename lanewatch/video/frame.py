"""The one frame type every stage downstream of video/ receives.

A frame carries its own stream time so that dwell, sampling and evidence
never depend on the wall clock of the machine that decoded it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import numpy as np

from lanewatch.video.thumbnail import grey_thumbnail


class LazyImage(Protocol):
    """A picture that becomes a BGR array only when asked (`lanewatch.video.picture.DecodedPicture`)."""

    size: tuple[int, int]
    """(width, height) of ``bgr()``."""

    @property
    def converted(self) -> bool: ...

    def bgr(self) -> np.ndarray: ...

    def grey_thumbnail(self, width: int, height: int) -> np.ndarray: ...


class Frame:
    """One decoded, sampled picture from one camera; immutable.

    Attributes:
        camera: the camera/source id the frame belongs to.
        image: BGR uint8 array of shape (height, width, 3). A frame made from
            a decoded video picture converts it on first access (most looks
            end at the change gate, which needs only `grey_thumbnail`).
        timestamp: timezone-aware capture time, derived from the stream's PTS
            (or the image's file name / mtime for snapshot folders).
        offset_s: seconds of stream time since the source's first frame; the
            clock that dwell timers use.
        index: running number of the frame among those the source emitted.
    """

    __slots__ = ("_image", "_lazy", "_thumbnails", "camera", "index", "offset_s", "timestamp")

    camera: str
    timestamp: datetime
    offset_s: float
    index: int
    _image: np.ndarray | None  # the BGR array, when the frame was made from one
    _lazy: LazyImage | None  # the decoded picture, converted to BGR on first use
    _thumbnails: dict[tuple[int, int], np.ndarray]

    def __init__(
        self, camera: str, image: np.ndarray | LazyImage, timestamp: datetime, offset_s: float, index: int
    ) -> None:
        if timestamp.tzinfo is None:
            raise ValueError("Frame.timestamp must be timezone-aware")
        lazy = None if isinstance(image, np.ndarray) else image
        for name, value in (
            ("camera", camera),
            ("timestamp", timestamp),
            ("offset_s", offset_s),
            ("index", index),
            ("_image", image if lazy is None else None),
            ("_lazy", lazy),
            ("_thumbnails", {}),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Frame is immutable: cannot set {name}")

    def __repr__(self) -> str:
        return (
            f"Frame(camera={self.camera!r}, size={self.width}x{self.height}, "
            f"timestamp={self.timestamp.isoformat()}, offset_s={self.offset_s:.3f}, index={self.index})"
        )

    @property
    def image(self) -> np.ndarray:
        if self._lazy is not None:
            return self._lazy.bgr()  # the picture converts once
        assert self._image is not None  # one of the two is always set (__init__)
        return self._image

    @property
    def source_image(self) -> np.ndarray | LazyImage:
        """What the frame was made from (a lazy picture, or the BGR array): to re-emit it unconverted."""
        if self._lazy is not None:
            return self._lazy
        assert self._image is not None
        return self._image

    @property
    def converted(self) -> bool:
        """Whether the BGR image exists yet (False: nothing has needed colour from this frame)."""
        return self._lazy is None or self._lazy.converted

    @property
    def width(self) -> int:
        return int(self._lazy.size[0] if self._lazy is not None else self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self._lazy.size[1] if self._lazy is not None else self.image.shape[0])

    def grey_thumbnail(self, width: int, height: int) -> np.ndarray:
        """A ``width`` x ``height`` uint8 grey thumbnail, by pixel-area averaging; cached per size.

        From the decoded picture's luma plane when there is one, without converting to BGR.
        The same size asked twice returns the same array object.
        """
        key = (width, height)
        thumbnail = self._thumbnails.get(key)
        if thumbnail is None:
            # Always from the luma plane when there is a picture, converted or not: a camera's
            # thumbnails must not switch method from one look to the next.
            thumbnail = (
                self._lazy.grey_thumbnail(width, height)
                if self._lazy is not None
                else grey_thumbnail(self.image, width, height)
            )
            self._thumbnails[key] = thumbnail
        return thumbnail
