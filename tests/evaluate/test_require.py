"""--require: thresholds read up front, every shortfall named."""

from __future__ import annotations

import pytest

from lanewatch.evaluate.require import parse_requirements, shortfalls

SCORE = {
    "precision": 0.9,
    "recall": 1.0,
    "false_positives": 2,
    "time_to_alert_s": {"p50": 1.0, "p95": 4.0, "max": None},
}


def test_thresholds_from_one_or_several_options() -> None:
    reqs = parse_requirements(["precision>=0.95, recall>=0.95", "time_to_alert_s.p95<=3"])
    assert [str(r) for r in reqs] == ["precision>=0.95", "recall>=0.95", "time_to_alert_s.p95<=3"]


def test_each_figure_that_falls_short_is_named() -> None:
    reqs = parse_requirements(["precision>=0.95,recall>=0.95,false_positives<=2,time_to_alert_s.p95<=3"])
    assert shortfalls(reqs, SCORE, "en") == [
        "precision is 0.9, required >= 0.95",
        "time_to_alert_s.p95 is 4, required <= 3",
    ]
    assert shortfalls(reqs, SCORE) == [  # the deployment's language, zh-CN by default
        "precision 为 0.9，要求 >= 0.95",
        "time_to_alert_s.p95 为 4，要求 <= 3",
    ]


def test_a_figure_without_a_value_falls_short() -> None:
    [problem] = shortfalls(parse_requirements(["time_to_alert_s.max<=10"]), SCORE, "en")
    assert "time_to_alert_s.max has no value" in problem


@pytest.mark.parametrize(
    "spec, problem",
    [
        ("precision=>0.95", "cannot read 'precision=>0.95'"),
        ("precision>=high", "cannot read"),
        ("precison>=0.95", "unknown figure 'precison'"),
    ],
)
def test_unreadable_requirements_are_errors(spec: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_requirements([spec], "en")
