"""violations.json and occupancy.csv are current on disk while the run goes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np

from lanewatch.camera import FrameResult
from lanewatch.detect.detections import Detections
from lanewatch.events.report import OccupancyCsv, ViolationsJson
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.video.frame import Frame

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _violation(**changes) -> Violation:
    base = {
        "id": "a1",
        "camera": "cam",
        "zone": "lane",
        "zone_name": "Lane",
        "label": "car",
        "start_s": 1.0,
        "violation_s": 9.0,
        "last_seen_s": 12.0,
        "end_s": None,
        "started_at": NOW,
        "violation_at": NOW,
        "ended_at": None,
        "confidence": 0.81,
        "box": (0.1, 0.2, 0.3, 0.4),
        "snapshot": "cam/x.jpg",
        "snapshot_clean": "cam/x_clean.jpg",
    }
    return Violation(**{**base, **changes})


def test_violations_json_is_rewritten_on_every_event(tmp_path) -> None:
    sink = ViolationsJson(tmp_path / "violations.json", snapshot_prefix="snapshots/")
    assert json.loads((tmp_path / "violations.json").read_text()) == []
    first = _violation()
    sink(ViolationEvent("new", None, first))
    [row] = json.loads((tmp_path / "violations.json").read_text())
    assert row["end_s"] is None and row["dwell_s"] == 11.0 and row["snapshot"] == "snapshots/cam/x.jpg"
    assert row["started_at"] == NOW.isoformat() and row["box"] == [0.1, 0.2, 0.3, 0.4]
    required = {
        "id",
        "camera",
        "zone",
        "label",
        "start_s",
        "violation_s",
        "end_s",
        "dwell_s",
        "confidence",
        "box",
        "snapshot",
        "snapshot_clean",
    }
    assert required <= row.keys()
    sink(ViolationEvent("end", first, _violation(end_s=20.0, ended_at=NOW)))
    [row] = json.loads((tmp_path / "violations.json").read_text())
    assert row["end_s"] == 20.0 and row["dwell_s"] == 19.0


def test_occupancy_rows_per_zone_are_flushed_immediately(tmp_path) -> None:
    sink = OccupancyCsv(tmp_path / "occupancy.csv")
    frame = Frame("cam", np.zeros((10, 10, 3), np.uint8), NOW, 2.5, 3)
    cars = Detections([[0, 0, 1, 1], [2, 2, 3, 3]], [0.9, 0.8], [2, 7], ["car", "truck"])
    sink(FrameResult(frame, cars, {"a": cars, "b": Detections.empty()}, []))
    lines = (tmp_path / "occupancy.csv").read_text().splitlines()  # before close()
    assert lines == ["camera,time_s,zone,occupied,objects,labels", "cam,2.5,a,1,2,car truck", "cam,2.5,b,0,0,"]
    sink.close()
