"""An organisation file's errors name the line and column, in Chinese first (English when asked)."""

from __future__ import annotations

import pytest

from lanewatch.people.org_import import OrgImportError, parse

YAML_CASES = [
    (
        "- {code: sq, name: 社区, kind: community}\n- {code: sq, name: 又一个, kind: community}\n",
        "第 2 行第 10 列（code）：代码 “sq” 与第 1 行重复",
    ),
    ("organisations:\n  - code: sq\n    name: ''\n    kind: community\n", "第 3 行第 11 列（name）：不能为空"),
    ("- code: sq\n  name: 社区\n  kind: community\n  colour: red\n", "第 4 行第 3 列（colour）：未知的列"),
    ("- {code: sq, name: 社区, kind: community}\n- just text\n", "第 2 行第 3 列：第 2 项不是含 code、name、kind"),
    ("- {code: sq, name: 社区\n", "YAML 文件无法读取：第 2 行第 1 列附近格式有误"),
]


@pytest.mark.parametrize(("text", "problem"), YAML_CASES)
def test_a_bad_yaml_file_names_where_the_value_is(text: str, problem: str) -> None:
    with pytest.raises(OrgImportError) as refused:
        parse(text, yaml_format=True)
    assert problem in str(refused.value)


def test_the_error_is_english_when_asked() -> None:
    with pytest.raises(OrgImportError) as refused:
        parse("code,name,kind\nsq,,community\n", yaml_format=False, lang="en")
    assert str(refused.value) == "Line 2, column 2 (name): must not be empty."


def test_the_api_answers_an_import_error_in_the_request_s_language(client, runtime, orgs) -> None:
    from .conftest import add_person, sign_in

    add_person(runtime.engine, "root", "admin", orgs.district)
    assert sign_in(client, "root").status_code == 200
    body = b"code,name,kind,parent_code\nsq-x,x,community,nowhere\n"
    zh = client.post("/api/orgs/import", content=body, headers={"Content-Type": "text/csv"})
    assert zh.status_code == 422 and zh.json()["detail"].startswith("第 2 行第 4 列（parent_code）：上级机构")
    en = client.post("/api/orgs/import", content=body, headers={"Content-Type": "text/csv", "Accept-Language": "en"})
    assert en.json()["detail"].startswith("Line 2, column 4 (parent_code): the parent “nowhere” does not exist")
