"""The `lanewatch` command line: the commands, each group in its own module.

`cli_eval` (eval, score), `cli_serve` (serve, db, keys), `cli_alarms` (alarms), `cli_people` (users, orgs),
`cli_violations` (violations), `cli_uplink` (uplink); `zones check` is here. `python -m lanewatch.cli` and the `lanewatch` script
both run `app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lanewatch.cli_alarms import alarms_app
from lanewatch.cli_common import console
from lanewatch.cli_eval import _default_camera_id, build_cameras, eval_command, parse_source, score_command
from lanewatch.cli_people import orgs_app, users_app
from lanewatch.cli_serve import db_app, keys_app, serve
from lanewatch.cli_uplink import uplink_app
from lanewatch.cli_violations import violations_app
from lanewatch.words import t
from lanewatch.zones.zone_file import ZoneFileError, load_zone_file

__all__ = ["_default_camera_id", "app", "build_cameras", "parse_source"]

app = typer.Typer(
    help="lanewatch: fire-lane watch for CCTV cameras.", no_args_is_help=True, pretty_exceptions_enable=False
)
zones_app = typer.Typer(help="Work with zone files.", no_args_is_help=True)
app.add_typer(zones_app, name="zones")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(orgs_app, name="orgs")
app.add_typer(violations_app, name="violations")
app.add_typer(uplink_app, name="uplink")
app.command("eval")(eval_command)
app.command("score")(score_command)


@zones_app.command("check")
def zones_check(files: Annotated[list[Path], typer.Argument(help="Zone files to validate.")]) -> None:
    """Validate zone files and explain every problem."""
    failed = False
    for path in files:
        try:
            zf = load_zone_file(path)
            console.print(
                f"[green]{t('cli.zones.ok')}[/green] "
                + t("cli.zones.summary", path=str(path), camera=zf.camera, count=len(zf.zones))
            )
        except ZoneFileError as exc:
            failed = True
            console.print(f"[red]{t('cli.zones.invalid')}[/red] {exc.words()}")
    raise typer.Exit(1 if failed else 0)


app.command("serve")(serve)
app.add_typer(alarms_app, name="alarms")


if __name__ == "__main__":
    app()
