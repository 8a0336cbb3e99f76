"""report.html in a real browser: self-contained, so it opens from disk and shows its plots and the mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanewatch.evaluate.report import write_report
from lanewatch.evaluate.score import write_score
from lanewatch.evaluate.truth import parse_truth_csv
from tests.evaluate.test_report import ZONES, _out

pytestmark = [pytest.mark.browser]


def test_report_opens_in_chromium_with_timelines_and_the_snapshot_of_each_mistake(browser, tmp_path: Path) -> None:
    out = _out(tmp_path)  # a hit, a late alert and a false positive with its evidence snapshot
    truth = parse_truth_csv("camera,zone,start_s,end_s,x,y\ngate,lane,0,,0.15,0.9\ngate,lane,0,,0.45,0.9\n", "t.csv")
    _, page_path = write_report(out, write_score(out, [ZONES], truth), lang="en")
    moved = tmp_path / "elsewhere" / "report.html"  # alone on disk: nothing may point at a neighbouring file
    moved.parent.mkdir()
    moved.write_bytes(page_path.read_bytes())
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.goto(moved.as_uri())
        assert page.locator("h2", has_text="timeline gate/lane").count() == 1
        images = page.locator("img")
        assert images.count() == 3  # the timeline, the time-to-alert histogram, the false positive's snapshot
        for i in range(images.count()):  # every picture decoded and drawn, none broken
            assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
        captions = page.locator("figcaption").all_inner_texts()
        assert any(c.startswith("false positive: gate/lane alert at 12 s") for c in captions), captions
        assert any(c.startswith("late alert") for c in captions), captions
        assert "0.6667" in page.locator("table").inner_text()  # precision: 2 of the 3 alerts were right
    finally:
        page.close()
