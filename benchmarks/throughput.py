"""Throughput of lanewatch's multi-camera pipeline against the naive loop, N cameras on this machine.

For each N in ``--cameras`` it streams N copies of the same footage (RTSP from
one local GStreamer server, or N file paths), runs the real ``Pipeline`` with
one ``UltralyticsDetector`` for ``--seconds`` and then the naive baseline
(benchmarks/naive_baseline.py, in its own process) on the same N streams, and
prints what each achieved: analysed frames ("looks") per second, how many
cameras kept their sampling rate, drops, inference time, CPU and memory.
See benchmarks/README.md for the definitions and recorded figures.

    .venv/bin/python benchmarks/throughput.py --cameras 1 4 16 --seconds 40 --json /tmp/throughput.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # lanewatch and tests.support without an install

from lanewatch.config import DetectorConfig, LookConfig, SourceConfig  # noqa: E402
from lanewatch.detect.ultralytics_detector import UltralyticsDetector  # noqa: E402
from lanewatch.pipeline import CameraSpec, Pipeline  # noqa: E402
from lanewatch.zones.zone_file import load_zone_file  # noqa: E402

SHARED = Path(os.environ.get("LANEWATCH_SHARED", REPO.parent / "shared"))
FOOTAGE = SHARED / "footage" / "parking-aisle" / "lot-busy.mp4"
WEIGHTS = Path(os.environ.get("LANEWATCH_WEIGHTS", SHARED / "models" / "yolo11n_int8_openvino_model"))
ZONES = REPO / "zones" / "lot-busy.json"
BASELINE = Path(__file__).resolve().parent / "naive_baseline.py"

SUSTAINED_SHARE = 0.9  # of the looks a camera should have had
DROPPED_SHARE = 0.05  # of those looks, at most
LOOP_COUNT = 3  # the 20 s clip is looped to 60 s: longer than any run, one file for both modes

DEFINITIONS = f"""\
Definitions
  look           a sampled frame fully analysed: naive: predict() returned; lanewatch: its camera processed
                 it (zones, tracker, dwell), with fresh detections or, when the change gate saw no lane
                 change, the previous ones carried forward (see infer %).
  window         rtsp: from a camera's first frame (no frame: from the start) to the stop (looks finished
                 after the stop are not counted); file: the whole run (every camera reads --seconds of
                 stream time as fast as it can, no real-time pacing).
  expected       sample_fps x the camera's window.
  sustained      a camera with looks >= {SUSTAINED_SHARE:.0%} of expected and dropped <= {DROPPED_SHARE:.0%} of expected
                 (file mode: it ran at >= {SUSTAINED_SHARE:.0%} of real time; files never drop).
  looks/s        all cameras' looks / the longest camera window; cam fps: one camera's looks / its window.
  dropped        sampled frames thrown away because the camera's buffer was full (lanewatch live sources
                 only; the naive loop never drops, it falls behind instead: see lag).
  lag            rtsp only: how much later than the camera's quickest look a look finished, relative to
                 its frame's stream time: (finished - stream time) - min over the camera's looks of the same.
                 Not measured from arrival because the server sends the frames since the last key frame
                 (up to one GOP) at once on connect, so stream time starts up to 2 s ahead of the wall clock;
                 for the same reason a window can hold up to GOP x sample_fps more looks than expected.
  infer %        share of looks that ran the detector (lanewatch's change gate carries the previous
                 detections forward when no lane region changed; the naive loop always infers).
  infer ms       detector time per inference (lanewatch: detector_seconds / inferences; naive: time in predict).
  cores          process CPU (psutil cpu_percent / 100) from the start of the run to the stop (rtsp) or
                 its end (file), all threads; srv: the RTSP server process;
                 other: the rest of the machine (other work running at the same time: noise).
  CPU ms/look    cores x 1000 / looks/s: the process's CPU per look (decode + detect + the rest).
  drain s        lanewatch rtsp: how long run() took to return after stop().
  peak RSS       highest process RSS sampled every 0.5 s; RSS/cam = (peak - RSS once the model was warm) / N.
                 lanewatch runs in this process, one N after the other (freed memory is kept by the
                 allocator, so a run's peak can include the previous run's); the naive loop runs in a
                 fresh process per N."""


@dataclass
class CameraFigures:
    name: str
    looks: int
    window_s: float
    dropped: int
    lags: list[float] = field(default_factory=list)
    error: str | None = None
    inferred: int | None = None  # looks that ran the detector (None: all of them)
    bad_input: int = 0  # lanewatch: packets/frames its source skipped as undecodable
    connections: int | None = None  # lanewatch live: connections that delivered frames


@dataclass
class RunFigures:
    system: str
    n: int
    sample_fps: float
    cameras: list[CameraFigures]
    infer_ms: float
    cores: float
    server_cores: float
    other_cores: float
    peak_rss_mb: float
    rss_warm_mb: float
    drain_s: float = 0.0
    imgsz_used: list[int] | None = None
    raw: dict | None = None  # naive_baseline.py's JSON line

    def expected(self, cam: CameraFigures) -> float:
        return self.sample_fps * cam.window_s

    def sustained(self, cam: CameraFigures) -> bool:
        expected = self.expected(cam)
        return cam.looks >= SUSTAINED_SHARE * expected and cam.dropped <= DROPPED_SHARE * expected

    @property
    def looks_per_s(self) -> float:
        window = max((c.window_s for c in self.cameras), default=0.0)
        return sum(c.looks for c in self.cameras) / window if window else 0.0

    @property
    def camera_fps(self) -> list[float]:
        return [c.looks / c.window_s if c.window_s else 0.0 for c in self.cameras]

    @property
    def inferred_share(self) -> float:
        looks = sum(c.looks for c in self.cameras)
        inferred = sum(c.looks if c.inferred is None else c.inferred for c in self.cameras)
        return inferred / looks if looks else float("nan")

    @property
    def sustained_count(self) -> int:
        return sum(self.sustained(c) for c in self.cameras)

    @property
    def lags(self) -> list[float]:
        """Each look's delay beyond the camera's quickest look (see DEFINITIONS)."""
        return [lag - min(c.lags) for c in self.cameras for lag in c.lags]

    def summary(self) -> dict:
        fps, lags = self.camera_fps, self.lags
        return {
            "system": self.system,
            "cameras": self.n,
            "looks_per_s": round(self.looks_per_s, 3),
            "camera_fps_min": round(min(fps), 3),
            "camera_fps_median": round(statistics.median(fps), 3),
            "sustained": self.sustained_count,
            "dropped": sum(c.dropped for c in self.cameras),
            "inferred_share": round(self.inferred_share, 3),
            "infer_ms": round(self.infer_ms, 1),
            "cores": round(self.cores, 2),
            "cpu_ms_per_look": round(self.cpu_ms_per_look),
            "server_cores": round(self.server_cores, 2),
            "other_cores": round(self.other_cores, 2),
            "peak_rss_mb": round(self.peak_rss_mb),
            "rss_per_camera_mb": round(self.rss_per_camera_mb, 1),
            "lag_p50_s": round(statistics.median(lags), 2) if lags else None,
            "lag_max_s": round(max(lags), 2) if lags else None,
            "drain_s": round(self.drain_s, 2),
            "imgsz_used": self.imgsz_used,
            "silent_cameras": [c.name for c in self.cameras if c.looks == 0],
        }

    @property
    def cpu_ms_per_look(self) -> float:
        return 1000 * self.cores / self.looks_per_s if self.looks_per_s else float("nan")

    @property
    def rss_per_camera_mb(self) -> float:
        return (self.peak_rss_mb - self.rss_warm_mb) / self.n


class ProcessSampler:
    """CPU of one process (all threads) over a window, its peak RSS every 0.5 s, and the rest of the machine."""

    def __init__(self, pid: int, server_pid: int | None = None, interval_s: float = 0.5) -> None:
        self.process = psutil.Process(pid)
        self.server = psutil.Process(server_pid) if server_pid else None
        self.interval_s = interval_s
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self.rss_before = self.process.memory_info().rss
        self.peak_rss = self.rss_before
        self.process.cpu_percent(None)
        if self.server:
            self.server.cpu_percent(None)
        self._machine_start = _machine_busy_s()
        self._started = time.monotonic()
        self._cpu: tuple[float, float, float] | None = None
        self._thread.start()

    def mark(self) -> None:
        """Close the CPU window now (the stop); RSS sampling goes on until ``finish``."""
        if self._cpu is None:
            elapsed = time.monotonic() - self._started
            cores = self.process.cpu_percent(None) / 100
            server = self.server.cpu_percent(None) / 100 if self.server else 0.0
            machine = (_machine_busy_s() - self._machine_start) / elapsed
            self._cpu = (cores, server, max(0.0, machine - cores - server))

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)
            except psutil.Error:
                return

    def finish(self) -> tuple[float, float, float]:
        """(process cores, server cores, other cores) from ``start`` to ``mark`` (or now)."""
        self.mark()
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(psutil.Error):
            self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)
        assert self._cpu is not None
        return self._cpu


def rss_mb(pids: list[int]) -> float:
    """The processes' resident memory now, together, in MiB (a process that has gone counts 0)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            total += psutil.Process(pid).memory_info().rss
    return total / 2**20


def _machine_busy_s() -> float:
    t = psutil.cpu_times()  # guest time is already inside user time
    return t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0) + getattr(t, "steal", 0.0)


def prepare_stream(size: str, gop_s: float, cache: Path) -> Path:
    """lot-busy.mp4 looped to 60 s, scaled to ``size``, H.264 with a fixed GOP and no B-frames (cached)."""
    width, height = (int(v) for v in size.lower().split("x"))
    fps = 24  # the clip's own rate
    out = cache / f"lot-busy-loop{LOOP_COUNT}-{width}x{height}-gop{gop_s:g}s.mp4"
    if out.exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    gop = round(gop_s * fps)
    partial = out.with_suffix(".part.mp4")
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-stream_loop",
            str(LOOP_COUNT - 1),
            "-i",
            str(FOOTAGE),
            "-an",
            "-vf",
            f"scale={width}:{height}:flags=bicubic",
            "-r",
            str(fps),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-profile:v",
            "main",
            "-pix_fmt",
            "yuv420p",
            "-bf",
            "0",
            "-g",
            str(gop),
            "-keyint_min",
            str(gop),
            "-sc_threshold",
            "0",
            "-b:v",
            "2M",
            "-maxrate",
            "2.5M",
            "-bufsize",
            "4M",
            "-movflags",
            "+faststart",
            str(partial),
        ],
        check=True,
    )
    partial.rename(out)
    return out


class Streams:
    """N camera URLs for one run: mounts of one RTSP server, or N paths to the file."""

    def __init__(self, mode: str, stream: Path, n: int, cache: Path) -> None:
        self.mode, self.n = mode, n
        self.server = None
        names = [f"cam{i:02d}" for i in range(n)]
        if mode == "rtsp":
            from tests.support.rtsp import RtspServer

            self.server = RtspServer(dict.fromkeys(names, stream)).__enter__()
            self.urls = [self.server.url(name) for name in names]
        else:
            folder = cache / "files"
            folder.mkdir(parents=True, exist_ok=True)
            self.urls = []
            for name in names:
                link = folder / f"{name}.mp4"
                if not link.is_symlink() or link.resolve() != stream.resolve():
                    link.unlink(missing_ok=True)
                    link.symlink_to(stream)
                self.urls.append(str(link))

    @property
    def server_pid(self) -> int | None:
        """The server's process: our child running rtsp_server.py."""
        if self.server is None:
            return None
        for child in psutil.Process().children():
            if any(arg.endswith("rtsp_server.py") for arg in child.cmdline()):
                return child.pid
        return None

    def close(self) -> None:
        if self.server:
            self.server.__exit__(None, None, None)


def run_lanewatch(
    detector: UltralyticsDetector, urls: list[str], args: argparse.Namespace, server_pid: int | None, rss_warm: int
) -> RunFigures:
    live = args.mode == "rtsp"
    zones = load_zone_file(ZONES).zones
    specs = [
        CameraSpec(
            SourceConfig(
                camera=f"cam{i:02d}", url=url, sample_fps=args.sample_fps, duration_s=None if live else args.seconds
            ),
            zones,
        )
        for i, url in enumerate(urls)
    ]
    # per camera: (wall time the look finished, lag, whether it ran the detector)
    done: dict[str, list[tuple[float, float, bool]]] = {s.source.camera: [] for s in specs}
    first_at: dict[str, float] = {}  # wall time of the camera's first frame

    def record(result) -> None:
        frame, now = result.frame, time.time()
        arrived = frame.timestamp.timestamp()
        first_at.setdefault(frame.camera, arrived - frame.offset_s)
        done[frame.camera].append((now, now - arrived, result.inferred))

    looks = LookConfig(change_gate=args.change_gate, crop_to_zones=args.crop)
    pipeline = Pipeline(specs, detector, detector_config=detector.config, look_config=looks, frame_sinks=[record])
    sources = dict(pipeline.sources)  # the pipeline forgets a camera once it has ended
    stopped_at: list[float] = []

    sampler = ProcessSampler(os.getpid(), server_pid)

    def stop() -> None:
        stopped_at.append(time.time())
        sampler.mark()
        pipeline.stop()

    sampler.start()
    started = time.time()
    timer = threading.Timer(args.seconds, stop) if live else None
    if timer:
        timer.start()
    stats = pipeline.run()
    ended = time.time()
    if timer:
        timer.cancel()
    cores, server_cores, other = sampler.finish()
    stop_at = stopped_at[0] if stopped_at else ended
    cameras = []
    for spec in specs:
        name = spec.source.camera
        if live:
            taken = [look for look in done[name] if look[0] <= stop_at]
            window = stop_at - first_at.get(name, started)  # a camera with no frame had the whole run
        else:
            taken, window = done[name], ended - started
        source = sources[name]
        cameras.append(
            CameraFigures(
                name,
                len(taken),
                window,
                stats.dropped.get(name, 0),
                [lag for _, lag, _ in taken] if live else [],
                inferred=sum(inferred for _, _, inferred in taken),
                bad_input=source.errors,
                connections=getattr(source, "connections", None),
            )
        )
    return RunFigures(
        "lanewatch",
        len(urls),
        args.sample_fps,
        cameras,
        infer_ms=1000 * stats.detector_seconds / stats.inferences if stats.inferences else float("nan"),
        cores=cores,
        server_cores=server_cores,
        other_cores=other,
        peak_rss_mb=sampler.peak_rss / 2**20,
        rss_warm_mb=rss_warm / 2**20,
        drain_s=ended - stop_at if live else 0.0,
        imgsz_used=list(detector.input_size or ()),
    )


def run_baseline(
    urls: list[str], args: argparse.Namespace, server_pid: int | None, extra: list[str] | None = None
) -> RunFigures:
    """Runs naive_baseline.py on ``urls`` (``extra``: more of its options); its raw JSON is kept in ``raw``."""
    command = [
        sys.executable,
        str(BASELINE),
        *urls,
        "--seconds",
        str(args.seconds),
        "--imgsz",
        str(args.imgsz),
        "--sample-fps",
        str(args.sample_fps),
        "--weights",
        str(args.weights),
        *(extra or []),
    ]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    sampler = None
    result = None
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "STARTED":
            sampler = ProcessSampler(child.pid, server_pid)
            sampler.start()
        elif line.strip() == "STOPPED" and sampler:
            sampler.mark()
        elif line.startswith("{"):
            result = json.loads(line)
            cores, server_cores, other = sampler.finish() if sampler else (0.0, 0.0, 0.0)
    if child.wait() != 0 or result is None or sampler is None:
        raise RuntimeError(f"naive baseline failed (exit {child.returncode})")
    live = args.mode == "rtsp"
    stop_at = result["stopped"]
    cameras = []
    infer_s = looks_total = 0
    for i, cam in enumerate(result["cameras"]):
        looks = [(t, lag) for t, lag in cam["looks"] if t <= stop_at] if live else cam["looks"]
        first = cam["first_frame_at"] or result["started"]  # no frame: it had the whole run
        window = stop_at - first if live else stop_at - result["started"]
        cameras.append(
            CameraFigures(f"cam{i:02d}", len(looks), window, 0, [lag for _, lag in looks] if live else [], cam["error"])
        )
        infer_s += cam["infer_s"]
        looks_total += len(cam["looks"])
    return RunFigures(
        "naive",
        len(urls),
        args.sample_fps,
        cameras,
        infer_ms=1000 * infer_s / looks_total if looks_total else float("nan"),
        cores=cores,
        server_cores=server_cores,
        other_cores=other,
        peak_rss_mb=sampler.peak_rss / 2**20,
        rss_warm_mb=result["rss_warm"] / 2**20,
        imgsz_used=result["imgsz_used"],
        raw=result,
    )


HEADER = (
    f"{'system':<10}{'N':>3}{'looks/s':>9}{'cam fps min/med':>17}{'sustained':>11}{'dropped':>9}"
    f"{'infer %':>9}{'infer ms':>9}{'cores':>7}{'CPU ms/look':>12}{'srv':>6}{'other':>7}{'peak RSS MB':>13}"
    f"{'RSS/cam MB':>12}{'lag p50/max s':>15}{'drain s':>9}"
)


def row(run: RunFigures) -> str:
    s = run.summary()
    lag = f"{s['lag_p50_s']:.1f}/{s['lag_max_s']:.1f}" if s["lag_p50_s"] is not None else "-"
    return (
        f"{run.system:<10}{run.n:>3}{s['looks_per_s']:>9.2f}"
        f"{s['camera_fps_min']:>9.2f}/{s['camera_fps_median']:<7.2f}"
        f"{s['sustained']:>7}/{run.n:<3}{s['dropped']:>9}{100 * s['inferred_share']:>9.0f}{s['infer_ms']:>9.0f}"
        f"{s['cores']:>7.2f}{s['cpu_ms_per_look']:>12.0f}"
        f"{s['server_cores']:>6.2f}{s['other_cores']:>7.2f}{s['peak_rss_mb']:>13.0f}"
        f"{s['rss_per_camera_mb']:>12.1f}{lag:>15}{s['drain_s']:>9.1f}"
    )


def describe_cpu() -> str:
    """'<CPU model>, <N> cores', for a benchmark's heading."""
    cpu = platform.processor() or "?"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{cpu}, {psutil.cpu_count()} cores"


def describe_machine(args: argparse.Namespace, stream: Path) -> list[str]:
    return [
        f"lanewatch throughput, {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, {describe_cpu()}",
        f"mode {args.mode}, {args.seconds:g} s per run, imgsz {args.imgsz}, sample_fps {args.sample_fps:g}, "
        f"stream {args.stream_size} 24 fps H.264 GOP {args.gop_s:g} s no B-frames ({stream.name})",
        f"weights {args.weights}; lanewatch looks: change_gate={args.change_gate}, crop_to_zones={args.crop}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, nargs="+", default=[1, 4, 16], help="camera counts N to run")
    parser.add_argument(
        "--seconds",
        type=float,
        default=40.0,
        help="rtsp: seconds of streaming per run; file: seconds of stream time read per camera",
    )
    parser.add_argument("--imgsz", type=int, default=960)
    parser.add_argument("--sample-fps", type=float, default=1.0)
    parser.add_argument("--mode", choices=["rtsp", "file"], default="rtsp")
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    parser.add_argument("--stream-size", default="1280x720", help="WIDTHxHEIGHT of the prepared stream")
    parser.add_argument("--gop-s", type=float, default=2.0, help="key-frame interval of the prepared stream")
    parser.add_argument(
        "--baseline-cameras",
        type=int,
        nargs="*",
        default=None,
        help="N values to also run the naive baseline for (default: every N; none: skip)",
    )
    parser.add_argument(
        "--no-change-gate",
        dest="change_gate",
        action="store_false",
        help="lanewatch: run the detector on every look (LookConfig.change_gate=False)",
    )
    parser.add_argument(
        "--no-crop",
        dest="crop",
        action="store_false",
        help="lanewatch: infer on the whole frame, not the zones' rectangle (crop_to_zones=False)",
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/lanewatch-bench"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.seconds > 20 * LOOP_COUNT and args.mode == "file":
        parser.error(f"file mode reads at most {20 * LOOP_COUNT} s of the looped clip")
    baseline_for = set(args.cameras if args.baseline_cameras is None else args.baseline_cameras)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    started = time.monotonic()
    stream = prepare_stream(args.stream_size, args.gop_s, args.cache)
    detector = UltralyticsDetector(DetectorConfig(weights=str(args.weights), imgsz=args.imgsz))
    warm = np.zeros((720, 1280, 3), np.uint8)
    for _ in range(3):
        detector.detect([warm])
    rss_warm = psutil.Process().memory_info().rss
    heading = describe_machine(args, stream)
    print("\n".join(heading), flush=True)

    runs: list[RunFigures] = []
    lines: list[str] = []
    for n in args.cameras:
        for system in ("lanewatch", "naive") if n in baseline_for else ("lanewatch",):
            streams = Streams(args.mode, stream, n, args.cache)
            try:
                if system == "lanewatch":
                    run = run_lanewatch(detector, streams.urls, args, streams.server_pid, rss_warm)
                else:
                    run = run_baseline(streams.urls, args, streams.server_pid)
            finally:
                streams.close()
            runs.append(run)
            print(f"  {row(run)}", flush=True)
            for cam in run.cameras:
                if cam.looks == 0:
                    print(f"  WARNING {system} N={n} {cam.name}: no looks ({cam.error or 'no frame delivered'})")
            bad = sum(c.bad_input for c in run.cameras)
            reconnected = [c.name for c in run.cameras if (c.connections or 0) > 1]
            if bad or reconnected:
                print(
                    f"  NOTE {system} N={n}: {bad} undecodable packets/frames skipped; "
                    f"reconnected: {', '.join(reconnected) or 'none'}"
                )
        ours = next(r for r in runs if r.n == n and r.system == "lanewatch")
        naive = [r for r in runs if r.n == n and r.system == "naive"]
        lines.append(
            f"N={n:<3} "
            + (
                f"lanewatch/naive: looks/s {ours.looks_per_s / naive[0].looks_per_s:.2f}x, "
                f"CPU per look {ours.cpu_ms_per_look / naive[0].cpu_ms_per_look:.2f}x, "
                f"sustained {ours.sustained_count}/{n} vs {naive[0].sustained_count}/{n}"
                if naive and naive[0].looks_per_s
                else "no baseline"
            )
        )

    print()
    print("\n".join(heading))
    print(HEADER)
    for run in runs:
        print(row(run))
    print("\n".join(lines))
    print(DEFINITIONS)
    print(f"total time {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "heading": heading,
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "results": [r.summary() for r in runs],
                    "cameras": [
                        {"system": r.system, "n": r.n, **{k: v for k, v in asdict(c).items() if k != "lags"}}
                        for r in runs
                        for c in r.cameras
                    ],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
