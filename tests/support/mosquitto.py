"""A real Mosquitto broker on 127.0.0.1 for tests and benchmarks (Debian's `mosquitto`).

The broker gets a temporary config that listens on one free port on
127.0.0.1 only, allows anonymous clients and keeps nothing on disk, so a
`restart()` is what a crashed and restarted broker looks like to a client:
the same address, every session and queued message gone. `stop()` +
`start()` keep the port, which is what reconnect tests need.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.rtsp import free_port


class MosquittoUnavailable(RuntimeError):
    """The `mosquitto` binary is not installed."""


def find_mosquitto() -> str:
    for candidate in (shutil.which("mosquitto"), "/usr/sbin/mosquitto"):
        if candidate and Path(candidate).is_file():
            return candidate
    raise MosquittoUnavailable("mosquitto not found; install Debian's `mosquitto` package")


class Mosquitto:
    """One broker process; `start()`, `stop()`, `restart()`, `close()` (stop and delete the temp dir)."""

    def __init__(self, port: int | None = None, extra_config: str = "") -> None:
        self.binary = find_mosquitto()
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.root = Path(tempfile.mkdtemp(prefix="lanewatch-mosquitto-", dir="/tmp"))
        self.config_path = self.root / "mosquitto.conf"
        self.config_path.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "log_dest stderr\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            f"{extra_config}"
        )
        self.log_path = self.root / "mosquitto.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker and return once it accepts connections."""
        if self.process is not None and self.process.poll() is None:
            return
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [self.binary, "-c", str(self.config_path)], stdout=log, stderr=subprocess.STDOUT, cwd=self.root
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM (then SIGKILL) and wait: every client connection drops."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Mosquitto:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
