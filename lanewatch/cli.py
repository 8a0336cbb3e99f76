"""The `lanewatch` command line."""

from __future__ import annotations

import logging
import re
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from lanewatch.cli_people import orgs_app, users_app
from lanewatch.cli_violations import violations_app
from lanewatch.config import SourceConfig
from lanewatch.evaluate.truth import TruthFileError
from lanewatch.video.source import SourceError, redact_url
from lanewatch.words import set_default_language, t
from lanewatch.zones.zone_file import ZoneFile, ZoneFileError, load_zone_file

if TYPE_CHECKING:
    from lanewatch.evaluate.acceptance import Scoring
    from lanewatch.evaluate.session import Plan
    from lanewatch.pipeline import CameraSpec

app = typer.Typer(
    help="lanewatch: fire-lane watch for CCTV cameras.", no_args_is_help=True, pretty_exceptions_enable=False
)
zones_app = typer.Typer(help="Work with zone files.", no_args_is_help=True)
app.add_typer(zones_app, name="zones")
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(orgs_app, name="orgs")
app.add_typer(violations_app, name="violations")
console = Console(stderr=True)


def _default_camera_id(url: str) -> str:
    """A readable id from a file, folder or URL: its last path part without extension."""
    tail = url.rstrip("/").split("?")[0].rsplit("/", 1)[-1]
    stem = tail.rsplit(".", 1)[0] if "." in tail else tail
    return re.sub(r"[^A-Za-z0-9_.\-]", "-", stem) or "camera"


def parse_source(spec: str) -> tuple[str | None, str]:
    """``NAME=URL`` or a bare URL/path (the ``=`` inside a URL's query is not a name)."""
    name, sep, rest = spec.partition("=")
    if sep and re.fullmatch(r"[A-Za-z0-9_.\-]+", name) and "/" not in name and not name.startswith("rtsp"):
        return name, rest
    return None, spec


def build_cameras(sources: list[str], zone_files: list[ZoneFile], **source_options) -> list:
    """Pair each source with its zone file by camera id (one source + one file pair up directly)."""
    from lanewatch.pipeline import CameraSpec

    parsed = [parse_source(s) for s in sources]
    if len(parsed) == 1 and len(zone_files) == 1 and parsed[0][0] is None:
        parsed = [(zone_files[0].camera, parsed[0][1])]
    by_camera = {zf.camera: zf for zf in zone_files}
    specs = []
    for name, url in parsed:
        camera = name or _default_camera_id(url)
        if camera not in by_camera:
            known = ", ".join(sorted(by_camera)) or t("cli.none")
            raise typer.BadParameter(t("cli.no_zone_file", camera=camera, known=known), param_hint="SOURCE")
        specs.append(CameraSpec(SourceConfig(camera=camera, url=url, **source_options), by_camera[camera].zones))
    return specs


TruthOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--truth",
        "-t",
        help="Truth file(s), CSV or JSON (camera,zone,start_s,end_s,x,y): score the violations, write score.json.",
    ),
]
RequireOption = Annotated[
    list[str] | None,
    typer.Option(help="Acceptance, e.g. precision>=0.95,recall>=0.95: exit 1 naming each figure that falls short."),
]
LangOption = Annotated[
    Literal["zh-CN", "en"] | None,
    typer.Option("--lang", help="Language of the report and the messages (default zh-CN)."),
]


def _use_language(lang: str | None) -> None:
    """`--lang`: the report's and the messages' language for this command (the default stays zh-CN)."""
    if lang is not None:
        set_default_language(lang)


@app.command("eval")
def eval_command(
    sources: Annotated[
        list[str], typer.Argument(help="Video files, rtsp:// URLs or image folders; NAME=URL sets the camera id.")
    ],
    zones: Annotated[
        list[Path], typer.Option("--zones", "-z", help="Zone file(s) (JSON); matched to sources by camera id.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    weights: Annotated[str | None, typer.Option(help="Detector weights (see weights/README.md).")] = None,
    imgsz: Annotated[int, typer.Option(help="Inference size in pixels (960–1280 for overview CCTV).")] = 960,
    sample_fps: Annotated[
        float,
        typer.Option(
            help="Analysed frames per second of stream time (default 1 for recorded "
            "footage; live cameras default to one look per 2 s)."
        ),
    ] = 1.0,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds of stream time.")] = None,
    confidence: Annotated[float, typer.Option(help="Minimum detection confidence.")] = 0.25,
    classes: Annotated[
        str | None, typer.Option(help="Comma-separated class names (default: the zones' classes).")
    ] = None,
    decode: Annotated[str, typer.Option(help="auto | all | keyframes")] = "auto",
    gate: Annotated[bool, typer.Option(help="Skip inference on looks whose lanes did not change.")] = True,
    crop: Annotated[bool, typer.Option(help="Run the detector on the lanes' bounding rectangle only.")] = True,
    refresh: Annotated[
        float, typer.Option(help="With --gate: re-check unchanged lanes at least every S seconds.")
    ] = 30.0,
    truth: TruthOption = None,
    require: RequireOption = None,
    sweep: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=V1,V2 (imgsz, confidence, sample_fps, refresh, gate, crop), repeatable: run and score every "
            "combination (needs --truth) into OUT/sweep/, write sweep.csv and sweep.png, name the best."
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    lang: LangOption = None,
) -> None:
    """Run the pipeline on recorded footage or live URLs and write violations.json, occupancy.csv and snapshots.

    With --truth, also score the violations against truth files (score.json, report.html); with --require, exit 1
    when a figure falls short; with --sweep, once per combination. Everything is checked before a detector loads.
    """
    from lanewatch.evaluate.acceptance import prepare_scoring
    from lanewatch.evaluate.session import Settings, plan_runs

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    _use_language(lang)
    settings = Settings(weights, imgsz, sample_fps, duration, confidence, classes, decode, gate, crop, refresh)
    try:
        zone_files = [load_zone_file(z) for z in zones]
        if sweep and not truth:
            raise ValueError(t("cli.sweep_needs_truth"))

        def make_specs(s: Settings) -> list[CameraSpec]:
            return build_cameras(sources, zone_files, sample_fps=s.sample_fps, duration_s=s.duration, decode=s.decode)

        plans = plan_runs(out, settings, sweep or [], make_specs)
        scoring = prepare_scoring(truth or [], require or [], zone_files, plans[0].cameras)
    except (ZoneFileError, TruthFileError, ValueError, FileNotFoundError) as exc:
        _fail(exc)
    _run_plans(out, plans, scoring)


def _run_plans(out: Path, plans: list[Plan], scoring: Scoring | None) -> None:
    """Run (and score) each plan; a sweep ends with its table; --require judges the (best) run."""
    from lanewatch.evaluate.session import finish_sweep, run_plan, score_run

    scores: list = []
    for plan in plans:
        try:
            run_plan(plan, console)
            if scoring is not None:
                scores.append(score_run(plan.out, scoring, console))
        except (SourceError, ValueError, FileNotFoundError) as exc:
            _fail(exc)
    if scoring is None:
        return
    best = finish_sweep(out, plans, [s for s, _ in scores]) if len(plans) > 1 or plans[0].combo else 0
    _judge(scores[best][1], scoring)


@app.command("score")
def score_command(
    out: Annotated[Path, typer.Argument(help="The --out folder of an earlier `lanewatch eval`.")],
    zones: Annotated[list[Path], typer.Option("--zones", "-z", help="The zone file(s) that eval ran with.")],
    truth: TruthOption = None,
    require: RequireOption = None,
    lang: LangOption = None,
) -> None:
    """Score an earlier eval's violations against truth files again (no detector run); write score.json."""
    from lanewatch.evaluate.acceptance import prepare_scoring
    from lanewatch.evaluate.score import read_observed_until
    from lanewatch.evaluate.session import score_run

    _use_language(lang)
    try:
        if not (out / "violations.json").is_file():
            raise ValueError(t("cli.no_violations_json", out=str(out)))
        if not truth:
            raise ValueError(t("cli.score_needs_truth"))
        zone_files = [load_zone_file(z) for z in zones]
        cameras = sorted(read_observed_until(out)) or [zf.camera for zf in zone_files]
        scoring = prepare_scoring(truth, require or [], zone_files, cameras)
        assert scoring is not None
        _, short = score_run(out, scoring, console)
    except (ZoneFileError, TruthFileError, ValueError) as exc:
        _fail(exc)
    _judge(short, scoring)


def _judge(short: list[str], scoring: Scoring) -> None:
    """Exit 1 naming every --require figure that fell short."""
    for line in short:
        console.print(f"[red]{t('cli.requirement_not_met')}[/red] {line}")
    if short:
        raise typer.Exit(1)
    if scoring.requirements:
        console.print(t("cli.requirements_met", list=", ".join(str(r) for r in scoring.requirements)))


def _fail(exc: Exception) -> NoReturn:
    console.print(f"[red]{t('cli.error')}[/red] {exc}")
    raise typer.Exit(2) from None


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
            console.print(f"[red]{t('cli.zones.invalid')}[/red] {exc}")
    raise typer.Exit(1 if failed else 0)


ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="lanewatch.yaml (see README).")]
DatabaseOption = Annotated[
    str | None, typer.Option("--database-url", help="Overrides the config / LANEWATCH_DATABASE_URL.")
]


def _settings(config: Path | None, database_url: str | None = None):
    from lanewatch.config import load_settings

    try:
        settings = load_settings(config)
    except ValueError as exc:
        _fail(exc)
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    set_default_language(settings.language)  # the command's messages in the config's language
    return settings


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """Create or migrate the database schema to the latest version (Alembic)."""
    from lanewatch.store.migrate import upgrade

    settings = _settings(config, database_url)
    upgrade(settings.resolved_database_url)
    console.print(t("cli.db_upgraded", url=redact_url(settings.resolved_database_url)))


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="viewer (read), operator (ack/resolve) or admin (cameras, zones, keys).")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")] = "cli",
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from lanewatch.api.auth import create_api_key
    from lanewatch.store.db import open_engine

    settings = _settings(config, database_url)
    try:
        key = create_api_key(open_engine(settings.resolved_database_url), role=role, name=name)
    except ValueError as exc:
        _fail(exc)
    print(key)


@app.command("serve")
def serve(
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    host: Annotated[str | None, typer.Option(help="Listen address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (default 8080).")] = None,
    demo_source: Annotated[
        str | None, typer.Option(help="With no cameras yet, replay this file as a demo camera.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the HTTP API and the pipeline for every enabled camera."""
    import uvicorn

    from lanewatch.api.app import create_app
    from lanewatch.service import Service, ensure_demo_camera, ensure_first_admin

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    settings = _settings(config, database_url)
    updates = {k: v for k, v in {"host": host, "port": port, "demo_source": demo_source}.items() if v is not None}
    settings = settings.model_copy(update=updates)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        service = Service(settings)
    except (ValueError, FileNotFoundError) as exc:
        _fail(exc)
    demo = ensure_demo_camera(service.engine, settings.demo_source)
    if demo:
        console.print(t("cli.demo_camera", source=str(demo)))
    try:
        ensure_first_admin(service.engine, settings.data_dir)
    except ValueError as exc:
        _fail(exc)
    service.start()
    console.print(t("cli.serving", url=f"http://{settings.host}:{settings.port}"))

    class Server(uvicorn.Server):
        """Ends live-event streams at the first stop signal, so shutdown never waits on a listening client."""

        def handle_exit(self, sig, frame) -> None:  # runs as a raw signal handler: hand off to a thread
            threading.Thread(target=service.bus.close, daemon=True).start()
            super().handle_exit(sig, frame)

    # uvicorn re-raises SIGTERM/SIGINT once it has shut down, so the pipeline is stopped in the app's
    # own shutdown step rather than after server.run() returns.
    app = create_app(service, max_body_bytes=settings.max_body_bytes, on_shutdown=service.stop)
    app.state.sign_in = settings.sign_in
    server = Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level="info" if verbose else "warning",
            timeout_graceful_shutdown=5,
        )
    )
    try:
        server.run()
    finally:
        service.stop()  # idempotent; covers a failed start


alarms_app = typer.Typer(help="Fire-sensor alarms.", no_args_is_help=True)
app.add_typer(alarms_app, name="alarms")


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
        _fail(ValueError("give at least one of --http, --mqtt, --gb"))
    if http and not api_key:
        _fail(ValueError("--http needs --api-key (or LANEWATCH_API_KEY)"))
    if duration is None and count is None:
        duration = 60.0
    senders: dict = {}
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
        _fail(exc)
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


if __name__ == "__main__":
    app()
