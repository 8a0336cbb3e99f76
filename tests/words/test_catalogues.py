"""The catalogues themselves: both languages hold the same keys with the same placeholders, keys match their
file, and every key the pages and the Python code use has words (a missing one fails here, not on a screen)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lanewatch.words import SUPPORTED, catalogue
from lanewatch.words.catalogue import CATALOGUE_DIR, placeholders

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "lanewatch" / "api" / "web"
KEY = r"[a-z][a-z0-9_-]*(?:\.[A-Za-z0-9_-]+)+"  # ends in a letter or digit: "a.b." + k is dynamic
JS_KEYS = re.compile(r"""\bt\(\s*["'`](""" + KEY + r""")["'`]""")
HTML_KEYS = re.compile(r"""data-words(?:-placeholder|-title|-aria-label|-alt)?=["'](""" + KEY + r""")["']""")
PY_KEYS = re.compile(r"""\bt\(\s*["'](""" + KEY + r""")["']""")
# Keys handed on to be worded later (ApiError(404, "api.camera.none"), TransitionError("alarms.refused..."),
# Word("...")): any Python string of at least two dots that starts with an area of the catalogues.
PY_HANDED = r"""["']((?:{areas})(?:\.[A-Za-z0-9_-]+){{2,}})["']"""


def areas(lang: str) -> set[str]:
    return {path.stem for path in (CATALOGUE_DIR / lang).glob("*.json")}


def test_both_languages_have_the_same_area_files() -> None:
    assert areas("zh-CN") == areas("en") and "web" in areas("zh-CN")


@pytest.mark.parametrize("lang", SUPPORTED)
def test_every_key_starts_with_its_files_area_and_every_text_is_a_nonempty_string(lang: str) -> None:
    for path in sorted((CATALOGUE_DIR / lang).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        bad = [key for key in data if not key.startswith(f"{path.stem}.")]
        assert not bad, f"{path.relative_to(REPO)}: keys outside area {path.stem!r}: {bad}"
        empty = [key for key, text in data.items() if not isinstance(text, str) or not text.strip()]
        assert not empty, f"{path.relative_to(REPO)}: keys without words: {empty}"


@pytest.mark.parametrize("area", sorted(areas("zh-CN") | areas("en")))
def test_every_key_is_present_in_every_language(area: str) -> None:
    keys = {lang: set(json.loads((CATALOGUE_DIR / lang / f"{area}.json").read_text("utf-8"))) for lang in SUPPORTED}
    for lang in SUPPORTED:
        for other in SUPPORTED:
            missing = sorted(keys[other] - keys[lang])
            assert not missing, f"{lang}/{area}.json lacks keys that {other} has: {missing}"


def test_placeholders_are_the_same_in_both_languages() -> None:
    zh, en = catalogue("zh-CN"), catalogue("en")
    differ = {key: (placeholders(zh[key]), placeholders(en[key])) for key in zh.keys() & en.keys()}
    differ = {key: pair for key, pair in differ.items() if pair[0] != pair[1]}
    assert not differ, f"placeholders differ between zh-CN and en: {differ}"


def test_no_literal_braces_the_pages_cannot_fill() -> None:
    """The pages fill `{name}` only; a doubled brace (Python's escape) would show as two braces there."""
    for lang in SUPPORTED:
        assert not [key for key, text in catalogue(lang).items() if "{{" in text or "}}" in text]


def used_keys() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in [*WEB.rglob("*.js"), *WEB.rglob("*.html")]:
        text = path.read_text(encoding="utf-8")
        for key in {*JS_KEYS.findall(text), *HTML_KEYS.findall(text)}:
            used.setdefault(key, set()).add(str(path.relative_to(REPO)))
    handed = re.compile(PY_HANDED.format(areas="|".join(sorted(areas("en")))))
    for path in (REPO / "lanewatch").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for key in {*PY_KEYS.findall(text), *handed.findall(text)}:
            used.setdefault(key, set()).add(str(path.relative_to(REPO)))
    return used


def test_the_scan_finds_the_keys_the_pages_use() -> None:
    """Guards the scanner itself: if it found nothing, the test below could not fail."""
    used = used_keys()
    assert "web.dashboard.title" in used and "api.camera.none" in used and "alarms.refused.already" in used


@pytest.mark.parametrize("lang", SUPPORTED)
def test_every_key_used_in_pages_and_code_has_words(lang: str) -> None:
    words = catalogue(lang)
    missing = {key: sorted(files) for key, files in used_keys().items() if key not in words}
    assert not missing, f"keys without words in {lang}: {missing}"


def test_pages_hold_no_words_of_their_own() -> None:
    """Every text a person reads in a page comes from the catalogues (data-words), none sits in the HTML."""
    for path in WEB.glob("*.html"):
        text = re.sub(r"<script.*?</script>|<style.*?</style>", "", path.read_text(encoding="utf-8"), flags=re.S)
        texts = [t.strip() for t in re.findall(r">([^<]*)<", text)]
        assert [t for t in texts if t and t not in ("lanewatch", "✕")] == [], path.name
        attributes = re.findall(r"""\s(?:placeholder|title|aria-label|alt)=["']([^"']+)["']""", text)
        assert attributes == [], f"{path.name}: attributes with words of their own: {attributes}"


def test_the_wheel_carries_every_catalogue() -> None:
    """pyproject's package-data must match each catalogue file, or an installed lanewatch has no words."""
    import fnmatch
    import tomllib

    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "lanewatch.words"
    ]
    files = [path.relative_to(CATALOGUE_DIR.parent).as_posix() for path in CATALOGUE_DIR.rglob("*.json")]
    assert files and all(any(fnmatch.fnmatch(f, p) for p in patterns) for f in files)
