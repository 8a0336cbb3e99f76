"""Carry zone polygons through a view's homography, so a turned camera's zones follow the lane.

When a camera is knocked, ``video.view_shift`` fits the homography from the
reference view to the current one in fractions of the picture; the lane's
corners move with it. A person previews the carried zones beside both
pictures in the zone editor before saving them (a homography fitted on a
busy street can be wrong). Points carried outside the picture are clipped
to its edge: a zone is always inside the frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_homography(matrix: Sequence[Sequence[float]]) -> np.ndarray:
    """The 3x3 matrix as an array; ValueError when it is not one, or cannot map points (singular)."""
    h = np.asarray(matrix, dtype=np.float64)
    if h.shape != (3, 3) or not np.all(np.isfinite(h)):
        raise ValueError(f"a homography is 3 rows of 3 finite numbers, got shape {h.shape}")
    if abs(np.linalg.det(h)) < 1e-9:
        raise ValueError("the homography is singular: it flattens the picture")
    return h


def carry(polygon: Sequence[Sequence[float]], matrix: Sequence[Sequence[float]]) -> list[list[float]]:
    """The polygon's points (fractions x, y) through the homography, clipped to the frame, rounded to 1e-5."""
    h = check_homography(matrix)
    points = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    mapped = np.c_[points, np.ones(len(points))] @ h.T
    w = mapped[:, 2:3]
    if np.any(np.abs(w) < 1e-12):
        raise ValueError("the homography sends a zone corner to infinity")
    with np.errstate(all="ignore"):
        xy = mapped[:, :2] / w
    if not np.all(np.isfinite(xy)):
        raise ValueError("the homography's numbers are too large to carry points")
    xy = np.clip(xy, 0.0, 1.0)
    return [[round(float(x), 5), round(float(y), 5)] for x, y in xy]
