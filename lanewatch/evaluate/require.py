"""`--require precision>=0.95,recall>=0.95`: acceptance thresholds checked against score.json.

Parsed before the pipeline runs, so a typo fails in a second rather than
after the footage; checked afterwards, and every figure that falls short is
named, so a pilot's acceptance can run in CI on the exit code alone.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lanewatch.words import t

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}
_TERM = re.compile(r"^\s*([a-z_]+(?:\.[a-z0-9_]+)?)\s*(>=|<=|==|>|<)\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*$")
FIGURES = (
    "precision",
    "recall",
    "true_positives",
    "false_positives",
    "false_negatives",
    "duplicates",
    "not_expected",
    "violations",
    "false_alert_minutes",
    "time_to_alert_s.p50",
    "time_to_alert_s.p95",
    "time_to_alert_s.max",
)


@dataclass(frozen=True)
class Requirement:
    figure: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.figure}{self.op}{self.threshold:g}"

    def shortfall(self, score: dict[str, Any], lang: str | None = None) -> str | None:
        """None when met, else a sentence in `lang` naming the figure and its value."""
        value: Any = score
        for part in self.figure.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return t("cli.require.no_value", lang, figure=self.figure, op=self.op, threshold=f"{self.threshold:g}")
        if not _OPS[self.op](float(value), self.threshold):
            return t(
                "cli.require.short",
                lang,
                figure=self.figure,
                value=f"{value:g}",
                op=self.op,
                threshold=f"{self.threshold:g}",
            )
        return None


def parse_requirements(specs: list[str], lang: str | None = None) -> list[Requirement]:
    """Comma-separated terms like ``recall>=0.95``, from one or several --require options (errors in `lang`)."""
    out = []
    for spec in specs:
        for term in filter(str.strip, spec.split(",")):
            m = _TERM.match(term)
            if not m:
                raise ValueError(t("cli.require.unreadable", lang, term=term.strip()))
            figure, op, number = m.groups()
            if figure not in FIGURES:
                raise ValueError(t("cli.require.unknown", lang, figure=figure, figures=", ".join(FIGURES)))
            out.append(Requirement(figure, op, float(number)))
    return out


def shortfalls(requirements: list[Requirement], score: dict[str, Any], lang: str | None = None) -> list[str]:
    return [s for r in requirements if (s := r.shortfall(score, lang)) is not None]
