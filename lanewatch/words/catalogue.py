"""Message catalogues: look a key up in a language, fill its `{name}` placeholders, pick a person's language.

A missing key or placeholder never raises at run time: a text falls back to zh-CN, then to the key
itself, so a forgotten word shows as `web.something` instead of breaking a stamp or a page. The
tests in tests/words/ make sure no key is missing in either language before it ships.
"""

from __future__ import annotations

import json
import logging
import string
from functools import lru_cache
from pathlib import Path
from typing import Any

SUPPORTED: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogues"

log = logging.getLogger(__name__)
_default = DEFAULT_LANGUAGE


class UnknownLanguage(ValueError):
    """A language tag lanewatch has no catalogue for."""


def normalize(tag: str | None) -> str | None:
    """The supported language a tag means ("zh", "zh-cn", "zh-Hans-CN" → "zh-CN"; "en-GB" → "en"), else None.

    Any Chinese tag maps to zh-CN: a reader of traditional characters reads simplified far better than English.
    """
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    if primary == "zh":
        return "zh-CN"
    if primary == "en":
        return "en"
    return None


def set_default_language(lang: str) -> None:
    """The deployment's language (config `language`), used where no person's language is known."""
    global _default
    chosen = normalize(lang)
    if chosen is None:
        raise UnknownLanguage(f"unknown language {lang!r}; lanewatch speaks {', '.join(SUPPORTED)}")
    _default = chosen


def default_language() -> str:
    return _default


def _load_file(path: Path) -> dict[str, str]:
    area = path.stem
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a catalogue is one JSON object of key → text")
    for key, text in data.items():
        if not key.startswith(f"{area}."):
            raise ValueError(f"{path}: key {key!r} must start with {area + '.'!r} (the file's name)")
        if not isinstance(text, str):
            raise ValueError(f"{path}: the text of {key!r} must be a string")
    return data


@lru_cache(maxsize=len(SUPPORTED))
def catalogue(lang: str) -> dict[str, str]:
    """Every key → text of one supported language, all areas merged (the pages fetch this as JSON)."""
    if lang not in SUPPORTED:
        raise UnknownLanguage(f"unknown language {lang!r}; lanewatch speaks {', '.join(SUPPORTED)}")
    merged: dict[str, str] = {}
    for path in sorted((CATALOGUE_DIR / lang).glob("*.json")):
        merged.update(_load_file(path))
    return merged


class _KeepMissing(dict[str, Any]):
    """A missing placeholder stays visible as `{name}` instead of raising."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a text (the tests check both languages use the same ones)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def t(key: str, lang: str | None = None, **params: Any) -> str:
    """The text of `key` in `lang` (default: the deployment's language) with `{name}` filled from params."""
    chosen = normalize(lang) or _default
    text = catalogue(chosen).get(key)
    if text is None and chosen != DEFAULT_LANGUAGE:
        text = catalogue(DEFAULT_LANGUAGE).get(key)
    if text is None:
        if not key.startswith("names."):  # name() asks for codes that may have no words
            log.warning("no words for key %r", key)
        return key
    if not params:
        return text
    try:
        return text.format_map(_KeepMissing(params))
    except (ValueError, IndexError, AttributeError, TypeError):
        log.warning("cannot fill the words of %r with %s", key, sorted(params))
        return text


def name(group: str, value: str | None, lang: str | None = None) -> str:
    """The words of a code the records carry (a state, a class, an alarm type): ``names.<group>.<value>``.

    An unknown code is shown as it is (underscores as spaces), never as a key.
    """
    if not value:
        return ""
    key = f"names.{group}.{value}"
    text = t(key, lang)
    return value.replace("_", " ") if text == key else text


def _weighted(accept_language: str) -> list[tuple[float, int, str]]:
    ranked = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        for param in rest.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    return sorted(ranked)


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """The language to answer in: a person's setting first, then the browser's Accept-Language, else the default."""
    chosen = normalize(preferred)
    if chosen is not None:
        return chosen
    for _, _, tag in _weighted(accept_language or ""):
        chosen = normalize(tag)
        if chosen is not None:
            return chosen
    return _default
