"""Zone files: readable errors for every problem, round trips, and the example files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lanewatch.zones import ZoneFile, ZoneFileError, dump_zone_file, load_zone_file, parse_zone_file
from tests.conftest import REPO_ROOT

EXAMPLES = sorted((REPO_ROOT / "zones").glob("*.json"))

GOOD = {
    "camera": "lot-busy",
    "zones": [
        {
            "id": "front-row",
            "name": "Fire lane A",
            "polygon": [[0.0, 0.75], [1.0, 0.75], [1.0, 1.0], [0.0, 1.0]],
            "dwell_seconds": 8,
            "exit_grace_seconds": 3,
            "classes": ["car", "truck", "bus", "motorcycle"],
            "anchor": "bottom_center",
        },
        {"id": "lane-b", "name": "Fire lane B", "polygon": [[0.1, 0.1], [0.4, 0.1], [0.4, 0.3]], "min_overlap": 0.5},
    ],
}


def with_zone(index: int, **changes) -> dict:
    data = json.loads(json.dumps(GOOD))
    data["zones"][index].update(changes)
    return data


def test_minimal_example_parses():
    zone_file = parse_zone_file(json.dumps(GOOD))
    assert zone_file.camera == "lot-busy"
    assert [z.id for z in zone_file.zones] == ["front-row", "lane-b"]
    assert zone_file.zones[0].dwell_seconds == 8.0 and zone_file.zones[1].min_overlap == 0.5


@pytest.mark.parametrize(
    "data, expected",
    [
        pytest.param(
            '{"camera": "a",\n  "zones": [}',
            "not valid JSON: Expecting value at line 2, column 13",
            id="malformed JSON",
        ),
        pytest.param("", "not valid JSON", id="empty text"),
        pytest.param("[1, 2]", "(whole file): Input should be a valid dictionary", id="not an object"),
        pytest.param({"zones": GOOD["zones"]}, "camera: required field is missing", id="missing camera"),
        pytest.param({"camera": "a"}, "zones: required field is missing", id="missing zones"),
        pytest.param({"camera": "a", "zones": []}, "zones: List should have at least 1 item", id="no zones"),
        pytest.param({**GOOD, "camra": "x"}, "camra: unknown field", id="unknown top-level field"),
        pytest.param({"camera": "a b", "zones": GOOD["zones"]}, "camera: a camera id may use only", id="bad camera"),
        pytest.param(with_zone(1, colour="red"), "zones[1] ('lane-b').colour: unknown field", id="unknown zone field"),
        pytest.param(
            {"camera": "a", "zones": [{"id": "x", "polygon": [[0, 0], [1, 0], [1, 1]]}]},
            "zones[0] ('x').name: required field is missing",
            id="missing zone field",
        ),
        pytest.param(
            with_zone(1, polygon=[[0.1, 0.1], [1.4, 0.1], [0.4, 0.3]]),
            "zones[1] ('lane-b').polygon: polygon[1] (1.4, 0.1) is outside the frame",
            id="coordinate out of range",
        ),
        pytest.param(
            with_zone(0, polygon=[[0, 0], [1, 1], [1, 0], [0, 1]]),
            "zones[0] ('front-row').polygon: polygon is self-intersecting (edges cross near x=0.50, y=0.50)",
            id="bowtie",
        ),
        pytest.param(
            with_zone(1, polygon=[[0.1, 0.1], [0.4, "0.1"], [0.4, 0.3]]),
            "zones[1] ('lane-b').polygon[1][1]: Input should be a valid number (got '0.1')",
            id="coordinate as string",
        ),
        pytest.param(
            with_zone(0, dwell_seconds=-2),
            "zones[0] ('front-row').dwell_seconds: Input should be greater than 0 (got -2)",
            id="negative dwell",
        ),
        pytest.param(
            with_zone(0, anchor="top"),
            "zones[0] ('front-row').anchor: Input should be 'bottom_center' or 'center' (got 'top')",
            id="unknown anchor",
        ),
        pytest.param(
            with_zone(1, id="Lane B"),
            "zones[1] ('Lane B').id: a zone id may use only lower-case letters",
            id="id not a slug",
        ),
        pytest.param(
            with_zone(1, id="front-row"),
            "zones: duplicate zone id 'front-row' (zones[0] and zones[1])",
            id="duplicate id",
        ),
        pytest.param(
            {"camera": "a", "zones": "front-row"}, "zones: Input should be a valid list", id="zones not a list"
        ),
    ],
)
def test_problems_are_reported_in_plain_words(data, expected):
    with pytest.raises(ZoneFileError) as caught:
        parse_zone_file(data, source="lot.json")
    message = str(caught.value)
    assert message.startswith("zone file lot.json")
    assert expected in message
    assert "pydantic" not in message and "Value error" not in message


def test_every_problem_is_listed_at_once():
    data = with_zone(1, anchor="top", dwell_seconds=0)
    data["zones"][0]["colour"] = "red"
    with pytest.raises(ZoneFileError) as caught:
        parse_zone_file(data)
    assert len(caught.value.problems) == 3
    assert "3 problems" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_missing_file(tmp_path: Path):
    with pytest.raises(ZoneFileError, match="file not found"):
        load_zone_file(tmp_path / "nope.json")


def test_malformed_file_names_path_and_position(tmp_path: Path):
    path = tmp_path / "lot.json"
    path.write_text('{"camera": "a",\n "zones": [,]}')
    with pytest.raises(ZoneFileError) as caught:
        load_zone_file(path)
    assert str(path) in str(caught.value) and "line 2, column 12" in str(caught.value)


def test_dump_then_load_round_trips(tmp_path: Path):
    original = parse_zone_file(GOOD)
    path = tmp_path / "lot-busy.json"
    dump_zone_file(original, path)
    assert load_zone_file(path) == original
    assert "[0.0, 0.75]" in path.read_text()  # one point per line, readable by hand
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_files_load(path: Path):
    zone_file = load_zone_file(path)
    assert zone_file.camera == path.stem
    assert zone_file.zones


def test_examples_present():
    names = {p.name for p in EXAMPLES}
    assert {"pklot-ufpr05.json", "lot-aisle.json", "car-detection.json"} <= names


def test_pklot_example_has_one_zone_per_space():
    zone_file = load_zone_file(REPO_ROOT / "zones" / "pklot-ufpr05.json")
    assert len(zone_file.zones) == 40
    assert {z.anchor for z in zone_file.zones} == {"center"}
    assert zone_file.zones[0].id == "space-1"


def test_parse_accepts_model_dump():
    zone_file = parse_zone_file(GOOD)
    assert parse_zone_file(zone_file.model_dump()) == zone_file
    assert isinstance(zone_file, ZoneFile)


def test_rule_defaults_to_stopped_round_trips_and_is_checked(tmp_path: Path):
    """Zone files written before the rule existed mean 'stopped'; 'present' survives a save; a typo is named."""
    assert [z.rule for z in parse_zone_file(json.dumps(GOOD)).zones] == ["stopped", "stopped"]
    path = tmp_path / "lot-busy.json"
    dump_zone_file(parse_zone_file(with_zone(1, rule="present")), path)
    assert [z.rule for z in load_zone_file(path).zones] == ["stopped", "present"]
    with pytest.raises(
        ZoneFileError, match=r"zones\[0\] \('front-row'\)\.rule: Input should be 'stopped' or 'present'"
    ):
        parse_zone_file(with_zone(0, rule="parked"))
