"""The shared Detections value type: masks, anchors, merge."""

from __future__ import annotations

import numpy as np
import pytest

from lanewatch.detect.detections import Detections


def _dets() -> Detections:
    return Detections(
        xyxy=[[0, 0, 10, 20], [10, 10, 30, 30]], confidence=[0.9, 0.4], class_id=[2, 7], class_name=["car", "truck"]
    )


def test_untracked_boxes_have_tracker_id_minus_one() -> None:
    assert _dets().tracker_id.tolist() == [-1, -1]


def test_boolean_mask_selects_all_fields_together() -> None:
    picked = _dets()[np.array([False, True])]
    assert len(picked) == 1 and picked.class_name.tolist() == ["truck"]
    assert picked.xyxy.tolist() == [[10, 10, 30, 30]] and picked.confidence[0] == pytest.approx(0.4)


@pytest.mark.parametrize("anchor, expected", [("bottom_center", [[5, 20], [20, 30]]), ("center", [[5, 10], [20, 20]])])
def test_anchor_points(anchor, expected) -> None:
    assert _dets().anchors(anchor).tolist() == expected


def test_unknown_anchor_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown anchor"):
        _dets().anchors("top_left")


def test_merge_and_empty() -> None:
    merged = Detections.merge([_dets(), Detections.empty(), _dets()])
    assert len(merged) == 4 and merged.area.tolist() == [200, 400, 200, 400]
    assert len(Detections.merge([])) == 0
