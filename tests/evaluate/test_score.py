"""Scoring on hand-made cases: what a person counting by eye would count."""

from __future__ import annotations

import pytest

from lanewatch.evaluate.matching import Found, ZoneRule
from lanewatch.evaluate.score import score
from lanewatch.evaluate.truth import TruthFileError, parse_truth_csv

RULES = {("gate", "lane"): ZoneRule(dwell_s=10.0), ("gate", "dock"): ZoneRule(dwell_s=30.0)}
HEADER = "camera,zone,start_s,end_s,x,y\n"


def found(i: int, start: float, alert: float, end: float | None = None, box=(0.1, 0.5, 0.3, 0.9), zone="lane"):
    return Found(id=f"v{i}", camera="gate", zone=zone, start_s=start, violation_s=alert, end_s=end, box=box)


def truth(*rows: str):
    return parse_truth_csv(HEADER + "\n".join(rows) + "\n", "t.csv")


def test_one_car_found_once_is_a_hit_with_its_time_to_alert() -> None:
    s = score([found(1, 2.0, 12.0)], truth("gate,lane,1.5,,,"), RULES, {"gate": 60.0})
    assert (s["true_positives"], s["false_positives"], s["false_negatives"]) == (1, 0, 0)
    assert s["precision"] == s["recall"] == 1.0
    assert s["time_to_alert_s"]["max"] == pytest.approx(12.0 - (1.5 + 10.0))


def test_a_missed_car_is_a_false_negative() -> None:
    s = score([found(1, 2.0, 12.0)], truth("gate,lane,1,,,", "gate,lane,30,50,,"), RULES, {"gate": 60.0})
    assert (s["true_positives"], s["false_negatives"], s["recall"]) == (1, 1, 0.5)
    assert [d["line"] for d in s["details"]["truth"] if d["status"] == "miss"] == [3]


def test_two_violations_for_one_car_make_a_duplicate_not_a_false_positive() -> None:
    s = score([found(1, 2.0, 12.0, end=20.0), found(2, 22.0, 32.0)], truth("gate,lane,1,,,"), RULES, {"gate": 60.0})
    assert (s["true_positives"], s["duplicates"], s["false_positives"]) == (1, 1, 0)
    assert s["precision"] == 0.5  # the operator was alerted twice for one car


def test_a_late_alert_shows_in_time_to_alert() -> None:
    s = score([found(1, 2.0, 12.0), found(2, 2.0, 40.0, box=(0.6, 0.5, 0.8, 0.9))],
              truth("gate,lane,2,,0.2,0.9", "gate,lane,2,,0.7,0.9"), RULES, {"gate": 60.0})  # fmt: skip
    assert s["true_positives"] == 2
    assert s["time_to_alert_s"]["max"] == pytest.approx(28.0) and s["time_to_alert_s"]["p50"] == pytest.approx(14.0)


def test_two_cars_at_once_are_told_apart_by_their_points() -> None:
    left, right = (0.1, 0.5, 0.3, 0.9), (0.6, 0.5, 0.8, 0.9)
    violations = [found(1, 0.0, 10.0, box=left), found(2, 0.0, 11.0, box=right)]
    rows = truth("gate,lane,0,,0.7,0.9", "gate,lane,0,,0.2,0.9")
    s = score(violations, rows, RULES, {"gate": 60.0})
    pairs = {d["line"]: d["violation"] for d in s["details"]["truth"]}
    assert pairs == {2: "v2", 3: "v1"}
    # Without the right-hand car's row its violation is a false positive, not a duplicate of the left one.
    s = score(violations, truth("gate,lane,0,,0.2,0.9"), RULES, {"gate": 60.0})
    assert (s["true_positives"], s["false_positives"], s["duplicates"]) == (1, 1, 0)
    assert s["false_alert_minutes"] == pytest.approx((60.0 - 11.0) / 60, abs=1e-3)


def test_a_stay_shorter_than_the_dwell_is_not_expected_and_not_a_miss() -> None:
    s = score([], truth("gate,lane,5,12,,", "gate,dock,0,,,"), RULES, {"gate": 20.0})
    # 7 s in a 10 s lane, and 20 s observed of a 30 s dock: neither should alert.
    assert (s["not_expected"], s["false_negatives"], s["recall"]) == (2, 0, 1.0)


def test_an_alert_on_a_stay_too_short_to_alert_is_a_false_positive() -> None:
    s = score([found(1, 5.0, 15.0, end=16.0)], truth("gate,lane,5,12,,"), RULES, {"gate": 60.0})
    assert (s["false_positives"], s["not_expected"], s["precision"]) == (1, 1, 0.0)


def test_a_violation_in_another_zone_does_not_count_for_this_one() -> None:
    s = score([found(1, 0.0, 30.0, zone="dock")], truth("gate,lane,0,,,"), RULES, {"gate": 60.0})
    assert s["per_zone"]["gate"]["lane"]["false_negatives"] == 1
    assert s["per_zone"]["gate"]["dock"]["false_positives"] == 1
    assert s["per_camera"]["gate"]["violations"] == 1


def test_stays_that_do_not_overlap_in_time_do_not_match() -> None:
    s = score([found(1, 40.0, 50.0)], truth("gate,lane,0,20,,"), RULES, {"gate": 60.0})
    assert (s["true_positives"], s["false_positives"], s["false_negatives"]) == (0, 1, 1)


@pytest.mark.parametrize(
    "row, problem",
    [
        ("cam-x,lane,0,,,", "第 2 行 camera 列：没有摄像头 'cam-x' 的视频源或区域文件"),
        ("gate,lanes,0,,,", "第 2 行 zone 列：摄像头 'gate' 没有区域 'lanes'（现有区域：dock, lane）"),
    ],
)
def test_rows_for_cameras_or_zones_not_evaluated_are_errors(row: str, problem: str) -> None:
    with pytest.raises(TruthFileError, match=r"t\.csv") as err:
        score([], truth(row), RULES)
    assert problem in str(err.value)


def test_problems_in_several_truth_files_are_all_named(english) -> None:
    rows = parse_truth_csv(HEADER + "cam-x,lane,0,,,\n", "a.csv") + parse_truth_csv(
        HEADER + "gate,pier,0,,,\n", "b.csv"
    )
    with pytest.raises(TruthFileError) as err:
        score([], rows, RULES)
    assert err.value.problems[0].startswith("a.csv line 2, column camera")
    assert err.value.problems[1].startswith("b.csv line 2, column zone: camera 'gate' has no zone 'pier'")
