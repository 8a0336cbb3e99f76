"""Words people read, zh-CN first and English second: one set of catalogues for the Python side and the pages.

Catalogues are JSON files `catalogues/<lang>/<area>.json`; every key in a file starts with `<area>.`,
so each part of the product keeps its own file. `t()` looks a key up, `negotiate()` picks a language.
"""

from lanewatch.words.catalogue import (
    DEFAULT_LANGUAGE,
    SUPPORTED,
    UnknownLanguage,
    catalogue,
    default_language,
    negotiate,
    normalize,
    set_default_language,
    t,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "SUPPORTED",
    "UnknownLanguage",
    "catalogue",
    "default_language",
    "negotiate",
    "normalize",
    "set_default_language",
    "t",
]
