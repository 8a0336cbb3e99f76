"""`lanewatch eval` outputs: violations.json and occupancy.csv.

Both are written as the run goes (violations.json replaced atomically on
every event, occupancy.csv appended and flushed per frame), so an
interrupted run still leaves everything it saw on disk.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lanewatch.events.violation import Violation, ViolationEvent

if TYPE_CHECKING:  # camera.py builds on events/: the type only, no import at run time
    from lanewatch.camera import FrameResult

OCCUPANCY_COLUMNS = ("camera", "time_s", "zone", "occupied", "objects", "labels")


def violation_json(v: Violation, snapshot_prefix: str = "") -> dict[str, Any]:
    """The documented JSON shape of one violation (times in s since source start + ISO)."""

    def iso(t: datetime | None) -> str | None:
        return t.isoformat() if t is not None else None

    def rel(p: str | None) -> str | None:
        return f"{snapshot_prefix}{p}" if p else None

    return {
        "id": v.id,
        "camera": v.camera,
        "zone": v.zone,
        "zone_name": v.zone_name,
        "label": v.label,
        "start_s": round(v.start_s, 3),
        "violation_s": round(v.violation_s, 3),
        "end_s": round(v.end_s, 3) if v.end_s is not None else None,
        "dwell_s": round(v.dwell_s, 3),
        "confidence": round(v.confidence, 4),
        "box": list(v.box),
        "started_at": iso(v.started_at),
        "violation_at": iso(v.violation_at),
        "ended_at": iso(v.ended_at),
        "snapshot": rel(v.snapshot),
        "snapshot_clean": rel(v.snapshot_clean),
        "unreliable": v.unreliable,
        "unreliable_reason": v.unreliable_reason,
    }


class ViolationsJson:
    """Event sink keeping DIR/violations.json current."""

    def __init__(self, path: Path, snapshot_prefix: str = "") -> None:
        self.path = Path(path)
        self.snapshot_prefix = snapshot_prefix
        self.violations: dict[str, Violation] = {}
        self._write()

    def __call__(self, event: ViolationEvent) -> None:
        self.violations[event.after.id] = event.after
        self._write()

    def _write(self) -> None:
        rows = sorted(self.violations.values(), key=lambda v: (v.camera, v.start_s, v.zone, v.id))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps([violation_json(v, self.snapshot_prefix) for v in rows], indent=2) + "\n")
        os.replace(tmp, self.path)


class OccupancyCsv:
    """Frame sink appending one row per analysed frame and zone."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w", newline="")  # noqa: SIM115 -- held open across frames; close() ends it
        self._csv = csv.writer(self._fh)
        self._csv.writerow(OCCUPANCY_COLUMNS)
        self._fh.flush()

    def __call__(self, result: FrameResult) -> None:
        t = round(result.frame.offset_s, 3)
        for zone, inside in result.inside.items():
            labels = " ".join(sorted(str(n) for n in inside.class_name))
            self._csv.writerow((result.frame.camera, t, zone, int(len(inside) > 0), len(inside), labels))
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()
