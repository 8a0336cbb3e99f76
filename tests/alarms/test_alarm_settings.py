"""Alarm settings: the escalation chain from a YAML file, and the refusals a typo deserves."""

from __future__ import annotations

import pytest

from lanewatch.alarms.service import AlarmService
from lanewatch.config import AlarmSettings, load_settings

YAML = """
alarms:
  escalation_chain:
    - {name: duty desk, url: "http://127.0.0.1:9000/desk", secret: "0123456789abcdef"}
    - {name: street centre, url: "https://street.example.org/hook", secret: "0123456789abcdef", after_s: 300}
  first_escalation_s: {critical: 30, low: null}
  forward_119: {name: 119 centre, url: "https://119.example.org/hook", secret: "0123456789abcdef"}
  maintenance_false_alarms_per_day: 5
"""


def test_a_chain_from_yaml(tmp_path) -> None:
    path = tmp_path / "lanewatch.yaml"
    path.write_text(YAML)
    alarms = load_settings(path).alarms
    assert [t.name for t in alarms.escalation_chain] == ["duty desk", "street centre"]
    assert alarms.escalation_chain[1].after_s == 300 and alarms.first_escalation_s.critical == 30
    assert alarms.first_escalation_s.high == 180  # untouched defaults stay
    assert alarms.forward_119.secret.get_secret_value() == "0123456789abcdef"
    assert "0123456789abcdef" not in repr(alarms)


@pytest.mark.parametrize(
    "bad, says",
    [
        ('alarms: {escalation_chain: [{name: x, url: "ftp://h/x", secret: "0123456789abcdef"}]}', "url"),
        ('alarms: {escalation_chain: [{name: x, url: "http://h/x", secret: "short"}]}', "secret"),
        ("alarms: {first_escalation_s: {critical: 0}}", "critical"),
        ("alarms: {maintenance_false_alarms_per_day: 0}", "maintenance"),
        ("alarms: {escalation: []}", "escalation"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(tmp_path, bad, says) -> None:
    path = tmp_path / "lanewatch.yaml"
    path.write_text(bad)
    with pytest.raises(ValueError, match=says):
        load_settings(path)


def test_an_unknown_latching_type_is_refused(engine) -> None:
    with pytest.raises(ValueError, match=r"latching_types.*volcano"):
        AlarmService(engine, None, AlarmSettings(latching_types=["fire", "volcano"]))
