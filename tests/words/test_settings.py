"""The deployment's `language` and `time_zone` settings: strict, checked against the IANA database, applied."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from lanewatch.config import ServiceSettings, load_settings
from lanewatch.words import DEFAULT_LANGUAGE, configure, default_language, local_text, t, time_zone
from lanewatch.words.times import DEFAULT_TIME_ZONE, UnknownTimeZone, local_iso, set_time_zone


@pytest.fixture(autouse=True)
def _restore():
    yield
    configure(DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE)


def test_defaults_are_chinese_and_shanghai() -> None:
    settings = ServiceSettings()
    assert settings.language == "zh-CN" and settings.time_zone == "Asia/Shanghai"
    schema = ServiceSettings.model_json_schema()["properties"]
    assert schema["time_zone"]["title"] and schema["time_zone"]["description"]
    assert schema["language"]["title"] and schema["language"]["description"]


def test_an_unknown_time_zone_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ValidationError, match=r"unknown time zone 'Asia/Shangai'.*Asia/Shanghai"):
        ServiceSettings(time_zone="Asia/Shangai")
    config = tmp_path / "lanewatch.yaml"
    config.write_text("time_zone: Moon/Base\n")
    with pytest.raises(ValueError, match=r"time_zone: .*unknown time zone 'Moon/Base'"):
        load_settings(config)
    with pytest.raises(UnknownTimeZone):
        set_time_zone("../../etc/passwd")


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValidationError, match="language"):
        ServiceSettings(language="fr")


def test_settings_from_the_environment_and_file(tmp_path, monkeypatch) -> None:
    config = tmp_path / "lanewatch.yaml"
    config.write_text("language: en\ntime_zone: UTC\n")
    assert (load_settings(config).language, load_settings(config).time_zone) == ("en", "UTC")
    monkeypatch.setenv("LANEWATCH_TIME_ZONE", "Asia/Urumqi")
    assert load_settings(config).time_zone == "Asia/Urumqi"


def test_configure_applies_both_to_words_and_times() -> None:
    at = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert local_text(at) == "2026-06-01 16:00:00 +08:00"
    configure("en", "UTC")
    assert default_language() == "en" and str(time_zone()) == "UTC"
    assert local_text(at) == "2026-06-01 08:00:00 +00:00"
    assert t("report.column.zone_name") == "zone name"
    assert local_iso("2026-06-01T08:00:00+00:00") == "2026-06-01 08:00:00 +00:00"


def test_a_naive_time_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="without a time zone"):
        local_text(datetime(2026, 6, 1, 8, 0))
