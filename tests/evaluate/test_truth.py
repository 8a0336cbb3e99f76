"""Truth files as a person writes them, and the errors they get when a row is wrong."""

from __future__ import annotations

import json

import pytest

from lanewatch.evaluate.truth import TruthFileError, load_truth_file, parse_truth_csv, parse_truth_json

GOOD = """# written while watching lot-busy.mp4
camera,zone,start_s,end_s,x,y,note

lot-busy,front-row,0,,0.39,0.92,navy sedan
lot-busy,front-row,3.5,12,,
"""


def test_csv_rows_with_comments_blank_lines_open_ends_and_optional_points() -> None:
    rows = parse_truth_csv(GOOD, "t.csv")
    assert [(r.line, r.start_s, r.end_s, r.point, r.note) for r in rows] == [
        (4, 0.0, None, (0.39, 0.92), "navy sedan"),
        (5, 3.5, 12.0, None, None),
    ]


def test_x_and_y_columns_may_be_left_out() -> None:
    [row] = parse_truth_csv("camera,zone,start_s,end_s\ngate,lane,1,2\n")
    assert row.point is None and row.end_s == 2.0


def test_json_rows_are_the_same_rows(tmp_path) -> None:
    path = tmp_path / "t.json"
    rows = [{"camera": "lot-busy", "zone": "front-row", "start_s": 0, "end_s": None, "x": 0.39, "y": 0.92}]
    path.write_text(json.dumps(rows, indent=2))
    [row] = load_truth_file(path)
    assert (row.camera, row.zone, row.start_s, row.end_s, row.point, row.line) == (
        "lot-busy",
        "front-row",
        0.0,
        None,
        (0.39, 0.92),
        2,
    )


@pytest.mark.parametrize(
    "row, problem",
    [
        ("gate,lane,abc,,,", "line 2, column 3 (start_s): should be a number (got 'abc')"),
        ("gate,lane,-1,,,", "line 2, column 3 (start_s): should be at least 0 (got '-1')"),
        ("gate,lane,5,3,,", "line 2, column 4 (end_s): end_s (3) must be after start_s (5)"),
        ("gate,lane,5,,0.4,", "line 2, column 6 (y): give both x and y, or neither"),
        ("gate,lane,5,,1.5,0.2", "line 2, column 5 (x): should be at most 1 (got '1.5')"),
        ("gate,lane,5,,nan,0.2", "line 2, column 5 (x): should be a finite number (got 'nan')"),
        ("gate,Lane A,5,,,", "line 2, column 2 (zone): a zone id may use only lower-case letters"),
        ("gate,lane,5,,,,extra", "line 2: 7 values for 6 columns"),
    ],
)
def test_bad_csv_rows_name_line_and_column(row: str, problem: str, english) -> None:
    with pytest.raises(TruthFileError, match=r"truth file t\.csv") as err:
        parse_truth_csv("camera,zone,start_s,end_s,x,y\n" + row + "\n", "t.csv")
    assert problem in str(err.value)


def test_every_bad_row_is_reported_at_once(english) -> None:
    with pytest.raises(TruthFileError) as err:
        parse_truth_csv("camera,zone,start_s,end_s\ngate,lane,x,\ngate,lane,1,2\ngate,lane,4,1\n", "t.csv")
    assert [p.split(":")[0] for p in err.value.problems] == ["line 2, column 3 (start_s)", "line 4, column 4 (end_s)"]


@pytest.mark.parametrize(
    "header, problem",
    [
        ("camera,zone,start,end_s", "unknown column 'start'"),
        ("camera,zone,start_s", "missing column 'end_s'"),
    ],
)
def test_bad_headers_are_explained(header: str, problem: str, english) -> None:
    with pytest.raises(TruthFileError, match=problem):
        parse_truth_csv(header + "\ngate,lane,1,2\n", "t.csv")


@pytest.mark.parametrize(
    "text, problem",
    [
        (
            '[\n  {"camera": "gate", "zone": "lane", "start_s": "1"}\n]',
            "line 2, field start_s: should be a number (got '1')",
        ),
        ('[\n  {"camera": "gate", "zone": "lane", "start_s": 1, "dwell": 3}\n]', "line 2, field dwell: unknown field"),
        ('[\n  {"camera": "gate", "zone": "lane", "start_s": 1,}\n]', "line 2, column 51: Expecting property name"),
        ('{"camera": "gate"}', "expected a JSON array of row objects"),
        ("[\n  1\n]", "line 2: expected an object"),
    ],
)
def test_bad_json_rows_name_line_and_field(text: str, problem: str, english) -> None:
    with pytest.raises(TruthFileError) as err:
        parse_truth_json(text, "t.json")
    assert problem in str(err.value)


def test_a_missing_file_is_a_truth_file_error(tmp_path) -> None:
    with pytest.raises(TruthFileError, match="无法读取"):
        load_truth_file(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    "row, problem",
    [
        ("gate,lane,abc,,,", "真值文件 t.csv：第 2 行第 3 列（start_s）：应为数字（收到 'abc'）"),
        ("gate,lane,5,3,,", "第 2 行第 4 列（end_s）：end_s（3）必须晚于 start_s（5）"),
        ("gate,lane,5,,0.4,", "第 2 行第 6 列（y）：x 和 y 要么都填，要么都不填"),
        ("gate,Lane A,5,,,", "第 2 行第 2 列（zone）：区域 id 只能使用小写字母"),
        ("gate,lane,5,,,,extra", "第 2 行：有 7 个值，但只有 6 列"),
    ],
)
def test_problems_are_in_chinese_by_default(row: str, problem: str) -> None:
    """Chinese first, as every message: the person fixing the file reads where and what in their language."""
    with pytest.raises(TruthFileError) as err:
        parse_truth_csv("camera,zone,start_s,end_s,x,y\n" + row + "\n", "t.csv")
    assert problem in str(err.value)
    assert "should" not in str(err.value) and "line" not in str(err.value)


def test_chinese_json_and_header_problems_name_line_and_field() -> None:
    with pytest.raises(TruthFileError) as err:
        parse_truth_json('[\n  {"camera": "gate", "zone": "lane", "start_s": 1, "dwell": 3}\n]', "t.json")
    assert "第 2 行字段 dwell：未知字段" in str(err.value)
    with pytest.raises(TruthFileError) as err:
        parse_truth_csv("camera,zone,start\ngate,lane,1\n", "t.csv")
    assert err.value.problems == [
        "第 1 行：未知列 'start'（可用的列：camera, zone, start_s, end_s, x, y, note）",
        "第 1 行：缺少列 'start_s'",
        "第 1 行：缺少列 'end_s'",
    ]
    assert str(err.value).startswith("真值文件 t.csv：共 3 处问题：")
