"""Refusals that are worded when shown: a catalogue key and its values, not a finished sentence.

A domain error (an alarm step that is not allowed, an unknown alarm) is raised once but read in
different languages: the API answers in the request's, the CLI in the deployment's. So the error
carries `key` and `params`; `words(lang)` fills them in. A value that is a code the records carry
(a state, an alarm type) is passed as `Code(group, code)`, a word of the catalogues as `Word(key)`; both are
shown in the reader's language too.
`str()` of the error is the English sentence, for logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lanewatch.words.catalogue import name, t


@dataclass(frozen=True)
class Code:
    """A code (``names.<group>.<value>``) to be shown in the reader's language."""

    group: str
    value: str | None

    def words(self, lang: str | None) -> str:
        return name(self.group, self.value, lang)


@dataclass(frozen=True)
class Word:
    """A catalogue key whose words go into another sentence (``Word("api.what.camera")``)."""

    key: str

    def words(self, lang: str | None) -> str:
        return t(self.key, lang)


def fill(params: dict[str, Any], lang: str | None) -> dict[str, Any]:
    """`params` with every `Code` and `Word` worded in `lang`."""
    return {k: v.words(lang) if isinstance(v, (Code, Word)) else v for k, v in params.items()}


def say(key: str, lang: str | None = None, /, **params: Any) -> str:
    """`t()` that also words `Code` and `Word` values."""
    return t(key, lang, **fill(params, lang))


class Said(Exception):
    """An error whose sentence is the catalogue's `key` with `params`, worded by whoever shows it."""

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(say(key, "en", **params))

    def words(self, lang: str | None = None) -> str:
        """The sentence in `lang` (default: the deployment's language)."""
        return say(self.key, lang, **self.params)
