"""How many 1080p RTSP cameras one machine holds at one look per 2 s, with a planted stop for alert latency.

For each N in ``--cameras`` it serves N 1080p H.264 streams (25 fps, GOP 2 s;
with ``--stream sub`` the 640x360 sub-streams such cameras send beside their
main stream) from one local GStreamer RTSP server, runs lanewatch's pipeline (detector in
its worker process, change gate, lane crop, rectangular inference) for
``--seconds`` and measures looks/s, inferences/s, the share of looks the gate
skipped, cameras held at the look interval, alert latency on a planted stop,
CPU cores and peak RSS per camera. The naive per-camera predict loop
(naive_baseline.py) runs on the same streams for ``--baseline-cameras``,
raising the planted zone's alert with its own dwell timer, and both are judged
by one rule: every camera held, alert p95 <= dwell + 3 s, no arrival missed.

Footage (``--footage``):
- busy: lot-busy.mp4 upscaled to 1920x1080, played backwards (the black SUV at
  the front left reverses *into* its stall), then its parked seconds
  ping-ponged, then forwards (it leaves): a stop of ~12 s whose start is found
  by running the detector on every 8th frame of the clip (cached with it).
- quiet: PKLot UFPR05 sequence1's five real stills, each held 12 s with
  temporal sensor noise; the planted stop is a labelled space that is empty in
  the first still and occupied in the rest, so its arrival is known exactly.

Zones: each camera has its own lane beside the planted zone (benchmarks/lanes.py, ``--lane-seed``), so
its lane crop has its own shape, as on a site where every camera is aimed at its own stretch of lane;
``--same-lane`` gives every camera the footage's drawn lane instead (one crop shape for all, a site
that does not exist, and the easiest case for a batched detector). The naive loop watches the planted
zone only, as before. Every distinct crop shape is run through the detector once before the clock.

A "planted" zone has dwell ``--dwell``; alert latency is the wall time of its
violation minus the wall time the stream showed the arrival. Each camera gets
the clip rotated by a different multiple of the GOP (stream copy, no
re-encode), so arrivals are spread over the run.

    .venv/bin/python benchmarks/cameras.py --cameras 16 32 40 --seconds 65 --baseline-cameras 8 12 16
    .venv/bin/python benchmarks/cameras.py --footage quiet --cameras 32 40 --seconds 65 --baseline-cameras 8 12 16
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lanes import camera_lanes, crop_for, describe_crops, warm_crops  # noqa: E402
from throughput import FOOTAGE, WEIGHTS, ProcessSampler, describe_machine, rss_mb, run_baseline  # noqa: E402

from lanewatch.config import DetectorConfig, LookConfig, SourceConfig  # noqa: E402
from lanewatch.detect.factory import build_detector  # noqa: E402
from lanewatch.pipeline import CameraSpec, Pipeline  # noqa: E402
from lanewatch.zones.zone import Zone  # noqa: E402
from lanewatch.zones.zone_file import load_zone_file  # noqa: E402

FPS, GOP_S, PING_PONGS = 25, 2.0, 2
KEY_PHASES = 4  # camera i's stream starts (i mod 4) * GOP_S / 4 s late, so key frames are not in step
STREAMS = 20  # distinct streams: camera i sees the arrival 10 + 2 * (i mod 20) s in; cameras i and i + 20 are alike
assert STREAMS % KEY_PHASES == 0, "a camera's key-frame phase must follow from its stream"
STALL = [[0.08, 0.84], [0.20, 0.84], [0.20, 0.935], [0.08, 0.935]]  # the SUV's stall, front left
HELD_SHARE = 0.9  # of the expected looks, with at most 5 % dropped


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@dataclass(frozen=True)
class Stream:
    """What each camera sends the system under test: its main stream, or its sub-stream (``--stream``)."""

    name: str
    width: int
    height: int
    bitrate: str
    maxrate: str
    bufsize: str

    @property
    def tag(self) -> str:
        return f"{self.height}p"

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


# A CCTV camera's main stream, and the sub-stream it sends beside it (the usual 640x360 at about 1 Mb/s for
# a 16:9 camera); the busy footage's own recording is 640x360, so its sub-stream has the original's pixels.
STREAMS_BY_NAME = {
    "main": Stream("main", 1920, 1080, "4M", "5M", "8M"),
    "sub": Stream("sub", 640, 360, "1M", "1.25M", "2M"),
}


def _encoding(stream: Stream) -> list[str]:
    """libx264 as a camera encodes: 25 fps, a key frame every GOP_S s exactly, no B-frames, capped bitrate."""
    gop = str(round(GOP_S * FPS))
    return [
        "-an",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-bf",
        "0",
        "-g",
        gop,
        "-keyint_min",
        gop,
        "-sc_threshold",
        "0",
        "-b:v",
        stream.bitrate,
        "-maxrate",
        stream.maxrate,
        "-bufsize",
        stream.bufsize,
        "-movflags",
        "+faststart",
    ]


def prepare_base(cache: Path, stream: Stream) -> Path:
    """reverse(clip) + (first 2 s, reversed) x PING_PONGS + clip at the stream's size, 25 fps GOP 2 s, no B-frames."""
    out = cache / f"planted-{stream.tag}-gop{GOP_S:g}s.mp4"
    if out.exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    parts = ["[r]"] + [f"[h{i}][hr{i}]" for i in range(PING_PONGS)] + ["[f]"]
    graph = (
        f"[0:v]split={2 + PING_PONGS}[a][f]"
        + "".join(f"[p{i}]" for i in range(PING_PONGS))
        + ";[a]reverse[r];"
        + "".join(
            f"[p{i}]trim=0:2,setpts=PTS-STARTPTS,split[h{i}][x{i}];[x{i}]reverse[hr{i}];" for i in range(PING_PONGS)
        )
        + "".join(parts)
        + f"concat=n={2 + 2 * PING_PONGS}:v=1:a=0,"
        + f"scale={stream.width}:{stream.height}:flags=bicubic,fps={FPS}[v]"
    )
    partial = out.with_suffix(".part.mp4")
    _ffmpeg("-i", str(FOOTAGE), "-filter_complex", graph, "-map", "[v]", *_encoding(stream), str(partial))
    partial.rename(out)
    return out


def clip_length_s(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return float(stream.frames / stream.average_rate)


def find_arrival(base: Path, weights: Path, imgsz: int, size: tuple[int, int]) -> float:
    """Stream time at which a vehicle's bottom centre enters the stall and stays (the ground truth; cached)."""
    cached = base.with_suffix(".arrival.json")
    if cached.exists():
        return json.loads(cached.read_text())["arrival_s"]
    import av

    from lanewatch.zones.polygon_zone import PolygonZone

    detector = build_detector(DetectorConfig(weights=str(weights), imgsz=imgsz, processes=0))
    zone = PolygonZone(Zone(id="planted", name="stall", polygon=STALL, dwell_seconds=1), *size)
    inside: list[tuple[float, bool]] = []
    with av.open(str(base)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % 8 == 0:
                found = detector.detect([frame.to_ndarray(format="bgr24")])[0]
                inside.append((float(frame.time), bool(zone.contains(found).any())))
    # the longest run of consecutive "inside" samples is the stop; its first sample the arrival
    best, run_start = (0, 0.0), None
    for t, hit in [*inside, (float("inf"), False)]:
        if hit and run_start is None:
            run_start = t
        elif not hit and run_start is not None:
            length = t - run_start
            best = max(best, (length, run_start))
            run_start = None
    arrival = best[1]
    cached.write_text(json.dumps({"arrival_s": arrival, "stay_s": best[0]}))
    return arrival


def rotated(base: Path, phase_s: float, cache: Path) -> Path:
    """The clip starting ``phase_s`` in (a multiple of the GOP), wrapped around; stream copy."""
    out = cache / f"{base.stem}-from{phase_s:g}s.mp4"
    if out.exists() or phase_s == 0:
        return out if phase_s else base
    listing = cache / f"{out.stem}.txt"
    listing.write_text(f"file '{base}'\ninpoint {phase_s}\nfile '{base}'\noutpoint {phase_s}\n")
    _ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", "-movflags", "+faststart", str(out))
    return out


STILLS = FOOTAGE.parent.parent / "pklot-ufpr05" / "sequence1" / "frames"
STILL_S = 12.0  # each PKLot still is held this long in the quiet clip
QUIET_SPACE = "space-6"  # empty in the first still, occupied in the other four (PKLot's annotations)


@dataclass
class Scenario:
    """What every camera's stream shows: the clip, its planted stop and the scene's drawn lane."""

    name: str
    base: Path
    arrival_s: float
    """Stream time (in ``base``) at which the planted vehicle arrives; once per loop."""
    length_s: float
    lane: list[Zone]
    """The lane drawn for the footage: every camera's with ``--same-lane``, else the rules of each camera's own."""
    planted: list[list[float]]
    anchor: str
    describe: str


def busy_scenario(args) -> Scenario:
    base = prepare_base(args.cache, args.stream)
    lane = load_zone_file(REPO / "zones" / "lot-busy.json").zones
    return Scenario(
        "busy",
        base,
        find_arrival(base, args.weights, args.imgsz, args.stream.size),
        clip_length_s(base),
        lane,
        STALL,
        "bottom_center",
        "lot-busy.mp4 (a busy lot: something moves in the watched row at almost every look)",
    )


def prepare_quiet(cache: Path, stream: Stream) -> Path:
    """PKLot UFPR05 sequence1's five stills, each held STILL_S s, with temporal sensor noise; encoded as the busy clip."""
    out = cache / f"quiet-pklot-{stream.tag}-gop{GOP_S:g}s.mp4"
    if out.exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    stills = sorted(STILLS.iterdir())
    inputs = [
        arg
        for still in stills
        for arg in ("-loop", "1", "-framerate", str(FPS), "-t", f"{STILL_S:g}", "-i", str(still))
    ]
    graph = (
        "".join(
            f"[{i}:v]scale={stream.width}:{stream.height}:flags=bicubic,setsar=1,format=yuv420p[s{i}];"
            for i in range(len(stills))
        )
        + "".join(f"[s{i}]" for i in range(len(stills)))
        + f"concat=n={len(stills)}:v=1:a=0,"
        + f"noise=alls=4:allf=t,fps={FPS}[v]"
    )
    partial = out.with_suffix(".part.mp4")
    _ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", *_encoding(stream), str(partial))
    partial.rename(out)
    return out


def quiet_scenario(args) -> Scenario:
    base = prepare_quiet(args.cache, args.stream)
    spaces = load_zone_file(REPO / "zones" / "pklot-ufpr05.json").zones
    planted = next(z for z in spaces if z.id == QUIET_SPACE)
    lane = [z for z in spaces if z.id != QUIET_SPACE]
    return Scenario(
        "quiet",
        base,
        STILL_S,
        clip_length_s(base),
        lane,
        planted.polygon,
        planted.anchor,
        f"PKLot UFPR05 sequence1 stills (real CCTV, 06:25-07:15), each held {STILL_S:g} s with sensor "
        f"noise: a quiet scene; cars arrive between stills ({QUIET_SPACE} at {STILL_S:g} s, stays 48 s)",
    )


def planted_latencies(
    args, scenario: Scenario, i: int, t0: float, first: float | None, stopped: float, alerts: list[float]
) -> tuple[list[float], int]:
    """(alert latencies, missed) for camera ``i``: arrivals it watched from before, with time left for the alert."""
    latencies, missed = [], 0
    offset = (scenario.arrival_s - args.phases[i]) % scenario.length_s + args.delays[i]
    for k in range(4):
        arrival = t0 + offset + k * scenario.length_s
        if first is None or arrival < first + 2 or arrival < t0 + args.settle or arrival + args.dwell + 10 > stopped:
            continue
        after = [a - arrival for a in alerts if a >= arrival]
        if after and after[0] < args.dwell + 30:
            latencies.append(after[0])
        else:
            missed += 1
    return latencies, missed


@dataclass
class Ours:
    n: int
    looks: list[int]
    expected: list[float]
    dropped: list[int]
    inferences: int
    skipped: int
    window_s: float
    all_looks: int = 0
    startup_dropped: int = 0
    """Looks dropped during the warm-up, while every camera connected at once (not in `dropped`)."""
    latencies: list[float] = field(default_factory=list)
    missed: int = 0
    missed_by_camera: dict[str, int] = field(default_factory=dict)
    """Which cameras missed an arrival, and how many (to look into the misses)."""
    cores: float = 0.0
    detector_cores: float = 0.0
    other: float = 0.0
    peak_rss_mb: float = 0.0
    rss_per_camera_mb: float = 0.0
    detector_rss_mb: float = 0.0
    """The detector worker processes' RSS right after the run."""
    detector_peak_rss_mb: float = 0.0
    infer_ms: float = 0.0

    @property
    def held(self) -> int:
        return sum(
            lk >= HELD_SHARE * e and d <= 0.05 * e
            for lk, e, d in zip(self.looks, self.expected, self.dropped, strict=True)
        )


def planted_zone(args, scenario: Scenario) -> Zone:
    return Zone(
        id="planted",
        name="Planted stop",
        polygon=scenario.planted,
        dwell_seconds=args.dwell,
        exit_grace_seconds=3,
        anchor=scenario.anchor,
    )


def serve(args, files: list[Path]):
    """The RTSP server for cameras 0..len(files)-1 and each camera's mount name.

    Camera i's stream depends only on i mod STREAMS (its rotation and its key-frame phase), so with
    ``--shared-streams`` (the default) cameras with the same stream are clients of one mount, as several
    viewers of one real camera are: one feeder and one RTP packetiser per distinct stream instead of per
    camera. Each camera still has its own RTSP session and TCP connection and receives every packet. The
    server stands in for cameras that on a site encode and send on their own hardware; at 60 clients it
    took 0.53 of this machine's 2 cores with a mount per camera and 0.21 shared (measured with demux-only
    clients), CPU that both systems under test otherwise lose to the harness.
    """
    from tests.support.rtsp import RtspServer

    distinct = STREAMS if args.shared_streams else len(files)
    mounts = [f"cam{i % distinct:02d}" for i in range(len(files))]
    served = {m: (f, d) for m, f, d in zip(mounts, files, args.delays, strict=False)}
    server = RtspServer({m: f for m, (f, _) in served.items()}, start_delays_s={m: d for m, (_, d) in served.items()})
    return server, mounts


def run_ours(args, scenario: Scenario, files: list[Path], detector, worker_pids) -> Ours:
    names = [f"cam{i:02d}" for i in range(len(files))]
    server, mounts = serve(args, files)
    with server:
        t0 = time.time()  # the feeders started playing with the server
        specs = [
            CameraSpec(SourceConfig(camera=n, url=server.url(m), sample_fps=1 / args.look_s), zones)
            for n, m, zones in zip(names, mounts, args.camera_zones, strict=False)
        ]
        first: dict[str, float] = {}
        alerts: dict[str, list[float]] = {n: [] for n in names}

        def on_frame(result) -> None:
            first.setdefault(result.frame.camera, time.time())

        def on_event(event) -> None:
            if event.kind == "new" and event.after.zone == "planted":
                alerts[event.after.camera].append(time.time())

        pipeline = Pipeline(
            specs,
            detector,
            detector_config=detector.config,
            frame_sinks=[on_frame],
            event_sinks=[on_event],
            look_config=LookConfig(),
        )
        samplers = [ProcessSampler(os.getpid()), *(ProcessSampler(pid) for pid in worker_pids)]
        for sampler in samplers:
            sampler.start()
        warm: dict[str, dict[str, int]] = {}

        def snapshot() -> None:  # the end of the warm-up: steady-state counts start here
            pipeline.health()  # brings stats.dropped up to date
            warm.update(frames=dict(pipeline.stats.frames), dropped=dict(pipeline.stats.dropped))

        timer = threading.Timer(args.seconds, lambda: ([s.mark() for s in samplers], pipeline.stop()))
        warm_timer = threading.Timer(args.warmup, snapshot)
        timer.start()
        warm_timer.start()
        started = time.time()
        stats = pipeline.run()
        stopped = started + args.seconds
        figures = [s.finish() for s in samplers]
        detector_rss = rss_mb(worker_pids)
    counted_from = started + args.warmup
    result = Ours(
        len(files),
        [stats.frames.get(n, 0) - warm["frames"].get(n, 0) for n in names],
        [(stopped - max(first.get(n, started), counted_from)) / args.look_s for n in names],
        [stats.dropped.get(n, 0) - warm["dropped"].get(n, 0) for n in names],
        stats.inferences,
        sum(stats.skipped.values()),
        stopped - started,
        startup_dropped=sum(warm["dropped"].values()),
        all_looks=sum(stats.frames.values()),
    )
    for i, name in enumerate(names):
        latencies, missed = planted_latencies(args, scenario, i, t0, first.get(name), stopped, alerts[name])
        result.latencies += latencies
        result.missed += missed
        if missed:
            result.missed_by_camera[name] = missed
    result.cores = sum(f[0] for f in figures)
    result.detector_cores = sum(f[0] for f in figures[1:])
    result.other = max(0.0, figures[0][2] - sum(f[0] for f in figures[1:]))
    result.peak_rss_mb = sum(s.peak_rss for s in samplers) / 2**20
    result.rss_per_camera_mb = (result.peak_rss_mb - args.rss_warm_mb) / len(files)
    result.detector_rss_mb = detector_rss
    result.detector_peak_rss_mb = sum(s.peak_rss for s in samplers[1:]) / 2**20
    result.infer_ms = 1000 * stats.detector_seconds / stats.inferences if stats.inferences else float("nan")
    return result


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


HEADER = (
    f"{'system':<10}{'N':>3}{'looks/s':>9}{'infer/s':>9}{'skipped':>9}{'held':>8}{'dropped':>9}"
    f"{'alert p50/p95 s':>17}{'missed':>8}{'infer ms':>9}{'cores':>7}{'other':>7}{'RSS/cam MB':>12}"
)


def row_ours(r: Ours) -> str:
    total = r.all_looks
    dropped = f"{sum(r.dropped)}+{r.startup_dropped}"  # steady state + warm-up
    lat = f"{pct(r.latencies, 50):.1f}/{pct(r.latencies, 95):.1f}" if r.latencies else "-"
    return (
        f"{'lanewatch':<10}{r.n:>3}{total / r.window_s:>9.2f}{r.inferences / r.window_s:>9.2f}"
        f"{(r.skipped / total if total else 0):>9.0%}{r.held:>5}/{r.n:<2}{dropped:>9}{lat:>17}"
        f"{r.missed:>8}{r.infer_ms:>9.0f}{r.cores:>7.2f}{r.other:>7.2f}{r.rss_per_camera_mb:>12.1f}"
        f"  detector memory {r.detector_rss_mb:.0f} MB (peak {r.detector_peak_rss_mb:.0f})"
    )


@dataclass
class Naive:
    n: int
    run: object  # throughput.RunFigures
    latencies: list[float]
    missed: int


def run_naive(args, scenario: Scenario, files: list[Path]) -> Naive:
    """naive_baseline.py on the same streams, with the planted zone's dwell alert done its way."""
    server, mounts = serve(args, files)
    with server:
        t0 = time.time()
        ns = argparse.Namespace(
            mode="rtsp",
            seconds=args.baseline_seconds,
            imgsz=args.imgsz,
            sample_fps=1 / args.look_s,
            weights=args.weights,
        )
        zone = " ".join(f"{x},{y}" for x, y in scenario.planted)
        run = run_baseline(
            [server.url(m) for m in mounts],
            ns,
            None,
            ["--zone", zone, "--dwell", str(args.dwell), "--anchor", scenario.anchor],
        )
    latencies, missed = [], 0
    for i, cam in enumerate(run.raw["cameras"]):
        got, lost = planted_latencies(args, scenario, i, t0, cam["first_frame_at"], run.raw["stopped"], cam["alerts"])
        latencies += got
        missed += lost
    return Naive(len(files), run, latencies, missed)


def row_naive(naive: Naive) -> str:
    run, s = naive.run, naive.run.summary()
    lat = f"{pct(naive.latencies, 50):.1f}/{pct(naive.latencies, 95):.1f}" if naive.latencies else "-"
    lag = f"lag p50/max {s['lag_p50_s']:.1f}/{s['lag_max_s']:.1f} s" if s["lag_p50_s"] is not None else ""
    return (
        f"{'naive':<10}{run.n:>3}{s['looks_per_s']:>9.2f}{s['looks_per_s']:>9.2f}{0:>9.0%}"
        f"{s['sustained']:>5}/{run.n:<2}{0:>9}{lat:>17}{naive.missed:>8}{s['infer_ms']:>9.0f}{s['cores']:>7.2f}"
        f"{s['other_cores']:>7.2f}{s['rss_per_camera_mb']:>12.1f}  {lag}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, nargs="+", default=[8, 16, 32, 40, 48])
    parser.add_argument("--seconds", type=float, default=65.0, help="streaming time per lanewatch run")
    parser.add_argument("--baseline-cameras", type=int, nargs="*", default=[8, 12, 16])
    parser.add_argument(
        "--baseline-seconds", type=float, default=None, help="streaming time per naive run (default: --seconds)"
    )
    parser.add_argument(
        "--footage",
        choices=["busy", "quiet"],
        default="busy",
        help="busy: lot-busy.mp4 (the gate's worst case); quiet: PKLot stills held 12 s each",
    )
    parser.add_argument(
        "--stream",
        choices=sorted(STREAMS_BY_NAME),
        default="main",
        help="main: every camera sends 1920x1080 at 4 Mb/s (the default); sub: the 640x360 sub-stream "
        "at 1 Mb/s that CCTV cameras send beside it, which both systems then analyse",
    )
    parser.add_argument("--imgsz", type=int, default=960)
    parser.add_argument("--look-s", type=float, default=2.0, help="seconds between looks per camera")
    parser.add_argument("--dwell", type=float, default=8.0, help="dwell of the planted stall zone (s)")
    parser.add_argument(
        "--warmup",
        type=float,
        default=15.0,
        help="seconds after the start before looks and drops are counted for 'held' "
        "(all N cameras connect in the same second)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="planted arrivals in the first S seconds after the streams start are not counted: "
        "N cameras connecting in the same second is a transient (its drops are the "
        "warm-up column), the steady state is what a box is sized for",
    )
    parser.add_argument(
        "--aligned-keyframes",
        action="store_true",
        help="start every stream at once, so all key frames land together (a worst case)",
    )
    parser.add_argument(
        "--shared-streams",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"cameras with the same stream (i mod {STREAMS}) share one server mount "
        "(--no-shared-streams: a mount, feeder and packetiser per camera, as before)",
    )
    parser.add_argument(
        "--same-lane",
        action="store_true",
        help="every camera the footage's drawn lane + the planted zone (one crop shape for all, "
        "as before issue 14); default: each camera its own lane (benchmarks/lanes.py)",
    )
    parser.add_argument("--lane-seed", type=int, default=0, help="seed of the cameras' own lanes")
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    parser.add_argument("--detector-processes", type=int, default=1, help="DetectorConfig.processes")
    parser.add_argument("--batch-size", type=int, default=None, help="DetectorConfig.batch_size (looks per batch)")
    parser.add_argument(
        "--detector-threads",
        type=int,
        default=None,
        help="DetectorConfig.threads (inference threads per worker; default: (cores - 1) / processes)",
    )
    parser.add_argument("--cache", type=Path, default=REPO / "out" / "bench")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    args.baseline_seconds = args.baseline_seconds or args.seconds
    args.stream = STREAMS_BY_NAME[args.stream]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()

    scenario = (quiet_scenario if args.footage == "quiet" else busy_scenario)(args)
    base, length, arrival = scenario.base, scenario.length_s, scenario.arrival_s
    largest = max([*args.cameras, *(args.baseline_cameras or [])])
    # camera i sees the arrival 10 + 2*(i mod 20) s after the server starts (rotations by whole GOPs)
    args.phases = [(round((arrival - 10 - GOP_S * (i % STREAMS)) / GOP_S) * GOP_S) % length for i in range(largest)]
    files = [rotated(base, phase, args.cache) for phase in args.phases]
    # Real cameras' key frames are not in step; N streams whose key frames all land together hand the
    # detector N looks at once every GOP, a worst case (--aligned-keyframes) that adds up to N looks' wait.
    args.delays = [0.0 if args.aligned_keyframes else (i % KEY_PHASES) * GOP_S / KEY_PHASES for i in range(largest)]
    detector = build_detector(
        DetectorConfig(
            weights=str(args.weights),
            imgsz=args.imgsz,
            processes=args.detector_processes,
            threads=args.detector_threads,
            **({"batch_size": args.batch_size} if args.batch_size else {}),
        )
    )
    from lanewatch.detect.crop import CropRect

    planted = planted_zone(args, scenario)
    if args.same_lane:
        args.camera_zones = [[*scenario.lane, planted]] * largest
    else:
        args.camera_zones = [
            [*lanes, planted] for lanes in camera_lanes(scenario.lane, scenario.planted, largest, seed=args.lane_seed)
        ]
    size = args.stream.size
    crops = [crop_for(zones, size, LookConfig().crop_margin) for zones in args.camera_zones[: max(args.cameras)]]
    warm_crops(detector, [*crops, CropRect.full(size)], size)  # compiles every crop shape before the clock runs
    args.rss_warm_mb = rss_mb([os.getpid(), *detector.pids])
    heading = describe_machine(
        argparse.Namespace(
            mode="rtsp",
            seconds=args.seconds,
            imgsz=args.imgsz,
            sample_fps=1 / args.look_s,
            stream_size=f"{args.stream.width}x{args.stream.height}",
            gop_s=GOP_S,
            weights=args.weights,
            change_gate=True,
            crop=True,
        ),
        base,
    )
    heading[1] = heading[1].replace("24 fps", f"{FPS} fps")
    heading.append(
        f"footage {scenario.name}: {scenario.describe}; each camera sends its {args.stream.name} stream, "
        f"{args.stream.width}x{args.stream.height} at {args.stream.bitrate}b/s"
    )
    heading.append(
        f"clip {length:.1f} s, planted arrival at {arrival:.2f} s of it, planted zone dwell {args.dwell:g} s, "
        f"one look per {args.look_s:g} s"
    )
    lanes = (
        f"the same for every camera (--same-lane, {len(args.camera_zones[0])} zones)"
        if args.same_lane
        else f"own per camera (benchmarks/lanes.py, seed {args.lane_seed}: 1-2 lanes + the planted zone)"
    )
    heading.append(f"lanes: {lanes}; {max(args.cameras)} cameras: {describe_crops(crops, size)}")
    print("\n".join(heading), flush=True)
    lines, results = [], []
    for n in args.cameras:
        ours = run_ours(args, scenario, files[:n], detector, detector.pids)
        results.append({"system": "lanewatch", "n": n, **dict(vars(ours).items())})
        lines.append(row_ours(ours))
        print("  " + lines[-1], f"(detector worker {ours.detector_cores:.2f} cores)", flush=True)
        if ours.missed_by_camera:
            print("  missed:", ", ".join(f"{c} x{k}" for c, k in sorted(ours.missed_by_camera.items())), flush=True)
    naive_runs = []
    for n in args.baseline_cameras or []:
        naive = run_naive(args, scenario, files[:n])
        naive_runs.append(naive)
        results.append({"system": "naive", **naive.run.summary(), "latencies": naive.latencies, "missed": naive.missed})
        lines.append(row_naive(naive))
        print("  " + lines[-1], flush=True)
    detector.close()

    bound = args.dwell + 3
    ours_ok = [
        r
        for r in results
        if r["system"] == "lanewatch"
        and sum(
            lk >= HELD_SHARE * e and d <= 0.05 * e
            for lk, e, d in zip(r["looks"], r["expected"], r["dropped"], strict=True)
        )
        == r["n"]
        and r["latencies"]
        and pct(r["latencies"], 95) <= bound
        and not r["missed"]
    ]
    naive_ok = [
        r
        for r in naive_runs
        if r.run.sustained_count == r.n and r.latencies and pct(r.latencies, 95) <= bound and not r.missed
    ]
    best_ours = max((r["n"] for r in ours_ok), default=0)
    best_naive = max((r.n for r in naive_ok), default=0)
    print()
    print("\n".join(heading))
    print(HEADER)
    print("\n".join(lines))
    ratio = f"{best_ours / best_naive:.1f}x" if best_naive else "n/a (baseline held no N)"
    print(
        f"cameras sustained with every camera held and alert p95 <= dwell + 3 s = {bound:g} s, nothing missed: "
        f"lanewatch {best_ours}, naive {best_naive}: {ratio}"
    )
    print(f"total time {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"heading": heading, "results": results}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
