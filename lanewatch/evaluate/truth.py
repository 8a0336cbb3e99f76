"""Truth files: what a person watching the footage says should become a violation.

One row per vehicle (or object) that stayed in a zone, written by hand while
watching, so the format is a plain CSV with a header::

    camera,zone,start_s,end_s,x,y,note
    lot-busy,front-row,0,,0.39,0.92,navy sedan

``start_s``/``end_s`` are seconds since the start of the source (stream time)
when it entered and left the zone; an empty ``end_s`` means it was still there
when the clip ended. ``x,y`` (optional, both or neither) is its anchor point in
fractions of the frame at any moment of its stay, to tell apart several
vehicles in one zone at once. ``note`` is free text for people. Lines starting
with ``#`` and blank lines are skipped.

The same rows as a JSON array of objects are accepted too (``.json``).

Every problem names the file, the line and the column, because the person who
fixes it has the file open in an editor, not a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, model_validator

from lanewatch.config import StrictModel

COLUMNS = ("camera", "zone", "start_s", "end_s", "x", "y", "note")
REQUIRED_COLUMNS = ("camera", "zone", "start_s", "end_s")
_OPTIONAL_NUMBERS = ("end_s", "x", "y")


class TruthRow(StrictModel):
    """One labelled stay: a vehicle in one zone of one camera from start_s to end_s."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    camera: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        title="Camera id",
        description="The camera id, as in the zone file and the source's NAME=.",
    )
    zone: str = Field(
        min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$", title="Zone id", description="The zone's id."
    )
    start_s: float = Field(ge=0, title="Entered (s)", description="Seconds since the source's start when it entered.")
    end_s: float | None = Field(
        None, title="Left (s)", description="Seconds since the source's start when it left; empty: still there."
    )
    x: float | None = Field(None, ge=0, le=1, title="Anchor x", description="Anchor point, fraction of the width.")
    y: float | None = Field(None, ge=0, le=1, title="Anchor y", description="Anchor point, fraction of the height.")
    note: str | None = Field(None, max_length=500, title="Note", description="Free text for people.")
    line: int = Field(0, ge=0, title="Line", description="Line of the file the row came from (set by the loader).")
    source: str = Field("", title="File", description="The file the row came from (set by the loader).")

    @model_validator(mode="after")
    def _consistent(self) -> TruthRow:
        if self.end_s is not None and self.end_s <= self.start_s:
            raise _ColumnError("end_s", f"end_s ({self.end_s:g}) must be after start_s ({self.start_s:g})")
        if (self.x is None) != (self.y is None):
            raise _ColumnError("y" if self.y is None else "x", "give both x and y, or neither")
        return self

    @property
    def point(self) -> tuple[float, float] | None:
        return (self.x, self.y) if self.x is not None and self.y is not None else None

    @property
    def where(self) -> str:
        return f"{self.source} line {self.line}"


class _ColumnError(ValueError):
    """A cross-field problem, tagged with the column the person should look at."""

    def __init__(self, column: str, message: str) -> None:
        self.column = column
        super().__init__(message)


class TruthFileError(ValueError):
    """A truth file could not be read; `problems` lists each one with its line and column."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        if len(problems) == 1:
            message = f"truth file {source}: {problems[0]}"
        else:
            message = f"truth file {source}: {len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(message)


def _where(line: int, column: str, columns: list[str] | None) -> str:
    """``line 4, column 3 (start_s)`` in a CSV; ``line 4, field start_s`` in JSON (no columns there)."""
    if columns is None:
        return f"line {line}, field {column}"
    if column in columns:
        return f"line {line}, column {columns.index(column) + 1} ({column})"
    return f"line {line}, column ({column})"


def _problems(exc: ValidationError, line: int, columns: list[str] | None) -> list[str]:
    out = []
    for err in exc.errors():
        ctx_error = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_error, _ColumnError):
            column, message = ctx_error.column, str(ctx_error)
        else:
            column = str(err["loc"][0]) if err["loc"] else "?"
            message = err["msg"]
            if "input" in err and not isinstance(err["input"], dict):
                message += f" (got {err['input']!r})"
        out.append(f"{_where(line, column, columns)}: {message}")
    return out


def _validate(
    raw: dict[str, Any], line: int, source: str, columns: list[str] | None, strict: bool
) -> TruthRow | list[str]:
    try:
        return TruthRow.model_validate({**raw, "line": line, "source": source}, strict=strict)
    except ValidationError as exc:
        return _problems(exc, line, columns)


def parse_truth_csv(text: str, source: str = "<csv>") -> list[TruthRow]:
    """Rows of a CSV truth file; every bad row is reported, then loading fails as a whole."""
    lines = [(n, t) for n, t in enumerate(text.splitlines(), start=1) if t.strip() and not t.lstrip().startswith("#")]
    if not lines:
        raise TruthFileError(source, ["empty: expected a header line " + ",".join(COLUMNS[:6])])
    header_line, header_text = lines[0]
    header = [c.strip() for c in next(csv.reader([header_text]))]
    problems = [
        f"line {header_line}: unknown column {c!r} (columns: {', '.join(COLUMNS)})" for c in header if c not in COLUMNS
    ]
    problems += [f"line {header_line}: missing column {c!r}" for c in REQUIRED_COLUMNS if c not in header]
    if problems:
        raise TruthFileError(source, problems)
    rows: list[TruthRow] = []
    for number, body in lines[1:]:
        cells = [c.strip() for c in next(csv.reader(io.StringIO(body)))]
        if len(cells) > len(header):
            problems.append(f"line {number}: {len(cells)} values for {len(header)} columns")
            continue
        raw: dict[str, Any] = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
        for column in (*_OPTIONAL_NUMBERS, "note"):
            if raw.get(column) == "":
                raw[column] = None
        result = _validate(raw, number, source, header, strict=False)
        if isinstance(result, list):
            problems += result
        else:
            rows.append(result)
    if problems:
        raise TruthFileError(source, problems)
    return rows


def _json_items(text: str, source: str) -> list[tuple[int, Any]]:
    """The array's items, each with the line it starts on (json.loads forgets where things were)."""
    decoder = json.JSONDecoder()
    try:
        start = text.index("[")
    except ValueError:
        raise TruthFileError(source, ["expected a JSON array of row objects"]) from None
    if text[:start].strip():
        raise TruthFileError(source, ["expected a JSON array of row objects"])
    items: list[tuple[int, Any]] = []
    pos = start + 1
    try:
        while True:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(text) or text[pos] == "]":
                break
            item, end = decoder.raw_decode(text, pos)
            items.append((text.count("\n", 0, pos) + 1, item))
            pos = end
    except json.JSONDecodeError as exc:
        raise TruthFileError(source, [f"line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from None
    if pos >= len(text) or text[pos + 1 :].strip():
        raise TruthFileError(source, [f"line {text.count(chr(10), 0, pos) + 1}: the array is not closed properly"])
    return items


def parse_truth_json(text: str, source: str = "<json>") -> list[TruthRow]:
    """Rows of a JSON truth file (an array of objects with the CSV's column names)."""
    rows: list[TruthRow] = []
    problems: list[str] = []
    for number, item in _json_items(text, source):
        if not isinstance(item, dict):
            problems.append(f"line {number}: expected an object with {', '.join(REQUIRED_COLUMNS)}")
            continue
        unknown = [k for k in item if k not in COLUMNS]
        if unknown:
            problems += [f"{_where(number, k, None)}: unknown field (fields: {', '.join(COLUMNS)})" for k in unknown]
            continue
        result = _validate(item, number, source, None, strict=True)
        if isinstance(result, list):
            problems += result
        else:
            rows.append(result)
    if problems:
        raise TruthFileError(source, problems)
    return rows


def load_truth_file(path: str | os.PathLike[str]) -> list[TruthRow]:
    """Read a truth file (.json as JSON, anything else as CSV); any problem raises `TruthFileError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TruthFileError(str(path), [f"cannot read: {exc.strerror or exc}"]) from None
    if path.suffix.lower() == ".json":
        return parse_truth_json(text, str(path))
    return parse_truth_csv(text, str(path))
