"""What every `lanewatch` command shares: the stderr console, the error exit, --lang, --config/--database-url."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

import typer
from rich.console import Console

from lanewatch.words import set_default_language, t

if TYPE_CHECKING:
    from lanewatch.config import ServiceSettings

console = Console(stderr=True)

LangOption = Annotated[
    Literal["zh-CN", "en"] | None,
    typer.Option("--lang", help="Language of the report and the messages (default zh-CN)."),
]


def use_language(lang: str | None) -> None:
    """`--lang`: the report's and the messages' language for this command (the default stays zh-CN)."""
    if lang is not None:
        set_default_language(lang)


def fail(exc: Exception) -> NoReturn:
    """Print the error in red and exit 2 (a usage or input error; 1 is kept for "ran, but fell short")."""
    console.print(f"[red]{t('cli.error')}[/red] {exc}")
    raise typer.Exit(2) from None


ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="lanewatch.yaml (see README).")]
DatabaseOption = Annotated[
    str | None, typer.Option("--database-url", help="Overrides the config / LANEWATCH_DATABASE_URL.")
]


def command_settings(config: Path | None, database_url: str | None = None) -> ServiceSettings:
    """The service settings a command works on (``--database-url`` wins); a bad file exits 2 naming it."""
    from lanewatch.config import load_settings

    try:
        settings = load_settings(config)
    except ValueError as exc:
        fail(exc)
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    set_default_language(settings.language)  # the command's messages in the config's language
    return settings
