#!/usr/bin/python3
"""A real RTSP server on 127.0.0.1 that loops H.264 MP4 files without re-encoding.

Run it with the system Python, where Debian's python3-gi and
gir1.2-gst-rtsp-server-1.0 live (not the project's venv):

    /usr/bin/python3 tests/support/rtsp_server.py --port 8554 --mount cam1=/path/a.mp4

Each mount has one feeder pipeline that plays its file in real time, seeks
back to the start at the end, and pushes every H.264 access unit into the
mount's shared RTSP media. The access units since the last key frame are kept
and replayed into each newly created media, so its first client gets a
picture at once instead of up to a GOP later. (Clients that join a media
already playing share it and start at the next key frame.)

Prints ``READY`` (flushed) once it serves. With ``--exit-with-stdin`` it also
quits when its stdin closes, so a test run that dies leaves no server behind.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

FEEDER = (
    "filesrc name=file ! qtdemux ! h264parse config-interval=-1 ! "
    "video/x-h264,stream-format=byte-stream,alignment=au ! "
    "appsink name=sink sync=true emit-signals=true max-buffers=8"
)
MEDIA = (
    "( appsrc name=src is-live=true do-timestamp=true format=time "
    "caps=video/x-h264,stream-format=byte-stream,alignment=au "
    "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)


class Feeder:
    """Plays one file in a loop and hands its access units to the mount's media."""

    def __init__(self, path: str, loop: GLib.MainLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._since_key: list[Gst.Buffer] = []
        self._targets: list[Gst.Element] = []
        self.pipeline = Gst.parse_launch(FEEDER)
        self.pipeline.get_by_name("file").set_property("location", path)
        self.pipeline.get_by_name("sink").connect("new-sample", self._on_sample)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self._on_message)

    def attach(self, appsrc: Gst.Element) -> None:
        """Start feeding a new media, beginning with the access units since the last key frame."""
        with self._lock:
            for buffer in self._since_key:
                appsrc.emit("push-buffer", _untimed(buffer))
            self._targets.append(appsrc)

    def detach(self, appsrc: Gst.Element) -> None:
        with self._lock:
            if appsrc in self._targets:
                self._targets.remove(appsrc)

    def _on_sample(self, sink: Gst.Element) -> Gst.FlowReturn:
        buffer = sink.emit("pull-sample").get_buffer()
        with self._lock:
            if not buffer.has_flags(Gst.BufferFlags.DELTA_UNIT):
                self._since_key = []
            self._since_key.append(buffer)
            for appsrc in self._targets:
                appsrc.emit("push-buffer", _untimed(buffer))
        return Gst.FlowReturn.OK

    def _on_message(self, _bus: Gst.Bus, message: Gst.Message) -> None:
        if message.type == Gst.MessageType.EOS:
            self.pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0)
        elif message.type == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            print(f"feeder error: {error.message} ({debug})", file=sys.stderr, flush=True)
            self._loop.quit()


def _untimed(buffer: Gst.Buffer) -> Gst.Buffer:
    """A shallow copy without the file's timestamps (they restart at every loop).

    The media's appsrc stamps it with the running time instead (do-timestamp).
    """
    copy = buffer.copy()
    copy.pts = copy.dts = copy.duration = Gst.CLOCK_TIME_NONE
    return copy


def _mount(spec: str) -> tuple[str, str]:
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected name=/path/file.mp4, got {spec!r}")
    if not os.path.isfile(path):
        raise argparse.ArgumentTypeError(f"no such file: {path}")
    return name.strip("/"), path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--mount",
        type=_mount,
        action="append",
        required=True,
        help="name=/path/file.mp4 (H.264), served as rtsp://127.0.0.1:PORT/name",
    )
    parser.add_argument(
        "--start-delay",
        type=_delay,
        action="append",
        default=[],
        help="name=SECONDS: that mount's file starts playing this long after READY",
    )
    parser.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="quit when stdin reaches end of file (the parent closed it or died)",
    )
    args = parser.parse_args()

    Gst.init(None)
    loop = GLib.MainLoop()
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    feeders = []
    delays = dict(args.start_delay)
    for name, path in args.mount:
        feeder = Feeder(path, loop)
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(MEDIA)
        factory.set_shared(True)
        factory.connect("media-configure", _on_media_configure, feeder)
        server.get_mount_points().add_factory(f"/{name}", factory)
        feeders.append((feeder, delays.get(name, 0.0)))
    for feeder, delay in feeders:
        if delay > 0:
            GLib.timeout_add(int(delay * 1000), _play, feeder)
        else:
            _play(feeder)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    if args.exit_with_stdin:
        GLib.io_add_watch(
            sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_HUP | GLib.IO_IN | GLib.IO_ERR, _on_stdin, loop
        )
    for signum in (2, 15):  # SIGINT, SIGTERM
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print("READY", flush=True)
    loop.run()
    for feeder, _start_delay in feeders:
        feeder.pipeline.set_state(Gst.State.NULL)
    return 0


def _play(feeder: Feeder) -> bool:
    feeder.pipeline.set_state(Gst.State.PLAYING)
    return False  # a one-shot GLib timeout


def _delay(spec: str) -> tuple[str, float]:
    name, sep, seconds = spec.partition("=")
    try:
        if sep and float(seconds) >= 0:
            return name.strip("/"), float(seconds)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected name=SECONDS (0 or more), got {spec!r}")


def _on_media_configure(
    _factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia, feeder: Feeder
) -> None:
    appsrc = media.get_element().get_child_by_name("src")
    feeder.attach(appsrc)
    media.connect("unprepared", lambda _media: feeder.detach(appsrc))


def _on_stdin(fd: int, _condition: GLib.IOCondition, loop: GLib.MainLoop) -> bool:
    """Quit when the parent closes our stdin (or dies); ignore anything it writes."""
    if not os.read(fd, 4096):
        loop.quit()
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
