"""The naive multi-camera loop that lanewatch is compared against (see RECIPES.md).

What a typical ultralytics user writes: one thread per camera, PyAV decoding
every frame, one frame every ``1 / sample_fps`` seconds of stream time
converted to bgr24 and passed to ``model.predict(frame, imgsz=..., classes=[2, 3, 5, 7])``
on one shared model behind a lock. Nothing is dropped on purpose: a camera
that cannot keep up falls behind its stream.

One deliberate departure: on this CPU ultralytics pins a static-shape OpenVINO
model to the size in its metadata (640) and silently ignores ``imgsz``; the
baseline sets the size on the backend after the first call, exactly as
lanewatch's detector does, so both sides infer at the same size.

With ``--zone`` (a polygon in 0-1 coordinates) and ``--dwell`` it also raises
the alert the way such a user would: a vehicle box whose ``--anchor`` point is in
the polygon starts a dwell timer in stream time, and the look at which the
timer passes ``--dwell`` records the alert's wall time (once per stay). This
is what ``cameras.py`` compares lanewatch's alert latency with.

Run as a script (``throughput.py`` does this, one process per N so that CPU and
RSS are measured apart from lanewatch's): it prints ``STARTED`` when the model
is warm and the cameras start, ``STOPPED`` when a live run's time is up, then
one JSON line with per-camera raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time

import av
import cv2
import numpy as np
import psutil

VEHICLES = [2, 3, 5, 7]  # COCO car, motorcycle, bus, truck


def load_model(weights: str, imgsz: int):
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_CONFIG_DIR", os.path.join(tempfile.gettempdir(), "lanewatch-ultralytics"))
    from ultralytics import YOLO

    model = YOLO(weights, task="detect")
    warm = np.zeros((720, 1280, 3), np.uint8)
    model.predict(warm, imgsz=imgsz, classes=VEHICLES, verbose=False)
    backend = getattr(model.predictor.model, "backend", None)
    if backend is not None and list(getattr(backend, "imgsz", [imgsz])) != [imgsz, imgsz]:
        backend.imgsz = [imgsz, imgsz]  # see the module docstring
    for _ in range(2):
        model.predict(warm, imgsz=imgsz, classes=VEHICLES, verbose=False)
    return model


class Camera(threading.Thread):
    """One stream: decode everything, predict on one frame per sampling interval."""

    def __init__(self, url: str, model, lock: threading.Lock, args: argparse.Namespace, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.model, self.lock, self.args, self.stop = url, model, lock, args, stop
        self.live = url.startswith("rtsp://")
        self.first_frame_at: float | None = None  # wall clock (time.time) of the first decoded frame
        self.looks: list[tuple[float, float]] = []  # (wall time done, lag s)
        self.decoded = 0
        self.infer_s = 0.0
        self.error: str | None = None
        self.alerts: list[float] = []  # wall times of dwell alerts in --zone
        self._inside_since: float | None = None  # stream s the current stay began
        self._alerted = False

    def run(self) -> None:
        try:
            options = {"rtsp_transport": "tcp", "timeout": "5000000"} if self.live else {}
            with av.open(self.url, options=options) as container:
                self._loop(container)
        except Exception as exc:  # report, don't hide: a camera with no looks shows up in the table
            self.error = f"{type(exc).__name__}: {exc}"

    def _loop(self, container) -> None:
        interval = 1.0 / self.args.sample_fps
        start_pts: float | None = None
        next_look = 0.0
        for frame in container.decode(video=0):
            if self.stop.is_set():
                return
            self.decoded += 1
            if frame.time is None:
                continue
            if start_pts is None:
                start_pts, self.first_frame_at = frame.time, time.time()
            stream_s = frame.time - start_pts
            if not self.live and stream_s >= self.args.seconds:
                return
            if stream_s < next_look:
                continue
            next_look = stream_s + interval
            image = frame.to_ndarray(format="bgr24")
            with self.lock:
                t0 = time.perf_counter()
                results = self.model.predict(image, imgsz=self.args.imgsz, classes=VEHICLES, verbose=False)
                self.infer_s += time.perf_counter() - t0
            if self.args.zone is not None:
                self._check_zone(results[0].boxes.xyxy.cpu().numpy(), image.shape, stream_s)
            now = time.time()
            self.looks.append((now, now - (self.first_frame_at + stream_s)))

    def _check_zone(self, xyxy: np.ndarray, shape: tuple[int, ...], stream_s: float) -> None:
        """Dwell timer on the zone (stream time): any box whose anchor point is inside keeps it running."""
        height, width = shape[:2]
        polygon = (self.args.zone * [width, height]).astype(np.float32)
        bottom = self.args.anchor == "bottom_center"
        inside = any(
            cv2.pointPolygonTest(polygon, (float((x0 + x1) / 2), float(y1 if bottom else (y0 + y1) / 2)), False) >= 0
            for x0, y0, x1, y1 in xyxy
        )
        if not inside:
            self._inside_since, self._alerted = None, False
            return
        if self._inside_since is None:
            self._inside_since = stream_s
        if not self._alerted and stream_s - self._inside_since >= self.args.dwell:
            self._alerted = True
            self.alerts.append(time.time())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+", help="rtsp:// URLs or video files, one per camera")
    parser.add_argument(
        "--seconds",
        type=float,
        required=True,
        help="live: wall seconds to stream; files: seconds of stream time to read",
    )
    parser.add_argument("--imgsz", type=int, default=960)
    parser.add_argument("--sample-fps", type=float, default=1.0)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--zone", help="alert zone: 'x,y x,y ...' in 0-1 coordinates")
    parser.add_argument("--dwell", type=float, default=8.0, help="seconds in --zone before the alert")
    parser.add_argument(
        "--anchor",
        choices=["bottom_center", "center"],
        default="bottom_center",
        help="the box point that must be inside --zone",
    )
    args = parser.parse_args()
    args.zone = np.array([[float(v) for v in point.split(",")] for point in args.zone.split()]) if args.zone else None

    model = load_model(args.weights, args.imgsz)
    rss_warm = psutil.Process().memory_info().rss
    lock, stop = threading.Lock(), threading.Event()
    cameras = [Camera(url, model, lock, args, stop) for url in args.urls]
    print("STARTED", flush=True)
    started = time.time()
    for camera in cameras:
        camera.start()
    live = any(c.live for c in cameras)
    if live:
        time.sleep(args.seconds)
        stopped = time.time()
        stop.set()
        print("STOPPED", flush=True)
    for camera in cameras:
        camera.join(timeout=None if not live else 10)
    if not live:
        stopped = time.time()
    print(
        json.dumps(
            {
                "started": started,
                "stopped": stopped,
                "rss_warm": rss_warm,
                "imgsz_used": list(model.predictor.imgsz),
                "cameras": [
                    {
                        "first_frame_at": c.first_frame_at,
                        "looks": c.looks,
                        "decoded": c.decoded,
                        "infer_s": c.infer_s,
                        "error": c.error,
                        "alerts": c.alerts,
                    }
                    for c in cameras
                ],
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
