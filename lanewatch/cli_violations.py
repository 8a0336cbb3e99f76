"""`lanewatch violations export`: the violation report as a CSV file for a spreadsheet.

Headings and names in the deployment's language (or --lang), times in its time zone with the
offset, UTF-8 with a BOM so that Excel opens Chinese names ungarbled (events/violations_csv.py).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

violations_app = typer.Typer(help="Violation records (violations export).", no_args_is_help=True)
console = Console(stderr=True)

PAGE = 500


def _day_start(day: str | None, plus_days: int = 0) -> datetime | None:
    """The start of a calendar day (YYYY-MM-DD) in the deployment's time zone."""
    from lanewatch.words import time_zone

    if day is None:
        return None
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise typer.BadParameter(f"{day!r} is not a date like 2026-06-01") from None
    return datetime.combine(parsed + timedelta(days=plus_days), time(0), tzinfo=time_zone())


@violations_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="The CSV file to write.")],
    config: Annotated[Path | None, typer.Option("--config", "-c", help="lanewatch.yaml (see README).")] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Overrides the config / LANEWATCH_DATABASE_URL.")
    ] = None,
    camera: Annotated[str | None, typer.Option(help="Only this camera (id).")] = None,
    zone: Annotated[str | None, typer.Option(help="Only this zone (id).")] = None,
    since: Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD, local), inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="To this day (YYYY-MM-DD, local), inclusive.")] = None,
    lang: Annotated[Literal["zh-CN", "en"] | None, typer.Option(help="Language (default: config `language`).")] = None,
) -> None:
    """Write the violations (newest first) to a CSV file that Excel opens in Chinese."""
    from sqlmodel import Session

    from lanewatch.api.routers.violations import ViolationOut
    from lanewatch.config import load_settings
    from lanewatch.events.violations_csv import write_csv
    from lanewatch.store.db import open_engine
    from lanewatch.store.queries import list_violations
    from lanewatch.words import configure, t

    try:
        settings = load_settings(config)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    configure(settings.language, settings.time_zone)
    engine = open_engine(database_url or settings.resolved_database_url)
    rows: list[dict] = []
    after: str | None = None
    try:
        with Session(engine) as session:
            while True:
                page, after = list_violations(
                    session,
                    camera=camera,
                    zone=zone,
                    since=_day_start(since),
                    until=_day_start(until, plus_days=1),
                    after=after,
                    limit=PAGE,
                )
                rows.extend(ViolationOut.of(row).model_dump() for row in page)
                if after is None:
                    break
    finally:
        engine.dispose()
    write_csv(out, rows, lang)
    console.print(t("report.exported", lang, count=len(rows), path=str(out)), soft_wrap=True)
