"""Lane zones: polygons in frame fractions, validation, which boxes are inside."""

from lanewatch.zones.polygon_zone import PolygonZone, zones_for_frame
from lanewatch.zones.zone import DEFAULT_CLASSES, AnchorName, Zone, ZoneError
from lanewatch.zones.zone_file import (
    ZoneFile,
    ZoneFileError,
    dump_zone_file,
    load_zone_file,
    parse_zone_file,
)

__all__ = [
    "DEFAULT_CLASSES",
    "AnchorName",
    "PolygonZone",
    "Zone",
    "ZoneError",
    "ZoneFile",
    "ZoneFileError",
    "dump_zone_file",
    "load_zone_file",
    "parse_zone_file",
    "zones_for_frame",
]
