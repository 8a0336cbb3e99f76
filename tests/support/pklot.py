"""PKLot annotations → spaces and zone files.

PKLot (UFPR05 camera) annotates each snapshot with one XML file holding
every parking space's outline (`contour`, in pixels of the 1280×720 image)
and whether it is occupied. The outlines are the same in every file of a
camera, so one XML gives the zones and each XML gives the ground truth for
its snapshot: the end-to-end accuracy test and the notebook compare
`PolygonZone.contains` against `occupied`.

Regenerate zones/pklot-ufpr05.json with:

    python -m tests.support.pklot \\
        ../shared/footage/pklot-ufpr05/sequence0/bounding_boxes/2013-02-24_10_05_04.xml \\
        zones/pklot-ufpr05.json
"""

from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NamedTuple

from lanewatch.zones import Zone, ZoneFile, dump_zone_file


class PklotSpace(NamedTuple):
    """One annotated parking space of one snapshot."""

    space_id: int
    polygon_px: list[tuple[float, float]]
    occupied: bool


def load_pklot_spaces(xml_path: str | os.PathLike[str]) -> list[PklotSpace]:
    """Spaces of one PKLot XML file, in file order, with their pixel outlines."""
    root = ET.parse(xml_path).getroot()
    spaces = []
    for space in root.iter("space"):
        space_id = int(space.get("id"))
        occupied = space.get("occupied")
        if occupied not in ("0", "1"):
            # Some PKLot files leave a space unlabelled; guessing would skew accuracy.
            raise ValueError(f"{xml_path}: space {space_id} has no occupied=0/1 label (got {occupied!r})")
        contour = space.find("contour")
        if contour is None:
            raise ValueError(f"{xml_path}: space {space_id} has no contour")
        polygon = [(float(p.get("x")), float(p.get("y"))) for p in contour.iter("point")]
        spaces.append(PklotSpace(space_id, polygon, occupied == "1"))
    return spaces


def pklot_zone_file(xml_path: str | os.PathLike[str], width: int = 1280, height: int = 720) -> ZoneFile:
    """One zone per parking space (`space-<id>`, centre anchor), polygons in frame fractions."""
    lot = ET.parse(xml_path).getroot().get("id", "lot")
    zones = [
        Zone(
            id=f"space-{space.space_id}",
            name=f"Space {space.space_id}",
            polygon=[(round(x / width, 6), round(y / height, 6)) for x, y in space.polygon_px],
            anchor="center",
        )
        for space in load_pklot_spaces(xml_path)
    ]
    return ZoneFile(
        camera=f"pklot-{lot}",
        description=f"PKLot {lot.upper()}: one zone per annotated parking space, from the dataset's "
        f"contour polygons ({width}x{height} images). Used to measure occupancy accuracy, "
        "not a fire lane.",
        zones=zones,
    )


def main(argv: list[str]) -> int:
    """`python -m tests.support.pklot XML OUT.json [WIDTH HEIGHT]`"""
    if len(argv) not in (2, 4):
        print(main.__doc__, file=sys.stderr)
        return 2
    size = (int(argv[2]), int(argv[3])) if len(argv) == 4 else (1280, 720)
    dump_zone_file(pklot_zone_file(argv[0], *size), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
