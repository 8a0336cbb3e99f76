"""Start, kill and restart the real RTSP test server (``rtsp_server.py``) from tests.

The server needs GStreamer's Python bindings, which live in Debian's system
Python, so it runs as ``/usr/bin/python3`` in a child process; tests talk to
it over RTSP like to a camera.
"""

from __future__ import annotations

import functools
import os
import selectors
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
_PROBE = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
    "from gi.repository import Gst, GstRtspServer"
)


@functools.cache
def gst_rtsp_missing() -> str | None:
    """Why the server cannot run here, or ``None`` when it can."""
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} not found"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", _PROBE], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return (
            f"{SYSTEM_PYTHON} cannot import gi GstRtspServer (install python3-gi "
            f"gir1.2-gst-rtsp-server-1.0): {probe.stderr.strip().splitlines()[-1:]}"
        )
    return None


def require_gst_rtsp() -> None:
    """Skip the calling test without GStreamer's RTSP server; in CI, fail instead."""
    reason = gst_rtsp_missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"RTSP test server unavailable in CI: {reason}")
    pytest.skip(f"RTSP test server unavailable: {reason}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RtspServer:
    """One RTSP server process serving ``files`` as ``rtsp://127.0.0.1:PORT/NAME``.

    The port is chosen once and kept, so ``kill()`` followed by ``start()``
    brings the "camera" back at the same URL. Use as a context manager, or
    call ``start()`` / ``stop()``.
    """

    def __init__(
        self,
        files: Mapping[str, Path],
        port: int | None = None,
        ready_timeout_s: float = 15.0,
        start_delays_s: Mapping[str, float] | None = None,
    ) -> None:
        """``start_delays_s``: a mount's file starts playing this long after READY (so that several
        cameras' key frames are not in step, as real cameras' are not)."""
        if not files:
            raise ValueError("RtspServer needs at least one file to serve")
        self.files = {name.strip("/"): Path(path) for name, path in files.items()}
        self.port = port or free_port()
        self.ready_timeout_s = ready_timeout_s
        self.start_delays_s = dict(start_delays_s or {})
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 -- the server's stderr for its lifetime; read on failure

    def url(self, name: str, *, userinfo: str | None = None) -> str:
        """URL of a mount; ``userinfo`` ("user:password") is put in it as cameras do."""
        if name not in self.files:
            raise KeyError(f"no mount {name!r}; serving {sorted(self.files)}")
        auth = f"{userinfo}@" if userinfo else ""
        return f"rtsp://{auth}127.0.0.1:{self.port}/{name}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> RtspServer:
        """Launch the server and wait for READY; retries while the port is still being released."""
        if self.running:
            return self
        command = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port), "--exit-with-stdin"]
        for name, path in self.files.items():
            command += ["--mount", f"{name}={path}"]
        for name, delay in self.start_delays_s.items():
            command += ["--start-delay", f"{name}={delay:g}"]
        deadline = time.monotonic() + self.ready_timeout_s
        while True:
            self._stderr.seek(0)
            self._stderr.truncate()
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr
            )
            if self._wait_ready(deadline):
                return self
            self.kill()
            self._stderr.seek(0)
            errors = self._stderr.read().decode(errors="replace")
            if "cannot listen" not in errors or time.monotonic() >= deadline:
                raise RuntimeError(f"RTSP server on port {self.port} did not get ready: {errors[-2000:]}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the server, as a crashed camera or a pulled cable would look."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=10)
        self._close_pipes()

    def pause(self) -> None:
        """SIGSTOP the server: connections stay open but nothing is sent (a hung camera)."""
        assert self._process is not None and self.running, "server not running"
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT a paused server."""
        if self.running:
            assert self._process is not None
            self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Ask the server to quit, killing it if it does not within 5 s."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self.resume()  # a paused process would not act on SIGTERM
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self._close_pipes()
        self._process = None

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self._stderr.close()

    def _wait_ready(self, deadline: float) -> bool:
        assert self._process is not None and self._process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            output = b""
            while (left := deadline - time.monotonic()) > 0:
                if not selector.select(timeout=left):
                    continue
                chunk = os.read(self._process.stdout.fileno(), 4096)
                if not chunk:  # exited (e.g. port still taken)
                    return False
                output += chunk
                if b"READY" in output:
                    return True
        return False

    def _close_pipes(self) -> None:
        assert self._process is not None
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()
