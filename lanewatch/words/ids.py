"""Ids for things people name: a zone or camera named only in Chinese gets a readable pinyin id.

Ids travel in URLs, records and file names, so they keep to lower-case ASCII letters, digits and
'-'. "东门消防通道" becomes "dong-men-xiao-fang-tong-dao" (pypinyin, one syllable per character,
tone marks dropped); "A区 Lane 2" becomes "a-qu-lane-2". A name with nothing to spell in Latin
letters (emoji, scripts pypinyin does not know) gets a short stable hash: "zone-3f9a1c2e".
"""

from __future__ import annotations

import re
import unicodedata
from hashlib import sha256
from typing import Any

from pypinyin import lazy_pinyin

_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


def _latin(text: str) -> str:
    """Accents dropped (é → e), full-width letters and digits made ASCII (Ａ１ → A1)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _cut(slug: str, max_length: int) -> str:
    """At most max_length characters, cut at a '-' when one is near, never ending in '-'."""
    if len(slug) <= max_length:
        return slug
    cut = slug[:max_length]
    if "-" in cut[max_length // 2 :]:
        cut = cut[: cut.rindex("-")]
    return cut.strip("-")


def id_from_name(name: str, prefix: str = "id", max_length: int = 64) -> str:
    """A valid id (``^[a-z0-9][a-z0-9-]*$``) made from a person's name for a thing; never empty."""
    syllables = lazy_pinyin(unicodedata.normalize("NFKC", name))
    slug = _NOT_ALLOWED.sub("-", _latin("-".join(syllables)).lower()).strip("-")
    if not slug:
        digest = sha256(name.strip().encode("utf-8")).hexdigest()[:8]
        return f"{prefix}-{digest}"
    return _cut(slug, max_length)


def fill_id_from_name(data: Any, prefix: str, max_length: int = 64) -> Any:
    """For a model's "before" validator: raw input whose `id` is missing or blank gets one made from `name`."""
    if isinstance(data, dict) and not (isinstance(data.get("id"), str) and data["id"].strip()):
        name = data.get("name")
        if isinstance(name, str) and name.strip():
            return {**data, "id": id_from_name(name, prefix=prefix, max_length=max_length)}
    return data
