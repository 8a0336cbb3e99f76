"""`lanewatch uplink …`: the centre's maintenance of what its sites sent (dead letters, pictures).

``replay-dead-letters`` takes the messages kept in `uplink_dead_letters` (a
site not yet added, a message that could not be applied) through the same
idempotent apply path as live ones (lanewatch/uplink/dead_letters.py);
``expire-evidence`` deletes pictures received longer ago than the retention
(``centre.evidence_retention_days`` or ``--days``), files and register rows.
Run either while the centre serves: each message or picture is its own
transaction. Counts are printed in the deployment's language.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console

from lanewatch.cli_common import ConfigOption, DatabaseOption, command_settings, console, fail
from lanewatch.words import t

uplink_app = typer.Typer(help="Site ↔ centre uplink (replay-dead-letters / expire-evidence).", no_args_is_help=True)
out = Console()


@uplink_app.command("replay-dead-letters")
def replay_dead_letters(
    site: Annotated[str | None, typer.Option("--site", help="Only this site's dead letters.")] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Apply the kept dead letters again, e.g. once the site's organisation is added."""
    from lanewatch.store.db import open_engine
    from lanewatch.uplink.dead_letters import replay

    settings = command_settings(config, database_url)
    engine = open_engine(settings.resolved_database_url)
    try:
        done = replay(engine, settings.evidence_dir, site)
    finally:
        engine.dispose()
    out.print(
        t("uplink.replayed", applied=done.applied, duplicates=done.duplicates, still_dead=done.still_dead),
        highlight=False,
    )
    if done.still_dead:
        console.print(t("uplink.replay_still_dead", count=done.still_dead), highlight=False)


@uplink_app.command("expire-evidence")
def expire_evidence(
    days: Annotated[int | None, typer.Option("--days", min=1, help="Overrides centre.evidence_retention_days.")] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Delete the sites' pictures received more than the retention ago (files and register rows)."""
    from sqlmodel import Session

    from lanewatch.store.db import open_engine
    from lanewatch.store.tables import utcnow
    from lanewatch.uplink.evidence import expire

    settings = command_settings(config, database_url)
    keep = days if days is not None else settings.centre.evidence_retention_days
    if keep is None:
        fail(ValueError(t("uplink.no_retention")))
    engine = open_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            count = expire(session, settings.evidence_dir, utcnow() - timedelta(days=keep))
            session.commit()
    finally:
        engine.dispose()
    out.print(t("uplink.expired", count=count, days=keep), highlight=False)
