"""`lanewatch serve` (the HTTP API and the pipeline), `lanewatch db upgrade` and `lanewatch keys create`."""

from __future__ import annotations

import logging
import threading
from types import FrameType
from typing import Annotated

import typer

from lanewatch.cli_common import ConfigOption, DatabaseOption, command_settings, console, fail
from lanewatch.video.source import redact_url
from lanewatch.words import t

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """Create or migrate the database schema to the latest version (Alembic)."""
    from lanewatch.store.migrate import upgrade

    settings = command_settings(config, database_url)
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

    settings = command_settings(config, database_url)
    try:
        key = create_api_key(open_engine(settings.resolved_database_url), role=role, name=name)
    except ValueError as exc:
        fail(exc)
    print(key)


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
    settings = command_settings(config, database_url)
    updates = {k: v for k, v in {"host": host, "port": port, "demo_source": demo_source}.items() if v is not None}
    settings = settings.model_copy(update=updates)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        service = Service(settings)
    except (ValueError, FileNotFoundError) as exc:
        fail(exc)
    demo = None if settings.centre.enabled else ensure_demo_camera(service.engine, settings.demo_source)
    if demo:
        console.print(t("cli.demo_camera", source=str(demo)))
    try:
        ensure_first_admin(service.engine, settings.data_dir)
    except ValueError as exc:
        fail(exc)
    service.start()
    console.print(t("cli.serving", url=f"http://{settings.host}:{settings.port}"))

    class Server(uvicorn.Server):
        """Ends live-event streams at the first stop signal, so shutdown never waits on a listening client."""

        def handle_exit(
            self, sig: int, frame: FrameType | None
        ) -> None:  # runs as a raw signal handler: hand off to a thread
            threading.Thread(target=service.bus.close, daemon=True).start()
            super().handle_exit(sig, frame)

    # uvicorn re-raises SIGTERM/SIGINT once it has shut down, so the pipeline is stopped in the app's
    # own shutdown step rather than after server.run() returns.
    app = create_app(
        service,
        max_body_bytes=settings.max_body_bytes,
        concurrent_requests=settings.concurrent_requests,
        queued_reads=settings.queued_reads,
        read_wait_s=settings.read_wait_s,
        on_shutdown=service.stop,
    )
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
