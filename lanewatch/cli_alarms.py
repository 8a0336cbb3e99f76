"""`lanewatch alarms simulate`: realistic sensor traffic over HTTP, MQTT and GB/T 26875.3 for trials and load."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from lanewatch.cli_common import console, fail
from lanewatch.words import t

if TYPE_CHECKING:
    from lanewatch.alarms.simulate_senders import GbSender, HttpSender, MqttSender

alarms_app = typer.Typer(help="Fire-sensor alarms.", no_args_is_help=True)


@alarms_app.command("simulate")
def alarms_simulate(
    http: Annotated[str | None, typer.Option(help="lanewatch base URL, e.g. http://127.0.0.1:8080.")] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="LANEWATCH_API_KEY", help="Key for --http (device, operator or admin).")
    ] = None,
    http_batch: Annotated[int, typer.Option(help="Messages per HTTP request (1 = one object per request).")] = 20,
    mqtt: Annotated[str | None, typer.Option(help="MQTT broker HOST:PORT.")] = None,
    topic_root: Annotated[
        str, typer.Option(help="MQTT topic root (messages go to ROOT/<device_id>).")
    ] = "lanewatch/alarms",
    gb: Annotated[str | None, typer.Option(help="GB/T 26875.3 centre HOST:PORT.")] = None,
    gb_centre: Annotated[
        str, typer.Option(help="The centre's address (12 hex digits) written as destination.")
    ] = "000000000000",
    devices: Annotated[int, typer.Option(help="Devices on the HTTP/MQTT paths (GB components come extra).")] = 50,
    rate: Annotated[float, typer.Option(help="Messages per second over all paths.")] = 20.0,
    duration: Annotated[float | None, typer.Option(help="Run this many seconds.")] = None,
    count: Annotated[int | None, typer.Option(help="Stop after this many messages.")] = None,
    fire_every: Annotated[float | None, typer.Option(help="A fire alarm every S seconds (0: none).")] = 60.0,
    clear_after: Annotated[float, typer.Option(help="A device reports back to normal after S seconds.")] = 20.0,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same fleet and traffic.")] = 1,
) -> None:
    """Send realistic sensor traffic over HTTP, MQTT and GB/T 26875.3, then print what was confirmed."""
    from lanewatch.alarms.simulate import SimulationOptions, run_simulation
    from lanewatch.alarms.simulate_senders import GbSender, HttpSender, MqttSender, SenderError, split_host_port

    paths = tuple(name for name, given in (("http", http), ("mqtt", mqtt), ("gb", gb)) if given)
    if not paths:
        fail(ValueError("give at least one of --http, --mqtt, --gb"))
    if http and not api_key:
        fail(ValueError("--http needs --api-key (or LANEWATCH_API_KEY)"))
    if duration is None and count is None:
        duration = 60.0
    senders: dict[str, HttpSender | MqttSender | GbSender] = {}
    try:
        options = SimulationOptions(
            devices=devices,
            rate=rate,
            duration_s=duration,
            count=count,
            fire_every_s=fire_every or None,
            clear_after_s=clear_after,
            seed=seed,
            paths=paths,
        )
        if http:
            assert api_key is not None  # refused above when missing
            senders["http"] = HttpSender(http, api_key, batch=http_batch)
        if mqtt:
            host, port = split_host_port(mqtt, 1883)
            senders["mqtt"] = MqttSender(host, port, topic_root=topic_root)
        if gb:
            host, port = split_host_port(gb, 9026)
            senders["gb"] = GbSender(host, port, centre=gb_centre)
    except (ValueError, SenderError) as exc:
        for sender in senders.values():
            sender.close()
        fail(exc)
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    console.print(t("cli.simulating", devices=devices, rate=f"{rate:g}", paths=", ".join(paths)))
    try:
        summary = run_simulation(options, senders, stop=stop)
    finally:
        signal.signal(signal.SIGINT, previous)
    table = Table(title=t("cli.simulate.title", seconds=f"{summary.seconds:.1f}", fires=summary.fires))
    for column in ("path", "sent", "confirmed", "errors", "last_error"):
        table.add_column(
            t(f"cli.simulate.col.{column}"), justify="left" if column in ("path", "last_error") else "right"
        )
    for path, stats in summary.paths.items():
        table.add_row(path, str(stats.sent), str(stats.confirmed), str(stats.errors), stats.last_error or "")
    Console(width=160).print(table)
    raise typer.Exit(1 if summary.errors else 0)
