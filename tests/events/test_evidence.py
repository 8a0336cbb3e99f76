"""Evidence files: both JPEGs written atomically under camera/date, annotation visible."""

from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np

from lanewatch.events.evidence import EvidenceWriter, annotate

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_annotation_draws_zone_box_and_labels_without_touching_the_input() -> None:
    image = np.zeros((360, 640, 3), np.uint8)
    polygon = np.array([[0, 200], [640, 200], [640, 360], [0, 360]])
    out = annotate(image, polygon, (100, 220, 200, 340), label="car", zone_name="Lane A", dwell_s=17.4, timestamp=WHEN)
    assert (image == 0).all()
    assert out[220, 150].tolist() == [0, 0, 255] or out[220, 100].tolist() == [0, 0, 255]  # red box edge
    assert out[100, 320].tolist() == [0, 0, 0]  # outside the zone, untouched
    assert out[300, 500].sum() > 0  # zone tinted


def test_writer_saves_both_files_with_safe_names(tmp_path) -> None:
    writer = EvidenceWriter(tmp_path)
    image = np.full((50, 80, 3), 128, np.uint8)
    annotated_rel, clean_rel = writer.save("../../etc/passwd", "cam/1", image, image, WHEN)
    assert annotated_rel == "cam_1/2026-03-04/.._.._etc_passwd.jpg"
    assert (tmp_path / clean_rel).resolve().is_relative_to(tmp_path.resolve())
    assert cv2.imread(str(tmp_path / clean_rel)).shape == (50, 80, 3)
    assert not list(tmp_path.rglob("*.tmp"))
