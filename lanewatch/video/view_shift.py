"""How far a camera's view has shifted from a reference picture: ORB features matched, RANSAC homography.

A knocked or re-aimed camera keeps streaming a perfectly sharp, lit picture,
so only comparing it with what it used to see tells: ORB key points of the
reference and of the current grey thumbnail are matched (Hamming distance,
cross-checked), a homography is fitted with RANSAC so moving vehicles'
matches fall out as outliers, and the picture's centre is carried through
it. The shift is that centre's displacement as a fraction of the picture's
width. Too few matches that agree gives no shift: light, traffic or a view
turned right away cannot be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ORB_FEATURES = 500
RANSAC_PX = 3.0  # reprojection error (thumbnail pixels) still counted as agreeing


@dataclass(frozen=True, slots=True)
class ViewShift:
    """The comparison of one picture with the reference."""

    features: int  # key points in the reference
    inliers: int  # matches that agree with the fitted homography
    shift: float | None  # centre displacement / picture width; None when too few matches agree
    homography: np.ndarray | None = None  # 3x3, reference → current, in fractions of the picture (0–1)


class ViewReference:
    """The reference view; ``compare`` each later picture (same size) with it."""

    def __init__(self, grey: np.ndarray, *, min_inliers: int = 15) -> None:
        self._orb = cv2.ORB.create(ORB_FEATURES)
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)
        self._points, self._descriptors = self._orb.detectAndCompute(grey, None)
        self.shape = grey.shape
        self.grey = grey.copy()  # shown beside the current picture when a person checks the zones
        self.min_inliers = min_inliers

    @property
    def features(self) -> int:
        return len(self._points)

    def compare(self, grey: np.ndarray) -> ViewShift:
        """Match ``grey`` against the reference and measure the shift."""
        if grey.shape != self.shape:
            raise ValueError(f"picture of shape {grey.shape} compared with a reference of shape {self.shape}")
        points, descriptors = self._orb.detectAndCompute(grey, None)
        if self._descriptors is None or descriptors is None:
            return ViewShift(self.features, 0, None)
        matches = self._matcher.match(self._descriptors, descriptors)
        if len(matches) < max(self.min_inliers, 4):
            return ViewShift(self.features, 0, None)
        before = np.array([self._points[m.queryIdx].pt for m in matches], dtype=np.float32)
        after = np.array([points[m.trainIdx].pt for m in matches], dtype=np.float32)
        homography, mask = cv2.findHomography(before, after, cv2.RANSAC, RANSAC_PX)
        inliers = int(mask.sum()) if mask is not None else 0
        if homography is None or inliers < self.min_inliers:
            return ViewShift(self.features, inliers, None)
        height, width = self.shape
        centre = np.array([[[width / 2, height / 2]]], dtype=np.float32)
        moved = cv2.perspectiveTransform(centre, homography)[0, 0] - centre[0, 0]
        scale = np.diag([width, height, 1.0])  # fractions → thumbnail pixels
        in_fractions = np.linalg.inv(scale) @ homography @ scale
        return ViewShift(self.features, inliers, float(np.hypot(*moved)) / width, in_fractions / in_fractions[2, 2])
