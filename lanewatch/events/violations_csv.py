"""The violation report as CSV for people: headings in their language, times in the deployment's zone.

Written with a UTF-8 BOM (``utf-8-sig``): Excel, which most duty offices open CSV files in, reads a
file without one as the local ANSI code page and garbles every Chinese name. Cells that a
spreadsheet would run as a formula (= + - @) are defused with a leading apostrophe. The columns and
their words are those of the dashboard's "Export CSV" (report.column.* in the catalogues). A violation
raised while its camera's view had moved carries the mark in its own two columns, so a report handed
on (to the brigade, to an owner) still says which records are in doubt.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from lanewatch.words import local_iso, local_text, name, t

COLUMNS = (
    "id",
    "camera",
    "zone",
    "zone_name",
    "label",
    "state",
    "active",
    "started_at",
    "violation_at",
    "ended_at",
    "dwell_s",
    "confidence",
    "acknowledged_by",
    "acknowledged_at",
    "ack_comment",
    "resolved_by",
    "resolved_at",
    "resolve_comment",
    "unreliable",
    "unreliable_reason",
)
TIME_COLUMNS = frozenset({"started_at", "violation_at", "ended_at", "acknowledged_at", "resolved_at"})
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^-?\d")


def _time(value: Any) -> str:
    if value is None or value == "":
        return ""
    return local_text(value) if isinstance(value, datetime) else local_iso(str(value))


def _cell(column: str, violation: Mapping[str, Any], lang: str | None) -> str:
    value = violation.get(column)
    if column in TIME_COLUMNS:
        return _time(value)
    if column == "state":
        return name("state", value, lang)
    if column == "label":
        return name("label", value, lang)
    if column in ("active", "unreliable"):
        return t("report.yes" if value else "report.no", lang)
    if column == "unreliable_reason":
        return unreliable_reason(value, lang)
    if column == "dwell_s" and value is not None:
        return f"{float(value):.1f}"
    if column == "confidence" and value is not None:
        return f"{float(value):.2f}"
    text = "" if value is None else str(value)
    return f"'{text}" if _FORMULA.match(text) and not _NUMBER.match(text) else text


def unreliable_reason(reason: str | None, lang: str | None = None) -> str:
    """Why a violation is marked unreliable, in words (a reason without words of its own is named as such)."""
    if not reason:
        return ""
    key = f"report.unreliable.{reason}"
    text = t(key, lang)
    return t("report.unreliable.unknown", lang, reason=reason) if text == key else text


def headings(lang: str | None = None) -> list[str]:
    return [t(f"report.column.{column}", lang) for column in COLUMNS]


def csv_text(violations: Iterable[Mapping[str, Any]], lang: str | None = None) -> str:
    """The CSV (without the BOM) of violations shaped as the API answers them (GET /api/violations items)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings(lang))
    for violation in violations:
        writer.writerow([_cell(column, violation, lang) for column in COLUMNS])
    return out.getvalue()


def write_csv(path: Path, violations: Iterable[Mapping[str, Any]], lang: str | None = None) -> None:
    """Write the report to `path` as UTF-8 with a BOM, replacing it atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(csv_text(violations, lang), encoding="utf-8-sig", newline="")
    tmp.replace(path)
