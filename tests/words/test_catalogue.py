"""t() and negotiate(): the lookups every stamp, report, notification and page relies on."""

from __future__ import annotations

import pytest

from lanewatch.words import DEFAULT_LANGUAGE, UnknownLanguage, catalogue, negotiate, set_default_language, t
from lanewatch.words.catalogue import default_language


@pytest.fixture(autouse=True)
def _restore_default():
    yield
    set_default_language(DEFAULT_LANGUAGE)


def test_default_language_is_chinese() -> None:
    assert DEFAULT_LANGUAGE == "zh-CN" and default_language() == "zh-CN"
    assert t("web.dashboard.heading") == catalogue("zh-CN")["web.dashboard.heading"]
    assert t("web.dashboard.heading", "en") == "Fire-lane dashboard"


def test_the_configured_default_language_applies_when_none_is_given() -> None:
    set_default_language("en")
    assert t("web.dashboard.heading") == "Fire-lane dashboard"
    with pytest.raises(UnknownLanguage, match="fr"):
        set_default_language("fr")


def test_placeholders_are_filled_and_a_missing_one_stays_visible(monkeypatch) -> None:
    monkeypatch.setitem(catalogue("en"), "web.test.greeting", "Hello {name}, {count} new")
    assert t("web.test.greeting", "en", name="Li", count=3) == "Hello Li, 3 new"
    assert t("web.test.greeting", "en", name="Li") == "Hello Li, {count} new"


def test_a_missing_key_falls_back_to_chinese_then_to_the_key(monkeypatch) -> None:
    monkeypatch.setitem(catalogue("zh-CN"), "web.test.only-zh", "只有中文")
    assert t("web.test.only-zh", "en") == "只有中文"
    assert t("web.test.nowhere", "en") == "web.test.nowhere"
    assert t("web.test.nowhere") == "web.test.nowhere"


def test_an_unknown_language_falls_back_to_the_default_at_run_time() -> None:
    assert t("web.dashboard.heading", "fr") == t("web.dashboard.heading", "zh-CN")


def test_a_malformed_text_does_not_crash(monkeypatch) -> None:
    monkeypatch.setitem(catalogue("en"), "web.test.bad", "broken {0")
    assert t("web.test.bad", "en", x=1) == "broken {0"


@pytest.mark.parametrize(
    ("accept", "preferred", "expected"),
    [
        (None, None, "zh-CN"),
        ("", None, "zh-CN"),
        ("en-US,en;q=0.9", None, "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh-CN"),
        ("fr-FR,en;q=0.5,zh;q=0.7", None, "zh-CN"),  # the higher quality wins, not the order
        ("fr-FR,de;q=0.5", None, "zh-CN"),  # nothing we speak: the default
        ("zh-TW", None, "zh-CN"),
        ("en;q=0", None, "zh-CN"),  # q=0 means "not this one"
        ("en-US", "zh-CN", "zh-CN"),  # a person's setting beats the browser
        ("zh-CN", "en", "en"),
        ("en", "klingon", "en"),  # an unusable setting is ignored
        ("en;q=bad, zh", None, "zh-CN"),
    ],
)
def test_negotiate(accept, preferred, expected) -> None:
    assert negotiate(accept, preferred) == expected
