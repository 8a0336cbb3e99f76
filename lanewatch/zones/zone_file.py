"""Zone files: one JSON file per camera listing its lane zones.

Whoever edits a zone file is usually drawing polygons by hand, so every
problem is reported at once, in plain words, with the zone's index, id and
field (``zones[1] ('lane-b').polygon: ...``) rather than as a pydantic
traceback, and loading fails as a whole: a camera never runs with half its
zones. The problems are catalogue words (area ``zones``): `str()` of the error
is English (logs), `ZoneFileError.words(lang)` what a reader gets (Chinese first).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from lanewatch.config import StrictModel
from lanewatch.words import catalogue, t
from lanewatch.words.said import Word, say
from lanewatch.zones.zone import Zone, ZoneError

_NOTHING = object()


class ZoneFile(StrictModel):
    """The zones watched on one camera."""

    camera: str = Field(
        title="Camera id",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="The camera these zones belong to (the source's camera id).",
    )
    description: str | None = Field(
        None, title="Description", description="Free text for people: what the camera shows, how the zones were drawn."
    )
    zones: list[Zone] = Field(
        min_length=1, title="Zones", description="Lane zones of this camera; ids must be unique within the file."
    )

    @field_validator("zones")
    @classmethod
    def _unique_ids(cls, zones: list[Zone]) -> list[Zone]:
        seen: dict[str, int] = {}
        for i, zone in enumerate(zones):
            if zone.id in seen:
                raise ZoneError(zone.id, "zones.file.duplicate_id", id=zone.id, first=seen[zone.id], second=i)
            seen[zone.id] = i
        return zones


@dataclass(frozen=True)
class FileProblem:
    """One problem of a zone file, worded when shown.

    `where` is the place in the file ("" the whole file, None the file itself: not found, not JSON);
    `key` and `params` the catalogue's words for it, or `raw` pydantic's own sentence for a kind the
    catalogues do not word; `got` the value found, when it helps to see it.
    """

    where: str | None
    key: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    raw: str = ""
    got: Any = _NOTHING

    def words(self, lang: str | None = None) -> str:
        what = say(self.key, lang, **self.params) if self.key is not None else self.raw
        if self.got is not _NOTHING:
            what += t("zones.file.got", lang, value=repr(self.got))
        if self.where is None:
            return what
        return t("zones.file.at", lang, where=self.where or t("zones.file.whole", lang), problem=what)


class ZoneFileError(ValueError):
    """A zone file could not be read; `problems` lists each one in plain English, `problems_in(lang)` in `lang`."""

    def __init__(self, source: str | Word, problems: list[FileProblem]) -> None:
        self.source = source
        self.found = problems
        self.problems = self.problems_in("en")
        super().__init__(self.words("en"))

    def problems_in(self, lang: str | None = None) -> list[str]:
        return [p.words(lang) for p in self.found]

    def words(self, lang: str | None = None) -> str:
        """The whole report in `lang` (default: the deployment's language)."""
        source = self.source.words(lang) if isinstance(self.source, Word) else self.source
        problems = self.problems_in(lang)
        if len(problems) == 1:
            return t("zones.file.one", lang, source=source, problem=problems[0])
        lines = "\n".join(t("zones.file.bullet", lang, problem=p) for p in problems)
        return t("zones.file.many", lang, source=source, count=len(problems), list=lines)


def load_zone_file(path: str | os.PathLike[str]) -> ZoneFile:
    """Read and validate a zone file; any problem raises one `ZoneFileError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ZoneFileError(str(path), [FileProblem(None, "zones.file.not_found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ZoneFileError(str(path), [FileProblem(None, "zones.file.unreadable", {"error": str(exc)})]) from None
    return parse_zone_file(text, source=str(path))


def parse_zone_file(data: str | bytes | Mapping[str, Any], source: str | Word = "<string>") -> ZoneFile:
    """Validate a zone file given as JSON text or as an already parsed dict."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            where = {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
            raise ZoneFileError(source, [FileProblem(None, "zones.file.json_invalid", where)]) from None
        except UnicodeDecodeError as exc:
            raise ZoneFileError(source, [FileProblem(None, "zones.file.not_utf8", {"error": str(exc)})]) from None
    try:
        return ZoneFile.model_validate(data)
    except ValidationError as exc:
        raise ZoneFileError(source, _describe_errors(exc, data)) from None


def dump_zone_file(zone_file: ZoneFile, path: str | os.PathLike[str]) -> None:
    """Write a zone file as readable JSON (one polygon point per line).

    Written to a temporary file first and renamed, so a reader never sees
    half a file and an interrupted write leaves the old one intact.
    """
    path = Path(path)
    text = _to_json(zone_file.model_dump(mode="json", exclude_none=True))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)


def _to_json(value: Any, indent: str = "") -> str:
    """Indented JSON, except that a list of plain values ([x, y], classes) stays on one line."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = (f"{inner}{json.dumps(k)}: {_to_json(v, inner)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = (f"{inner}{_to_json(v, inner)}" for v in value)
        return "[\n" + ",\n".join(items) + f"\n{indent}]"
    return json.dumps(value, ensure_ascii=False)


def _describe_errors(exc: ValidationError, data: Any) -> list[FileProblem]:
    """One problem per pydantic error: where (zone index, id, field) and what, in plain words."""
    return [_what(err, _where(err["loc"], data)) for err in exc.errors()]


# Plain words for the id patterns, which pydantic would report as a regex.
_PATTERN_HELP = {"id": "zones.file.pattern_id", "camera": "zones.file.pattern_camera"}


def _where(loc: tuple[int | str, ...], data: Any) -> str:
    if not loc:
        return ""
    parts: list[str] = []
    for i, key in enumerate(loc):
        if isinstance(key, int):
            parts.append(f"[{key}]")
            if loc[:i] == ("zones",):
                zone_id = _raw_zone_id(data, key)
                if zone_id is not None:
                    parts.append(f" ({zone_id!r})")
        else:
            parts.append(f".{key}" if parts else key)
    return "".join(parts)


def _raw_zone_id(data: Any, index: int) -> str | None:
    """The id as written in the file, even if the zone failed validation."""
    try:
        zone_id = data["zones"][index]["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return zone_id if isinstance(zone_id, str) else None


def _what(err: Any, where: str) -> FileProblem:
    kind = err["type"]
    if kind == "missing":
        return FileProblem(where, "zones.file.missing")
    if kind == "extra_forbidden":
        return FileProblem(where, "zones.file.extra")
    if kind == "string_pattern_mismatch" and err["loc"][-1] in _PATTERN_HELP:
        return FileProblem(where, _PATTERN_HELP[err["loc"][-1]], got=err["input"])
    ctx = err.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, ZoneError):
        return FileProblem(where, cause.key, cause.params)  # the location already names the zone
    key = f"zones.field.{kind}"
    worded = key in catalogue("en")  # both languages hold the same keys (tests/words)
    value = err.get("input")
    shown = (isinstance(value, (str, int, float, bool)) or value is None) and len(repr(value)) <= 40
    return FileProblem(
        where,
        key if worded else None,
        {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in ctx.items()} if worded else {},
        raw=err["msg"].removeprefix("Value error, "),
        got=value if shown else _NOTHING,
    )
