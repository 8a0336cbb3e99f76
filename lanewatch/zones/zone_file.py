"""Zone files: one JSON file per camera listing its lane zones.

Whoever edits a zone file is usually drawing polygons by hand, so every
problem is reported at once, in plain words, with the zone's index, id and
field (``zones[1] ('lane-b').polygon: ...``) rather than as a pydantic
traceback, and loading fails as a whole: a camera never runs with half its
zones.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from lanewatch.config import StrictModel
from lanewatch.zones.zone import Zone, ZoneError


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
                raise ValueError(f"duplicate zone id {zone.id!r} (zones[{seen[zone.id]}] and zones[{i}])")
            seen[zone.id] = i
        return zones


class ZoneFileError(ValueError):
    """A zone file could not be read; `problems` lists each one in plain words."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        if len(problems) == 1:
            message = f"zone file {source}: {problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in problems)
            message = f"zone file {source}: {len(problems)} problems:\n{lines}"
        super().__init__(message)


def load_zone_file(path: str | os.PathLike[str]) -> ZoneFile:
    """Read and validate a zone file; any problem raises one `ZoneFileError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ZoneFileError(str(path), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ZoneFileError(str(path), [f"cannot be read ({exc})"]) from None
    return parse_zone_file(text, source=str(path))


def parse_zone_file(data: str | bytes | Mapping[str, Any], source: str = "<string>") -> ZoneFile:
    """Validate a zone file given as JSON text or as an already parsed dict."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ZoneFileError(
                source, [f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]
            ) from None
        except UnicodeDecodeError as exc:
            raise ZoneFileError(source, [f"not valid UTF-8 text ({exc})"]) from None
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


def _describe_errors(exc: ValidationError, data: Any) -> list[str]:
    """One line per pydantic error: where (zone index, id, field) and what, in plain words."""
    return [f"{_where(err['loc'], data)}: {_what(err)}" for err in exc.errors()]


# Plain words for the id patterns, which pydantic would report as a regex.
_PATTERN_HELP = {
    "id": "a zone id may use only lower-case letters, digits, '-' and '_', and must start with a letter or digit",
    "camera": "a camera id may use only letters, digits, '.', '-' and '_'",
}


def _where(loc: tuple[int | str, ...], data: Any) -> str:
    if not loc:
        return "(whole file)"
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


def _what(err: Any) -> str:
    kind = err["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see zones/README.md for the fields)"
    if kind == "string_pattern_mismatch" and err["loc"][-1] in _PATTERN_HELP:
        return f"{_PATTERN_HELP[err['loc'][-1]]} (got {err['input']!r})"
    cause = err.get("ctx", {}).get("error")
    if isinstance(cause, ZoneError):
        return cause.problem  # the location already names the zone
    message = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    if isinstance(value, (str, int, float, bool)) or value is None:
        text = repr(value)
        if len(text) <= 40:
            message += f" (got {text})"
    return message
