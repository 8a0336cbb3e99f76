"""`lanewatch eval`'s summary counts every camera health kind, per camera, in the language's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lanewatch.evaluate.run import EvalResult
from lanewatch.evaluate.summary import print_run_summary
from lanewatch.events.report import ViolationsJson
from lanewatch.pipeline import PipelineStats
from lanewatch.video.health import HealthEvent, SourceState
from lanewatch.words import set_default_language

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lang", "headers"),
    [("zh-CN", ["离线", "冻结", "遮挡", "过暗", "模糊", "偏移"]), ("en", ["offline", "moved"])],
)
def test_each_health_kind_is_counted(tmp_path, capsys, lang, headers) -> None:
    set_default_language(lang)  # the package's conftest puts the language back
    kinds = ["online", "moved", "online", "moved", "dark", "online", "blurred", "covered", "frozen", "offline"]
    health = [HealthEvent("gate", SourceState(k), T0 + timedelta(seconds=i), "") for i, k in enumerate(kinds)]
    health.append(HealthEvent("yard", SourceState.MOVED, T0, ""))
    stats = PipelineStats(frames={"gate": 10, "yard": 4})
    print_run_summary(EvalResult(stats, ViolationsJson(tmp_path / "violations.json"), health), tmp_path)
    out = capsys.readouterr().out
    assert all(h in out for h in headers)
    gate = next(line for line in out.splitlines() if "gate" in line)
    cells = [c.strip() for c in gate.split("│") if c.strip()]
    # offline, frozen, covered, dark, blurred, moved
    assert cells[-6:] == ["1", "1", "1", "1", "1", "2"]
    yard = next(line for line in out.splitlines() if "yard" in line)
    assert [c.strip() for c in yard.split("│") if c.strip()][-6:] == ["0", "0", "0", "0", "0", "1"]
