"""Zone-file problems in Chinese first (the deployment's default), English when asked; the API's import
answers in the request's language."""

from __future__ import annotations

import json

import pytest

from lanewatch.zones import ZoneFileError, parse_zone_file
from tests.api.conftest import app, client, keys, runtime  # noqa: F401  (the API fixtures)

LANE = {"id": "lane-a", "name": "东门通道", "polygon": [[0.1, 0.1], [0.4, 0.1], [0.4, 0.3]]}
GOOD = {"camera": "cam1", "zones": [LANE]}


def _error(data) -> ZoneFileError:
    with pytest.raises(ZoneFileError) as caught:
        parse_zone_file(data, source="lot.json")
    return caught.value


@pytest.mark.parametrize(
    "data, expected",
    [
        ('{"camera": "a",\n  "zones": [}', "不是有效的 JSON：Expecting value，在第 2 行第 13 列"),
        ("[1, 2]", "（整个文件）：应为对象（JSON 对象）"),
        ({"zones": [LANE]}, "camera：缺少必填字段"),
        ({"camera": "a", "zones": []}, "zones：至少需要 1 项，实际 0 项"),
        ({**GOOD, "camra": "x"}, "camra：未知字段（请检查拼写"),
        ({"camera": "a b", "zones": [LANE]}, "camera：摄像头编号只能使用字母"),
        (
            {"camera": "a", "zones": [{**LANE, "dwell_seconds": -2}]},
            "zones[0] ('lane-a').dwell_seconds：应大于 0（收到 -2）",
        ),
        ({"camera": "a", "zones": [{**LANE, "anchor": "top"}]}, "anchor：应为以下之一：'bottom_center' or 'center'"),
        ({"camera": "a", "zones": [LANE, LANE]}, "zones：区域编号 'lane-a' 重复（zones[0] 和 zones[1]）"),
        (
            {"camera": "a", "zones": [{**LANE, "polygon": [[0.1, 0.1], [1.4, 0.1], [0.4, 0.3]]}]},
            "polygon：polygon[1]（1.4, 0.1）超出画面",
        ),
    ],
)
def test_problems_are_in_chinese_by_default(data, expected) -> None:
    error = _error(data)
    said = error.words()
    assert said.startswith("区域文件 lot.json："), said
    assert expected in said, said
    assert str(error).startswith("zone file lot.json: ")  # logs stay English


def test_every_problem_is_listed_in_chinese_and_in_english() -> None:
    error = _error({"camera": "a", "zones": [{**LANE, "anchor": "top", "dwell_seconds": 0, "colour": "red"}]})
    assert error.words("zh-CN").startswith("区域文件 lot.json：共 3 处问题：\n  - ")
    assert len(error.problems_in("zh-CN")) == 3
    assert error.words("en").startswith("zone file lot.json: 3 problems:\n  - ")


URL = "/api/cameras/cam1/zones"


def test_the_import_answers_in_chinese(client, keys) -> None:  # noqa: F811
    body = {"camera": "cam1", "zones": [{**LANE, "dwell_seconds": -1}, {**LANE, "id": "b", "colour": "red"}]}
    headers = {**keys.headers("admin"), "Accept-Language": "zh-CN"}
    r = client.put(f"{URL}/import", json=body, headers=headers)
    assert r.status_code == 422
    answer = r.json()
    assert answer["detail"].startswith("区域文件 （请求内容）：共 2 处问题"), answer
    assert [e["msg"] for e in answer["errors"]] == [
        "zones[0] ('lane-a').dwell_seconds：应大于 0（收到 -1）",
        "zones[1] ('b').colour：未知字段（请检查拼写；字段说明见 zones/README.md）",
    ]


def test_the_import_answers_in_english_when_asked(client, keys) -> None:  # noqa: F811
    r = client.put(f"{URL}/import", json={"zones": [LANE]}, headers={**keys.headers("admin"), "Accept-Language": "en"})
    assert r.status_code == 422
    assert r.json()["detail"] == "zone file in the request body: camera: required field is missing"
    assert json.dumps(r.json(), ensure_ascii=False).count("区域") == 0


def test_lanewatch_zones_check_explains_in_chinese(tmp_path) -> None:
    from typer.testing import CliRunner

    from lanewatch.cli import app as cli

    path = tmp_path / "lot.json"
    path.write_text(json.dumps({"camera": "a", "zones": [{**LANE, "dwell_seconds": -2}]}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["zones", "check", str(path)])
    assert result.exit_code == 1
    flat = "".join(result.output.split())  # however the terminal wrapped it
    assert "dwell_seconds：应大于0（收到-2）" in flat and "Input" not in flat, result.output
