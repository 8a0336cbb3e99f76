"""What a different lane per camera costs against the same lane for all, N recorded cameras on this machine.

On a site every camera has its own lane polygon and so its own lane crop
(`plan_crop`): the batched detector gets looks of many shapes at once instead
of one. For each N in ``--cameras`` this runs lanewatch's pipeline (the
detector in its worker process, lane crop on, change gate off so that every
look is inferred) over N copies of ``lot-busy.mp4`` read as recorded files
(as fast as they decode, no real-time pacing), ``--seconds`` of each, twice:

- same: every camera the same zones, the costliest camera of the lanes.py
  spread: one crop shape. A look's cost is its pixels on the detector's
  sheet, imgsz² × short side / long side of the crop (`lanes.sheet_share`),
  not its area in the frame;
- own: every camera its own zones from benchmarks/lanes.py (``--lane-seed``),
  each no costlier than the shared one, so "own" does no more pixels' work.

Zones per camera: its lane(s) + the busy benchmark's planted stall
(cameras.py's STALL), as in cameras.py. Before the clock every distinct crop
shape is run through the detector once and its ``wait_ready`` is awaited, so
compiles are not timed. It prints each run's wall time, the ratio own/same,
the number of distinct crop shapes and the detector worker's memory.

    .venv/bin/python benchmarks/lane_shapes.py --cameras 16 64 --seconds 10
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cameras import STALL  # noqa: E402
from lanes import camera_lanes, crop_for, describe_crops, sheet_share, warm_crops  # noqa: E402
from throughput import FOOTAGE, WEIGHTS, ZONES, ProcessSampler, Streams, describe_cpu, rss_mb  # noqa: E402

from lanewatch.config import DetectorConfig, LookConfig, SourceConfig  # noqa: E402
from lanewatch.detect.factory import build_detector  # noqa: E402
from lanewatch.pipeline import CameraSpec, Pipeline  # noqa: E402
from lanewatch.zones.zone import Zone  # noqa: E402
from lanewatch.zones.zone_file import load_zone_file  # noqa: E402

LOOKS = LookConfig(change_gate=False)


@dataclass
class Run:
    """One pipeline run over N files."""

    lanes: str
    """'same' or 'own'."""
    n: int
    shapes: int
    """Distinct crop shapes among the N cameras."""
    wall_s: float
    looks: int
    inferences: int
    infer_ms: float
    detector_rss_mb: float
    """The detector worker's RSS right after the run."""
    detector_peak_rss_mb: float


def frame_size(path: Path) -> tuple[int, int]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.width, stream.height


def run(
    detector, urls: list[str], zone_sets: list[list[Zone]], lanes: str, shapes: int, args: argparse.Namespace
) -> Run:
    specs = [
        CameraSpec(
            SourceConfig(camera=f"cam{i:02d}", url=url, sample_fps=args.sample_fps, duration_s=args.seconds), zones
        )
        for i, (url, zones) in enumerate(zip(urls, zone_sets, strict=True))
    ]
    pipeline = Pipeline(specs, detector, detector_config=detector.config, look_config=LOOKS)
    samplers = [ProcessSampler(pid) for pid in detector.pids]
    for sampler in samplers:
        sampler.start()
    started = time.monotonic()
    stats = pipeline.run()
    wall = time.monotonic() - started
    for sampler in samplers:
        sampler.finish()
    infer_ms = 1000 * stats.detector_seconds / stats.inferences if stats.inferences else float("nan")
    return Run(
        lanes,
        len(urls),
        shapes,
        wall,
        sum(stats.frames.values()),
        stats.inferences,
        infer_ms,
        rss_mb(detector.pids),
        sum(s.peak_rss for s in samplers) / 2**20,
    )


HEADER = (
    f"{'lanes':<6}{'N':>4}{'shapes':>8}{'wall s':>9}{'looks':>7}{'infer':>7}{'infer ms':>10}{'det MB':>8}{'peak':>7}"
)


def row(r: Run) -> str:
    return (
        f"{r.lanes:<6}{r.n:>4}{r.shapes:>8}{r.wall_s:>9.1f}{r.looks:>7}{r.inferences:>7}{r.infer_ms:>10.1f}"
        f"{r.detector_rss_mb:>8.0f}{r.detector_peak_rss_mb:>7.0f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, nargs="+", default=[16, 64], help="camera counts N to run")
    parser.add_argument(
        "--seconds",
        type=float,
        default=10.0,
        help=f"seconds of stream time read from each file (at most the clip's, {FOOTAGE.name})",
    )
    parser.add_argument("--sample-fps", type=float, default=1.0, help="looks per second of stream time")
    parser.add_argument("--imgsz", type=int, default=960)
    parser.add_argument("--lane-seed", type=int, default=0, help="seed of the cameras' own lanes (lanes.py)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    parser.add_argument("--cache", type=Path, default=REPO / "out" / "bench")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    began = time.monotonic()

    size = frame_size(FOOTAGE)
    base = load_zone_file(ZONES).zones
    planted = Zone(
        id="planted",
        name="Planted stall",
        polygon=STALL,
        dwell_seconds=base[0].dwell_seconds,
        exit_grace_seconds=base[0].exit_grace_seconds,
        anchor="bottom_center",
    )
    detector = build_detector(DetectorConfig(weights=str(args.weights), imgsz=args.imgsz))
    heading = [
        f"lanewatch lane shapes, {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, {describe_cpu()}",
        f"{FOOTAGE.name} {size[0]}x{size[1]} as N recorded files, {args.seconds:g} s of each, "
        f"{args.sample_fps:g} looks/s of stream time, imgsz {args.imgsz}, change gate off, crop on "
        f"(margin {LOOKS.crop_margin:g}); zones: lane(s) from lanes.py (seed {args.lane_seed}) + planted stall",
        f"weights {args.weights}",
    ]
    print("\n".join(heading), flush=True)
    runs: list[Run] = []
    lines: list[str] = []
    try:
        for n in args.cameras:
            own = [[*lanes, planted] for lanes in camera_lanes(base, STALL, n, seed=args.lane_seed)]
            crops = [crop_for(zones, size, LOOKS.crop_margin) for zones in own]
            costliest = max(range(n), key=lambda i: sheet_share(crops[i]))
            shared = crops[costliest]
            lines.append(
                f"N={n}: own: {describe_crops(crops, size)}; same: camera {costliest}'s lanes for all, "
                f"crop {shared.width}x{shared.height} ({sheet_share(shared):.2f} of a sheet)"
            )
            print(lines[-1], flush=True)
            warmed = time.monotonic()
            warm_crops(detector, crops, size)
            print(
                f"  warmed {len({(c.width, c.height) for c in crops})} crop shapes in "
                f"{time.monotonic() - warmed:.1f} s; detector memory {rss_mb(detector.pids):.0f} MB",
                flush=True,
            )
            streams = Streams("file", FOOTAGE, n, args.cache)
            pair = [
                run(detector, streams.urls, [own[costliest]] * n, "same", 1, args),
                run(detector, streams.urls, own, "own", len({(c.width, c.height) for c in crops}), args),
            ]
            for r in pair:
                print("  " + row(r), flush=True)
            lines += [row(r) for r in pair]
            lines.append(f"N={n}: own/same wall time {pair[1].wall_s / pair[0].wall_s:.2f}")
            runs += pair
    finally:
        detector.close()
    print()
    print("\n".join(heading))
    print(HEADER)
    print("\n".join(lines))
    print(f"total time {time.monotonic() - began:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"heading": heading, "results": [asdict(r) for r in runs]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
