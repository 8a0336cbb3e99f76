"""The violation report CSV: headings in the language, a BOM for Excel, local times with the offset."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from lanewatch.cli import app
from lanewatch.events.violations_csv import csv_text, write_csv
from lanewatch.store.db import open_engine
from lanewatch.store.tables import ViolationRow
from lanewatch.words import DEFAULT_LANGUAGE, configure
from lanewatch.words.times import DEFAULT_TIME_ZONE

AT = datetime(2026, 6, 1, 8, 0, 0, tzinfo=UTC)
ONE = {
    "id": "gate-dong-men-0001",
    "camera": "gate",
    "zone": "dong-men-xiao-fang-tong-dao",
    "zone_name": "东门消防通道",
    "label": "car",
    "state": "acknowledged",
    "active": True,
    "started_at": AT,
    "violation_at": "2026-06-01T08:00:30+00:00",
    "ended_at": None,
    "dwell_s": 95.24,
    "confidence": 0.871,
    "acknowledged_by": "值班员",
    "acknowledged_at": AT,
    "ack_comment": "=HYPERLINK(1)",
}


@pytest.fixture(autouse=True)
def _restore():
    yield
    configure(DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_chinese_headings_names_and_shanghai_times_by_default() -> None:
    [row] = rows(csv_text([ONE]))
    assert row["区域名称"] == "东门消防通道" and row["目标类型"] == "小汽车" and row["处理状态"] == "已签收"
    assert row["停车开始时间"] == "2026-06-01 16:00:00 +08:00"  # not UTC
    assert row["判定占用时间"] == "2026-06-01 16:00:30 +08:00" and row["离开时间"] == ""
    assert row["仍在占用"] == "是" and row["停留时长（秒）"] == "95.2" and row["签收人"] == "值班员"
    assert row["签收备注"] == "'=HYPERLINK(1)"  # a spreadsheet must not run it


def test_english_on_request_and_the_configured_time_zone() -> None:
    configure("zh-CN", "UTC")
    [row] = rows(csv_text([ONE], "en"))
    assert row["zone name"] == "东门消防通道" and row["class"] == "car" and row["state"] == "acknowledged"
    assert row["stopped at"] == "2026-06-01 08:00:00 +00:00"


def test_the_file_has_a_bom_so_excel_reads_utf8(tmp_path) -> None:
    path = tmp_path / "report.csv"
    write_csv(path, [ONE])
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "东门消防通道" in data.decode("utf-8-sig")
    assert data.decode("utf-8-sig").startswith("记录编号,摄像头,")


def test_cli_export_writes_the_report_from_the_database(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'lanewatch.db'}"
    engine = open_engine(url)
    with Session(engine) as session:
        for n in range(3):
            session.add(
                ViolationRow(
                    id=f"gate-{n}",
                    camera="gate",
                    zone="dong-men",
                    zone_name="东门消防通道",
                    label="truck",
                    start_s=0,
                    violation_s=30,
                    last_seen_s=40 + n,
                    started_at=AT,
                    violation_at=AT.replace(day=1 + n),
                    confidence=0.9,
                    box_x1=0.1,
                    box_y1=0.1,
                    box_x2=0.2,
                    box_y2=0.2,
                    unreliable=n == 2,
                    unreliable_reason="camera_moved" if n == 2 else None,
                )
            )
        session.commit()
    engine.dispose()
    out = tmp_path / "out" / "violations.csv"
    result = CliRunner().invoke(
        app, ["violations", "export", "--database-url", url, "--out", str(out), "--since", "2026-06-02"]
    )
    assert result.exit_code == 0, result.output
    exported = rows(out.read_bytes().decode("utf-8-sig"))
    assert [r["记录编号"] for r in exported] == ["gate-2", "gate-1"]  # newest first, from 2 June (Shanghai)
    assert {r["目标类型"] for r in exported} == {"货车"} and exported[0]["停留时长（秒）"] == "42.0"
    assert "已导出 2 条" in result.output
    assert [(r["结果存疑"], r["存疑原因"]) for r in exported] == [("是", "摄像头视角偏移期间产生"), ("否", "")]


def test_a_violation_raised_while_the_camera_had_moved_says_so_in_its_own_columns() -> None:
    moved = {**ONE, "unreliable": True, "unreliable_reason": "camera_moved"}
    plain, marked, odd = rows(csv_text([ONE, moved, {**moved, "unreliable_reason": "lens_swapped"}]))
    assert (plain["结果存疑"], plain["存疑原因"]) == ("否", "")
    assert (marked["结果存疑"], marked["存疑原因"]) == ("是", "摄像头视角偏移期间产生")
    assert odd["存疑原因"] == "其他原因（lens_swapped）"  # a reason without words is still shown, never dropped
    [english] = rows(csv_text([moved], "en"))
    assert (english["unreliable"], english["why unreliable"]) == ("yes", "raised while the camera's view had moved")
