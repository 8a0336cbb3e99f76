"""`lanewatch eval` and `lanewatch score`: run the pipeline on footage, score it against truth files.

Sources pair with zone files by camera id (`build_cameras`); everything is checked before a detector loads.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lanewatch.cli_common import LangOption, console, fail, use_language
from lanewatch.config import SourceConfig
from lanewatch.evaluate.truth import TruthFileError
from lanewatch.video.source import SourceError
from lanewatch.words import t
from lanewatch.zones.zone_file import ZoneFile, ZoneFileError, load_zone_file

if TYPE_CHECKING:
    from lanewatch.evaluate.acceptance import Scoring
    from lanewatch.evaluate.session import Plan
    from lanewatch.pipeline import CameraSpec


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


def build_cameras(sources: list[str], zone_files: list[ZoneFile], **source_options: Any) -> list[CameraSpec]:
    """Pair each source with its zone file by camera id (one source + one file pair up directly)."""
    from lanewatch.pipeline import CameraSpec

    parsed = [parse_source(s) for s in sources]
    if len(parsed) == 1 and len(zone_files) == 1 and parsed[0][0] is None:
        parsed = [(zone_files[0].camera, parsed[0][1])]
    by_camera = {zf.camera: zf for zf in zone_files}
    specs: list[CameraSpec] = []
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
LateAfterOption = Annotated[
    float,
    typer.Option(
        "--late-after-s",
        help="With --truth: the report lists, with its evidence, every alert more than S seconds after the dwell.",
    ),
]


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
    late_after_s: LateAfterOption = 5.0,
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
    use_language(lang)
    settings = Settings(weights, imgsz, sample_fps, duration, confidence, classes, decode, gate, crop, refresh)
    try:
        zone_files = [load_zone_file(z) for z in zones]
        if sweep and not truth:
            raise ValueError(t("cli.sweep_needs_truth"))

        def make_specs(s: Settings) -> list[CameraSpec]:
            return build_cameras(sources, zone_files, sample_fps=s.sample_fps, duration_s=s.duration, decode=s.decode)

        plans = plan_runs(out, settings, sweep or [], make_specs)
        scoring = prepare_scoring(truth or [], require or [], zone_files, plans[0].cameras, late_after_s)
    except (ZoneFileError, TruthFileError, ValueError, FileNotFoundError) as exc:
        fail(exc)
    _run_plans(out, plans, scoring)


def _run_plans(out: Path, plans: list[Plan], scoring: Scoring | None) -> None:
    """Run (and score) each plan; a sweep ends with its table; --require judges the (best) run."""
    from lanewatch.evaluate.session import finish_sweep, run_plan, score_run

    scores: list[tuple[dict[str, Any], list[str]]] = []
    for plan in plans:
        try:
            run_plan(plan, console)
            if scoring is not None:
                scores.append(score_run(plan.out, scoring, console))
        except (SourceError, ValueError, FileNotFoundError) as exc:
            fail(exc)
    if scoring is None:
        return
    best = finish_sweep(out, plans, [s for s, _ in scores]) if len(plans) > 1 or plans[0].combo else 0
    _judge(scores[best][1], scoring)


def score_command(
    out: Annotated[Path, typer.Argument(help="The --out folder of an earlier `lanewatch eval`.")],
    zones: Annotated[list[Path], typer.Option("--zones", "-z", help="The zone file(s) that eval ran with.")],
    truth: TruthOption = None,
    require: RequireOption = None,
    late_after_s: LateAfterOption = 5.0,
    lang: LangOption = None,
) -> None:
    """Score an earlier eval's violations against truth files again (no detector run); write score.json."""
    from lanewatch.evaluate.acceptance import prepare_scoring
    from lanewatch.evaluate.score import read_observed_until
    from lanewatch.evaluate.session import score_run

    use_language(lang)
    try:
        if not (out / "violations.json").is_file():
            raise ValueError(t("cli.no_violations_json", out=str(out)))
        if not truth:
            raise ValueError(t("cli.score_needs_truth"))
        zone_files = [load_zone_file(z) for z in zones]
        cameras = sorted(read_observed_until(out)) or [zf.camera for zf in zone_files]
        scoring = prepare_scoring(truth, require or [], zone_files, cameras, late_after_s)
        assert scoring is not None
        _, short = score_run(out, scoring, console)
    except (ZoneFileError, TruthFileError, ValueError) as exc:
        fail(exc)
    _judge(short, scoring)


def _judge(short: list[str], scoring: Scoring) -> None:
    """Exit 1 naming every --require figure that fell short."""
    for line in short:
        console.print(f"[red]{t('cli.requirement_not_met')}[/red] {line}")
    if short:
        raise typer.Exit(1)
    if scoring.requirements:
        console.print(t("cli.requirements_met", list=", ".join(str(r) for r in scoring.requirements)))
