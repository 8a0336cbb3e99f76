"""A decoded picture that turns into BGR only when something needs colour.

Most looks at a quiet fire lane end at the change gate: it and the camera
health monitor only compare small grey thumbnails. Converting every decoded
1080p YUV picture to a 6 MB BGR array first cost ~2.3 ms per look, and each
thumbnail taken from that BGR array another 1.3–2.1 ms; a thumbnail taken
straight from the luma (Y) plane, which the decoder already produced, costs
0.45–0.7 ms (measured on this machine). So a frame keeps its decoded picture
and converts it to BGR the first time the detector, an evidence snapshot or a
live view asks (`Frame.image`); thumbnails come from the Y plane
(`Frame.grey_thumbnail`).

The Y plane of a video picture is luma, the same weighted sum of R, G and B
that OpenCV's BGR→grey conversion computes; pictures in the usual "limited"
(TV) range, where black is 16 and white 235, are stretched to 0–255 on the
thumbnail so grey levels mean the same as for a BGR image.
"""

from __future__ import annotations

import threading

import av
import numpy as np

from lanewatch.video.thumbnail import area_thumbnail, grey_thumbnail

# Pixel formats whose first plane is 8-bit luma at full resolution, one byte per pixel.
_LUMA_FIRST = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"})
_FULL_RANGE_FORMATS = frozenset({"yuvj420p", "yuvj422p", "yuvj444p", "gray"})
_JPEG_RANGE = 2  # AVCOL_RANGE_JPEG: full range; 0 (unspecified) and 1 (MPEG) mean limited for YUV
_STRETCH = np.clip((np.arange(256, dtype=np.float32) - 16) * (255 / 219) + 0.5, 0, 255).astype(np.uint8)


def scaled_size(width: int, height: int, max_width: int | None) -> tuple[int, int]:
    """(width, height) after scaling down to ``max_width``, the height kept even (what `to_bgr` makes)."""
    if max_width is None or width <= max_width:
        return width, height
    return max_width, max(2, round(height * max_width / width / 2) * 2)


def to_bgr(picture: av.VideoFrame, max_width: int | None = None) -> np.ndarray:
    """The picture as BGR; scaled down in the same FFmpeg conversion when wider than ``max_width``.

    Scaling inside the pixel-format conversion costs ~1 ms for 1080p→640 against 3.6–4.5 ms for a
    full-size conversion followed by cv2.resize (RECIPES.md)."""
    width, height = scaled_size(picture.width, picture.height, max_width)
    if (width, height) == (picture.width, picture.height):
        return picture.to_ndarray(format="bgr24")
    return picture.to_ndarray(width=width, height=height, format="bgr24", interpolation="FAST_BILINEAR")


class DecodedPicture:
    """One decoded video picture; BGR on demand (cached), grey thumbnails from its luma plane.

    ``size`` is that of the BGR image ``bgr()`` returns (scaled to ``max_width``).
    Safe to share between threads: the first ``bgr()`` converts, later calls
    return the same array. Conversion errors (``av.error.FFmpegError``,
    ``ValueError``) surface from ``bgr()``; `lanewatch.video.source` converts
    eagerly when a picture's format has no luma plane to read, so they surface
    where the frame is made.
    """

    __slots__ = ("_bgr", "_lock", "_max_width", "_picture", "size")

    def __init__(self, picture: av.VideoFrame, max_width: int | None = None) -> None:
        self._picture = picture
        self._max_width = max_width
        self.size = scaled_size(picture.width, picture.height, max_width)
        self._bgr: np.ndarray | None = None
        self._lock = threading.Lock()

    @staticmethod
    def has_luma(picture: av.VideoFrame) -> bool:
        """Whether ``grey_thumbnail`` can read this picture's luma plane directly."""
        return picture.format.name in _LUMA_FIRST

    @property
    def converted(self) -> bool:
        """Whether ``bgr()`` has run (a look that never needed colour never converts)."""
        return self._bgr is not None

    def bgr(self) -> np.ndarray:
        """The picture as a BGR uint8 array of ``size``; converted once, on first use."""
        with self._lock:
            if self._bgr is None:
                self._bgr = to_bgr(self._picture, self._max_width)
            return self._bgr

    def grey_thumbnail(self, width: int, height: int) -> np.ndarray:
        """A ``width`` x ``height`` uint8 grey thumbnail (0–255) by pixel-area averaging of the luma plane."""
        picture = self._picture
        if not self.has_luma(picture):
            return grey_thumbnail(self.bgr(), width, height)
        plane = picture.planes[0]
        luma = np.frombuffer(memoryview(plane), np.uint8).reshape(picture.height, plane.line_size)[:, : picture.width]
        small = area_thumbnail(luma, width, height)
        full_range = picture.format.name in _FULL_RANGE_FORMATS or picture.color_range == _JPEG_RANGE
        return small if full_range else _STRETCH[small]
