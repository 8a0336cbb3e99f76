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
from lanewatch.evaluate.truth_errors import ColumnError, problem, problems, where
from lanewatch.evaluate.truth_errors import TruthFileError as TruthFileError  # re-exported: callers catch it here
from lanewatch.words import t

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
            raise ColumnError(
                "end_s", t("eval.truth.end_before_start", end=f"{self.end_s:g}", start=f"{self.start_s:g}")
            )
        if (self.x is None) != (self.y is None):
            raise ColumnError("y" if self.y is None else "x", t("eval.truth.x_and_y"))
        return self

    @property
    def point(self) -> tuple[float, float] | None:
        return (self.x, self.y) if self.x is not None and self.y is not None else None

    @property
    def where(self) -> str:
        return f"{self.source} {where(self.line)}"


def _validate(
    raw: dict[str, Any], line: int, source: str, columns: list[str] | None, strict: bool
) -> TruthRow | list[str]:
    try:
        return TruthRow.model_validate({**raw, "line": line, "source": source}, strict=strict)
    except ValidationError as exc:
        return problems(exc, line, columns)


def parse_truth_csv(text: str, source: str = "<csv>") -> list[TruthRow]:
    """Rows of a CSV truth file; every bad row is reported, then loading fails as a whole."""
    lines = [(n, t) for n, t in enumerate(text.splitlines(), start=1) if t.strip() and not t.lstrip().startswith("#")]
    if not lines:
        raise TruthFileError(source, [t("eval.truth.empty", header=",".join(COLUMNS[:6]))])
    header_line, header_text = lines[0]
    header = [c.strip() for c in next(csv.reader([header_text]))]
    at = where(header_line)
    bad = [
        problem(at, t("eval.truth.unknown_column", name=repr(c), columns=", ".join(COLUMNS)))
        for c in header
        if c not in COLUMNS
    ]
    bad += [problem(at, t("eval.truth.missing_column", name=repr(c))) for c in REQUIRED_COLUMNS if c not in header]
    if bad:
        raise TruthFileError(source, bad)
    rows: list[TruthRow] = []
    for number, body in lines[1:]:
        cells = [c.strip() for c in next(csv.reader(io.StringIO(body)))]
        if len(cells) > len(header):
            bad.append(problem(where(number), t("eval.truth.too_many_values", count=len(cells), columns=len(header))))
            continue
        raw: dict[str, Any] = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
        for column in (*_OPTIONAL_NUMBERS, "note"):
            if raw.get(column) == "":
                raw[column] = None
        result = _validate(raw, number, source, header, strict=False)
        if isinstance(result, list):
            bad += result
        else:
            rows.append(result)
    if bad:
        raise TruthFileError(source, bad)
    return rows


def _json_items(text: str, source: str) -> list[tuple[int, Any]]:
    """The array's items, each with the line it starts on (json.loads forgets where things were)."""
    decoder = json.JSONDecoder()
    try:
        start = text.index("[")
    except ValueError:
        raise TruthFileError(source, [t("eval.truth.not_array")]) from None
    if text[:start].strip():
        raise TruthFileError(source, [t("eval.truth.not_array")])
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
        at = t("eval.truth.at_column_number", line=exc.lineno, column=exc.colno)
        raise TruthFileError(source, [problem(at, t("eval.truth.json_syntax", message=exc.msg))]) from None
    if pos >= len(text) or text[pos + 1 :].strip():
        at = where(text.count("\n", 0, pos) + 1)
        raise TruthFileError(source, [problem(at, t("eval.truth.not_closed"))])
    return items


def parse_truth_json(text: str, source: str = "<json>") -> list[TruthRow]:
    """Rows of a JSON truth file (an array of objects with the CSV's column names)."""
    rows: list[TruthRow] = []
    bad: list[str] = []
    for number, item in _json_items(text, source):
        if not isinstance(item, dict):
            bad.append(problem(where(number), t("eval.truth.not_object", fields=", ".join(REQUIRED_COLUMNS))))
            continue
        unknown = [k for k in item if k not in COLUMNS]
        if unknown:
            what = t("eval.truth.unknown_field", fields=", ".join(COLUMNS))
            bad += [problem(where(number, k), what) for k in unknown]
            continue
        result = _validate(item, number, source, None, strict=True)
        if isinstance(result, list):
            bad += result
        else:
            rows.append(result)
    if bad:
        raise TruthFileError(source, bad)
    return rows


def load_truth_file(path: str | os.PathLike[str]) -> list[TruthRow]:
    """Read a truth file (.json as JSON, anything else as CSV); any problem raises `TruthFileError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TruthFileError(str(path), [t("eval.truth.cannot_read", error=exc.strerror or exc)]) from None
    if path.suffix.lower() == ".json":
        return parse_truth_json(text, str(path))
    return parse_truth_csv(text, str(path))
