"""Run `lanewatch serve` as a real process for end-to-end tests, and read its live events."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.support.rtsp import free_port


def wait_for(condition, timeout: float = 20.0, step: float = 0.1):
    """Poll ``condition`` until it returns something truthy (returned) or ``timeout`` passes (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return None


class ServeProcess:
    """`lanewatch serve` on 127.0.0.1 with its own data dir; log in ``workdir/serve.log``."""

    def __init__(
        self, workdir: Path, database_url: str, weights: Path, config: str = "detector:\n  imgsz: 640\n"
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config = workdir / "lanewatch.yaml"
        self.config.write_text(config)
        self.env = {
            **os.environ,
            "LANEWATCH_WEIGHTS": str(weights),
            "LANEWATCH_DATA_DIR": str(workdir / "data"),
            "LANEWATCH_DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = workdir / "serve.log"
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str, stdin: str | None = None) -> str:
        return subprocess.run(
            [sys.executable, "-m", "lanewatch.cli", *args],
            env=self.env,
            cwd=self.workdir,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def start(self, timeout: float = 60) -> None:
        with open(self.log_path, "a") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "lanewatch.cli",
                    "serve",
                    "--config",
                    str(self.config),
                    "--port",
                    str(self.port),
                    "-v",
                ],
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not wait_for(self.up, timeout):
            raise AssertionError(f"lanewatch serve did not come up:\n{self.log_tail()}")

    def up(self) -> bool:
        try:
            return httpx.get(f"{self.base}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs (a power cut, the OOM killer)."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError("lanewatch serve did not stop on SIGTERM") from None

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text() if self.log_path.exists() else ""
        return "\n".join([line for line in text.splitlines() if '"GET /api/' not in line][-lines:])


class SseReader:
    """Collects the events of /api/events in a thread."""

    def __init__(self, base: str, key: str) -> None:
        self.events: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(base, key), daemon=True)
        self._thread.start()

    def _run(self, base: str, key: str) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(5.0, read=None)) as client,
                client.stream("GET", f"{base}/api/events", headers={"Authorization": f"Bearer {key}"}) as resp,
            ):
                current: dict = {}
                for line in resp.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("event:"):
                        current["event"] = line[6:].strip()
                    elif line.startswith("data:"):
                        current["data"] = json.loads(line[5:].strip())
                    elif line == "" and current:
                        self.events.append(current)
                        current = {}
        except httpx.HTTPError:
            return  # the server went away

    def close(self) -> None:
        self._stop.set()
