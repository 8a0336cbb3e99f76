"""Names only in Chinese (or with nothing Latin) still give usable ids: in a zone file, the zones and cameras API."""

from __future__ import annotations

import json
import re

import pytest

from lanewatch.words.ids import id_from_name
from lanewatch.zones.zone_file import load_zone_file
from tests.api.conftest import LANE

ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("东门消防通道", "dong-men-xiao-fang-tong-dao"),
        ("A区 Lane 2", "a-qu-lane-2"),
        ("Fire lane A (front row)", "fire-lane-a-front-row"),
        ("Café Ｎｏ１", "cafe-no1"),  # accents dropped, full-width made ASCII
        ("重庆路", "chong-qing-lu"),
    ],
)
def test_ids_spell_the_name(name: str, expected: str) -> None:
    assert id_from_name(name, "zone") == expected


@pytest.mark.parametrize("name", ["🚒🚒", "  ", "ㄅㄆㄇ", "一" * 80])
def test_an_id_is_always_valid_stable_and_short(name: str) -> None:
    made = id_from_name(name, "zone", max_length=64)
    assert ID.match(made) and len(made) <= 64 and made == id_from_name(name, "zone")


def test_different_unspellable_names_get_different_ids() -> None:
    assert id_from_name("🚒", "zone") != id_from_name("🚑", "zone")


def test_a_zone_file_zone_named_only_in_chinese(tmp_path) -> None:
    zone = {k: v for k, v in LANE.items() if k != "id"} | {"name": "东门消防通道"}
    path = tmp_path / "gate.json"
    path.write_text(json.dumps({"camera": "gate", "zones": [zone, {**zone, "name": "西门 2 号通道", "id": ""}]}))
    zones = load_zone_file(path).zones
    assert [z.id for z in zones] == ["dong-men-xiao-fang-tong-dao", "xi-men-2-hao-tong-dao"]
    assert zones[0].name == "东门消防通道"
