"""`Zone`: one lane polygon and the rules for what stopping inside it means.

Polygons are stored as fractions of the frame (0–1, origin top-left) so a
zone drawn on a 1080p snapshot still fits when the camera is switched to a
720p sub-stream. A zone is checked once, when it is loaded, with shapely:
a bad polygon (crossed edges, no area, points off the frame) would
otherwise silently match nothing or everything, and nobody would notice
until a blocked fire lane went unreported.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import Field, Strict, ValidationInfo, field_validator, model_validator
from shapely import MultiPoint, Polygon
from shapely.validation import explain_validity

from lanewatch.config import StrictModel
from lanewatch.words.ids import fill_id_from_name
from lanewatch.words.said import say

AnchorName = Literal["bottom_center", "center"]
RuleName = Literal["stopped", "present"]
DEFAULT_CLASSES = ("car", "truck", "bus", "motorcycle")

# Smallest area a zone may cover, as a fraction of the frame: about 20 px² at
# 1080p. Anything smaller cannot hold a vehicle's anchor reliably and is a
# drawing mistake (a double click, points that nearly lie on a line).
MIN_AREA_FRACTION = 1e-5

# Strict floats: a JSON number (int or float) is accepted, a string or a
# boolean is not, so a coordinate written as "0.5" is an error.
Coordinate = Annotated[float, Strict()]
Point = tuple[Coordinate, Coordinate]

_LOCATED = re.compile(r"^(?P<reason>.*?)\s*\[(?P<x>\S+) (?P<y>\S+)\]$")


class ZoneError(ValueError):
    """A zone's field is wrong; the message names the zone and the problem.

    `problem` alone (without the zone prefix) is kept so that a zone-file
    report, which already names the zone by index and id, does not repeat it.
    The problem is a catalogue key with its values: `str()` and `problem` are
    English (logs, zone-file reports), `words(lang)` is what the API answers.
    """

    def __init__(self, zone_id: str | None, key: str, /, **params: Any) -> None:
        self.zone_id = zone_id
        self.key = key
        self.params = params
        self.problem = say(key, "en", **params)
        super().__init__(self.words("en"))

    def words(self, lang: str | None = None) -> str:
        """The zone and its problem in `lang` (default: the deployment's language)."""
        label = (
            say("zones.label.named", lang, zone=self.zone_id)
            if self.zone_id is not None
            else say("zones.label.invalid_id", lang)
        )
        return f"{label}{say('zones.label.colon', lang)}{say(self.key, lang, **self.params)}"


class Zone(StrictModel):
    """A lane polygon; a vehicle stopped inside it past `dwell_seconds` is a violation."""

    id: str = Field(
        title="Zone id",
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Slug used in records, file names and the API: lower-case letters, digits, "
        "'-' and '_', starting with a letter or digit (e.g. 'front-row'). Left out or empty: made from "
        "the name ('东门消防通道' → 'dong-men-xiao-fang-tong-dao').",
    )
    name: str = Field(
        title="Name",
        min_length=1,
        max_length=200,
        description="Human-readable label shown on pictures and in notifications.",
    )
    polygon: list[Point] = Field(
        title="Polygon (fractions of the frame)",
        description="Corner points [x, y] in order around the outline, as fractions of the frame's "
        "width and height (0–1, origin top-left). At least 3 distinct points; the outline "
        "must not cross itself. Repeated consecutive points and a closing point equal to "
        "the first are dropped.",
    )
    rule: RuleName = Field(
        "stopped",
        title="What counts",
        description="'stopped' (the default, right for lanes): only time a vehicle stands still counts "
        "towards the dwell; crawling traffic, a queue that moves and a car manoeuvring never alert. "
        "'present': any time inside counts, moving or not, for zones where even passing is not allowed.",
    )
    dwell_seconds: float = Field(
        60.0,
        gt=0,
        strict=True,
        title="Dwell before violation (s)",
        description="Seconds of stream time a vehicle may stand still inside (rule 'stopped') or be "
        "inside at all (rule 'present') before it is a violation.",
    )
    exit_grace_seconds: float = Field(
        5.0,
        ge=0,
        strict=True,
        title="Exit grace (s)",
        description="Seconds a vehicle may go unseen (occluded, missed by the detector) before its "
        "stay is considered over.",
    )
    classes: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CLASSES),
        min_length=1,
        title="Classes",
        description="Detector class names that count in this zone; other boxes are ignored.",
    )
    anchor: AnchorName = Field(
        "bottom_center",
        title="Anchor point",
        description="Which point of a box must lie inside the polygon: 'bottom_center' (where the "
        "vehicle touches the ground, right for oblique cameras) or 'center' (right for "
        "top-down views). Ignored when min_overlap is set.",
    )
    min_overlap: float | None = Field(
        None,
        gt=0,
        le=1,
        strict=True,
        title="Minimum overlap",
        description="If set, a box counts as inside when at least this fraction of its area lies "
        "inside the polygon, instead of the anchor test.",
    )

    @model_validator(mode="before")
    @classmethod
    def _id_from_name(cls, data: Any) -> Any:
        """A zone given only a name (a Chinese one included) gets an id made from it, never an empty-id error."""
        return fill_id_from_name(data, prefix="zone", max_length=64)

    @field_validator("classes")
    @classmethod
    def _check_classes(cls, classes: list[str], info: ValidationInfo) -> list[str]:
        if any(not c.strip() for c in classes):
            raise ZoneError(info.data.get("id"), "zones.classes.empty")
        return classes

    @field_validator("polygon")
    @classmethod
    def _check_polygon(cls, points: list[Point], info: ValidationInfo) -> list[Point]:
        return clean_polygon(points, info.data.get("id"))


def clean_polygon(points: list[Point], zone_id: str | None = None) -> list[Point]:
    """Return the polygon without repeated points, or raise `ZoneError` saying what is wrong.

    The checks run from the plainest problem to the subtlest so the message
    points at the real mistake: a NaN is reported as a NaN, not as the
    self-intersection it would also cause.
    """
    if len(points) < 3:
        raise ZoneError(zone_id, "zones.polygon.too_few", count=len(points))
    for i, (x, y) in enumerate(points):
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ZoneError(zone_id, "zones.polygon.not_finite", i=i, x=x, y=y)
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ZoneError(zone_id, "zones.polygon.outside", i=i, x=f"{x:g}", y=f"{y:g}")

    distinct = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    if len(distinct) > 1 and distinct[-1] == distinct[0]:
        distinct.pop()
    if len(distinct) < 3:
        raise ZoneError(zone_id, "zones.polygon.few_distinct", count=len(distinct))

    hull = MultiPoint(distinct).convex_hull
    # Thin compared with its size: a line, not merely a small shape (a square gives 1/16).
    if hull.area < MIN_AREA_FRACTION and hull.area <= 1e-3 * hull.length**2:
        raise ZoneError(zone_id, "zones.polygon.zero_area")
    shape = Polygon(distinct)
    if not shape.is_valid:
        key, params = _describe_invalid(shape)
        raise ZoneError(zone_id, key, **params)
    if shape.area < MIN_AREA_FRACTION:
        raise ZoneError(zone_id, "zones.polygon.too_small", area=f"{shape.area:.2g}", least=f"{MIN_AREA_FRACTION:g}")
    return distinct


def _describe_invalid(shape: Polygon) -> tuple[str, dict[str, Any]]:
    """Turn GEOS's terse reason ("Self-intersection[0.5 0.5]") into plain words (a key and its values)."""
    reason = explain_validity(shape)
    match = _LOCATED.match(reason)
    if not match:
        return "zones.polygon.not_simple", {"reason": reason}
    where = f"x={float(match['x']):.2f}, y={float(match['y']):.2f}"
    kind = match["reason"].lower()
    if kind == "self-intersection":
        return "zones.polygon.edges_cross", {"where": where}
    if kind == "ring self-intersection":
        return "zones.polygon.touches_itself", {"where": where}
    return "zones.polygon.not_simple_near", {"kind": kind, "where": where}
