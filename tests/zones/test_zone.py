"""Zone validation: every bad polygon is refused with the zone's id and the problem in plain words."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from lanewatch.zones import Zone, ZoneFile

SQUARE = [(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75)]


def make_zone(**fields) -> Zone:
    return Zone(**{"id": "front-row", "name": "Fire lane A", "polygon": SQUARE, **fields})


def test_valid_square_keeps_points_and_defaults():
    zone = make_zone()
    assert zone.polygon == SQUARE
    assert (zone.dwell_seconds, zone.exit_grace_seconds) == (60.0, 5.0)
    assert zone.classes == ["car", "truck", "bus", "motorcycle"]
    assert zone.anchor == "bottom_center" and zone.min_overlap is None


@pytest.mark.parametrize(
    "polygon, expected",
    [
        pytest.param([*SQUARE, SQUARE[0]], SQUARE, id="closing point dropped"),
        pytest.param([SQUARE[0], SQUARE[1], SQUARE[1], SQUARE[2], SQUARE[3]], SQUARE, id="repeated point dropped"),
        pytest.param([(0, 0), (1, 0), (1, 1), (0, 1)], [(0, 0), (1, 0), (1, 1), (0, 1)], id="whole frame"),
    ],
)
def test_repeated_points_are_dropped(polygon, expected):
    assert make_zone(polygon=polygon).polygon == expected


@pytest.mark.parametrize(
    "polygon, problem",
    [
        pytest.param([(0.1, 0.1), (0.9, 0.1)], "needs at least 3 points, got 2", id="two points"),
        pytest.param([], "needs at least 3 points, got 0", id="no points"),
        pytest.param(
            [(0.1, 0.1), (1.2, 0.1), (0.9, 0.9)], "polygon[1] (1.2, 0.1) is outside the frame", id="x above 1"
        ),
        pytest.param(
            [(0.1, -0.1), (0.9, 0.1), (0.9, 0.9)], "polygon[0] (0.1, -0.1) is outside the frame", id="y below 0"
        ),
        pytest.param(
            [(0.1, 0.1), (math.nan, 0.1), (0.9, 0.9)], "polygon[1] (nan, 0.1) is not a finite number", id="NaN"
        ),
        pytest.param([(0.1, 0.1), (math.inf, 0.1), (0.9, 0.9)], "is not a finite number", id="infinity"),
        pytest.param(
            [(0, 0), (1, 1), (1, 0), (0, 1)], "self-intersecting (edges cross near x=0.50, y=0.50)", id="bowtie"
        ),
        pytest.param([(0.1, 0.1), (0.5, 0.5), (0.9, 0.9)], "zero area", id="collinear"),
        pytest.param([(0.1, 0.1), (0.5, 0.5), (0.9, 0.9), (0.5, 0.5000001)], "zero area", id="nearly collinear"),
        pytest.param(
            [(0.5, 0.5), (0.5, 0.5), (0.6, 0.6), (0.5, 0.5)], "only 2 distinct point(s)", id="repeats leave 2"
        ),
        pytest.param([(0.1, 0.1), (0.1001, 0.1), (0.1001, 0.1001), (0.1, 0.1001)], "too small", id="tiny square"),
    ],
)
def test_bad_polygon_names_zone_and_problem(polygon, problem):
    with pytest.raises(ValidationError) as caught:
        make_zone(polygon=polygon)
    message = str(caught.value)
    assert "zone 'front-row': polygon" in message
    assert problem in message


@pytest.mark.parametrize(
    "fields, problem",
    [
        pytest.param({"dwell_seconds": 0}, "greater than 0", id="zero dwell"),
        pytest.param({"exit_grace_seconds": -1}, "greater than or equal to 0", id="negative grace"),
        pytest.param({"min_overlap": 0}, "greater than 0", id="zero overlap"),
        pytest.param({"min_overlap": 1.5}, "less than or equal to 1", id="overlap above 1"),
        pytest.param({"anchor": "top_left"}, "'bottom_center' or 'center'", id="unknown anchor"),
        pytest.param({"classes": []}, "at least 1 item", id="no classes"),
        pytest.param({"id": "Front Row"}, "match pattern", id="id not a slug"),
        pytest.param({"dwell_seconds": "8"}, "valid number", id="number as string"),
        pytest.param({"polygon": [("0.1", 0.1), (0.9, 0.1), (0.9, 0.9)]}, "valid number", id="coordinate as string"),
        pytest.param({"colour": "red"}, "Extra inputs are not permitted", id="unknown field"),
    ],
)
def test_bad_settings_are_refused(fields, problem):
    with pytest.raises(ValidationError) as caught:
        make_zone(**fields)
    assert problem in str(caught.value)


def test_duplicate_zone_ids_are_refused_by_id():
    zone = make_zone()
    with pytest.raises(ValidationError) as caught:
        ZoneFile(camera="lot-busy", zones=[zone, make_zone(id="other"), zone])
    assert "duplicate zone id 'front-row' (zones[0] and zones[2])" in str(caught.value)


def test_schema_documents_every_field():
    for model in (Zone, ZoneFile):
        for name, field in model.model_fields.items():
            assert field.title and field.description, f"{model.__name__}.{name} needs a title and description"
