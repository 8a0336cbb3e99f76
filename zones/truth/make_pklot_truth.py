"""PKLot UFPR05 occupancy labels → a truth file of stays, one row per parked car.

PKLot labels every snapshot with one XML file (`bounding_boxes/<capture
time>.xml`) saying, for each parking space, whether it is occupied. The
zones of `zones/pklot-ufpr05.json` are those spaces (`space-<id>`), so a run
of consecutive snapshots on which a space is occupied is one stay in that
zone: it starts at the first of them and ends at the last (the car was seen
there that long; when it left between two snapshots is unknown). A stay still
occupied on the last snapshot is open (`end_s` empty), as in the other truth
files. Times are seconds since the first snapshot's capture time (the file
name, `YYYY-MM-DD_HH_MM_SS`), which is how `lanewatch eval` times an image
folder. A space occupied on one snapshot only is left out: a single look
cannot tell a stay (the scorer refuses a row whose end is not after its
start), and with no row a violation there still counts as a false positive.

    .venv/bin/python zones/truth/make_pklot_truth.py \\
        ../shared/footage/pklot-ufpr05/sequence3 zones/truth/pklot-ufpr05-sequence3.csv
"""

from __future__ import annotations

import csv
import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

CAMERA = "pklot-ufpr05"  # the camera of zones/pklot-ufpr05.json
NAME_FORMAT = "%Y-%m-%d_%H_%M_%S"
HEADER = ["camera", "zone", "start_s", "end_s", "x", "y", "note"]


class Stay(NamedTuple):
    """One space occupied on consecutive snapshots; `end_s` None: still occupied on the last one."""

    zone: str
    start_s: float
    end_s: float | None
    snapshots: int


def read_labels(xml_path: Path) -> dict[str, bool]:
    """`space-<id>` → occupied, for one snapshot; an unlabelled space is an error, not a guess."""
    labels: dict[str, bool] = {}
    for space in ET.parse(xml_path).getroot().iter("space"):
        occupied = space.get("occupied")
        if occupied not in ("0", "1"):
            raise ValueError(f"{xml_path}: space {space.get('id')} has no occupied=0/1 label (got {occupied!r})")
        labels[f"space-{space.get('id')}"] = occupied == "1"
    if not labels:
        raise ValueError(f"{xml_path}: no <space> elements")
    return labels


def snapshots(sequence: Path) -> list[tuple[datetime, dict[str, bool]]]:
    """(capture time, labels) of every XML in `sequence/bounding_boxes`, oldest first."""
    files = sorted((sequence / "bounding_boxes").glob("*.xml"))
    if not files:
        raise ValueError(f"{sequence}: no bounding_boxes/*.xml")
    taken = []
    for path in files:
        try:
            when = datetime.strptime(path.stem, NAME_FORMAT)
        except ValueError:
            raise ValueError(f"{path}: name is not a capture time ({NAME_FORMAT})") from None
        taken.append((when, read_labels(path)))
    taken.sort(key=lambda pair: pair[0])
    spaces = set(taken[0][1])
    for when, labels in taken:
        if set(labels) != spaces:
            raise ValueError(f"{sequence}: the snapshot of {when} labels other spaces than the first")
    return taken


def stays(taken: list[tuple[datetime, dict[str, bool]]]) -> list[Stay]:
    """Two or more consecutive occupied snapshots of a space → one stay, ordered by zone then start."""
    first = taken[0][0]
    times = [(when - first).total_seconds() for when, _ in taken]
    found = []
    for zone in sorted(taken[0][1], key=lambda z: int(z.rsplit("-", 1)[1])):
        run: list[float] = []
        for t, (_, labels) in zip(times, taken, strict=True):
            if labels[zone]:
                run.append(t)
            else:
                if len(run) > 1:
                    found.append(Stay(zone, run[0], run[-1], len(run)))
                run = []
        if len(run) > 1:
            found.append(Stay(zone, run[0], None, len(run)))
    return found


def write_truth(sequence: Path, out: Path) -> list[Stay]:
    """Write the truth CSV for one PKLot sequence folder; returns its stays."""
    found = stays(snapshots(sequence))
    with open(out, "w", newline="") as fh:
        fh.write(f"# PKLot UFPR05 {sequence.name} (frames/) with zones/pklot-ufpr05.json, from the dataset's ")
        fh.write("occupied labels by zones/truth/make_pklot_truth.py: zones/truth/README.md\n")
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for s in found:
            end = "" if s.end_s is None else f"{s.end_s:g}"
            note = f"occupied on {s.snapshots} consecutive snapshots"
            writer.writerow([CAMERA, s.zone, f"{s.start_s:g}", end, "", "", note])
    return found


def main(argv: list[str]) -> int:
    """`make_pklot_truth.py SEQUENCE_DIR OUT.csv`"""
    if len(argv) != 2:
        print(main.__doc__, file=sys.stderr)
        return 2
    try:
        found = write_truth(Path(argv[0]), Path(argv[1]))
    except (OSError, ValueError, ET.ParseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{argv[1]}: {len(found)} stays")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
