"""Zones carried through a view's homography: synthetic points whose images are known."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lanewatch.video.view_shift import ViewReference
from lanewatch.zones.homography import carry
from tests.video.test_picture_health import grey, scene, shifted

LANE = [[0.1, 0.5], [0.9, 0.5], [0.9, 0.95], [0.1, 0.95]]


def flat(points) -> list[float]:
    return [float(v) for point in points for v in point]


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [
        ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], LANE),
        ([[1, 0, 0.05], [0, 1, -0.1], [0, 0, 1]], [[0.15, 0.4], [0.95, 0.4], [0.95, 0.85], [0.15, 0.85]]),
        ([[0.5, 0, 0.25], [0, 0.5, 0.25], [0, 0, 1]], [[0.3, 0.5], [0.7, 0.5], [0.7, 0.725], [0.3, 0.725]]),
        ([[2, 0, 0], [0, 2, 0], [0, 0, 2]], LANE),  # a homography is defined up to scale
    ],
)
def test_points_go_where_the_homography_sends_them(matrix, expected) -> None:
    assert flat(carry(LANE, matrix)) == pytest.approx(flat(expected), abs=1e-5)


def test_a_perspective_homography_agrees_with_opencv() -> None:
    h = np.array([[1.02, 0.03, 0.01], [-0.02, 0.98, 0.02], [0.05, -0.04, 1.0]])
    expected = cv2.perspectiveTransform(np.array([LANE], dtype=np.float64), h)[0]
    assert flat(carry(LANE, h.tolist())) == pytest.approx(flat(expected), abs=1e-5)


def test_points_carried_off_the_picture_stay_on_its_edge() -> None:
    assert carry([[0.9, 0.5], [0.5, 0.05]], [[1, 0, 0.2], [0, 1, -0.1], [0, 0, 1]]) == [[1.0, 0.4], [0.7, 0.0]]


@pytest.mark.parametrize(
    ("matrix", "problem"),
    [
        ([[1, 0], [0, 1]], "3 rows of 3"),
        ([[1, 0, 0], [0, 1, 0], [0, 0, float("nan")]], "3 rows of 3"),
        ([[1, 0, 0], [2, 0, 0], [0, 0, 1]], "singular"),
        ([[1, 0, 0], [0, 1, 0], [-2, 0, 1]], "infinity"),  # sends x = 0.5 to the line at infinity
        ([[1e308, 1e308, 1e308], [0, 1, 0], [0, 0, 1]], "too large"),
    ],
)
def test_a_matrix_that_cannot_carry_points_is_refused(matrix, problem) -> None:
    with pytest.raises(ValueError, match=problem):
        carry([[0.5, 0.5], [0.2, 0.2]], matrix)


def test_the_fitted_view_homography_carries_a_lane_with_the_turned_camera() -> None:
    """A view turned 64 px of 640 (np.roll): what was at x is now at x + 0.1; the fit is in fractions."""
    reference = ViewReference(grey(scene()))
    found = reference.compare(grey(shifted(scene(), 64)))
    assert found.homography is not None
    lane = [[0.2, 0.4], [0.6, 0.4], [0.6, 0.8], [0.2, 0.8]]
    expected = [[0.3, 0.4], [0.7, 0.4], [0.7, 0.8], [0.3, 0.8]]
    assert flat(carry(lane, found.homography.tolist())) == pytest.approx(flat(expected), abs=0.01)
