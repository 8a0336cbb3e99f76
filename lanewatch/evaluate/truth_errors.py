"""Truth-file problems in words a person fixes from: the file, the line, the column, what is wrong.

The person who fixes a truth file has it open in an editor, so every problem
names where it is (``第 4 行第 3 列（start_s）`` / ``line 4, column 3
(start_s)``) and what is wrong in the words catalogue's language (zh-CN by
default, English with ``--lang en``), never pydantic's English.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from lanewatch.words import t

# pydantic error type → catalogue key; the rest fall back to pydantic's own message.
_KINDS = {
    "missing": "eval.truth.missing",
    "float_parsing": "eval.truth.not_number",
    "float_type": "eval.truth.not_number",
    "finite_number": "eval.truth.not_finite",
    "greater_than_equal": "eval.truth.at_least",
    "less_than_equal": "eval.truth.at_most",
    "string_type": "eval.truth.not_text",
    "string_too_short": "eval.truth.empty_value",
    "string_too_long": "eval.truth.too_long",
}
_PATTERNS = {"zone": "eval.truth.zone_pattern", "camera": "eval.truth.camera_pattern"}


class ColumnError(ValueError):
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
            message = t("eval.truth.file_one", source=source, problem=problems[0])
        else:
            listed = "\n".join(f"  - {p}" for p in problems)
            message = t("eval.truth.file_many", source=source, count=len(problems), list=listed)
        super().__init__(message)


def where(line: int, column: str | None = None, columns: list[str] | None = None) -> str:
    """``line 4, column 3 (start_s)`` in a CSV; ``line 4, field start_s`` in JSON (columns None)."""
    if column is None:
        return t("eval.truth.at_line", line=line)
    if columns is None:
        return t("eval.truth.at_field", line=line, name=column)
    if column in columns:
        return t("eval.truth.at_column", line=line, column=columns.index(column) + 1, name=column)
    return t("eval.truth.at_named_column", line=line, name=column)


def problem(at: str, what: str) -> str:
    """``line 4, column 3 (start_s): what is wrong`` (with a full-width colon in Chinese)."""
    return t("eval.truth.problem", at=at, what=what)


def _value(err: Any) -> str:
    value = err.get("input")
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _what(err: Any, column: str) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "string_pattern_mismatch" and column in _PATTERNS:
        return t(_PATTERNS[column], value=_value(err))
    if kind in _KINDS:
        limit = ctx.get("ge", ctx.get("le", ctx.get("min_length", ctx.get("max_length", ""))))
        return t(_KINDS[kind], value=_value(err), limit=f"{limit:g}" if isinstance(limit, float) else limit)
    message = err["msg"].removeprefix("Value error, ")
    if "input" in err and not isinstance(err["input"], dict):
        message += f" ({_value(err)})"
    return t("eval.truth.invalid", message=message)


def problems(exc: ValidationError, line: int, columns: list[str] | None) -> list[str]:
    """One line per pydantic error of a row: where it is and what is wrong, in the catalogue's words."""
    out = []
    for err in exc.errors():
        ctx_error = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_error, ColumnError):
            column, message = ctx_error.column, str(ctx_error)
        else:
            column = str(err["loc"][0]) if err["loc"] else "?"
            message = _what(err, column)
        out.append(problem(where(line, column, columns), message))
    return out
