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
    name,
    negotiate,
    normalize,
    set_default_language,
    t,
)
from lanewatch.words.times import local_iso, local_text, set_time_zone, time_zone


def configure(language: str, time_zone_name: str) -> None:
    """Apply the deployment's settings (config `language`, `time_zone`) to every text and time shown."""
    set_default_language(language)
    set_time_zone(time_zone_name)


__all__ = [
    "DEFAULT_LANGUAGE",
    "SUPPORTED",
    "UnknownLanguage",
    "catalogue",
    "configure",
    "default_language",
    "local_iso",
    "local_text",
    "name",
    "negotiate",
    "normalize",
    "set_default_language",
    "set_time_zone",
    "t",
    "time_zone",
]
