"""A tiny real webhook receiver on 127.0.0.1 (``http.server`` in a thread) for delivery tests.

It checks every request's signature with `verify_signature`, answers the
statuses it is given (then 200) and records what it got.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lanewatch.events.signature import verify_signature


class Receiver:
    def __init__(self, secret: str, port: int = 0, statuses: list[int] | None = None) -> None:
        self.secret = secret
        self.statuses = list(statuses or [])
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append(
                        {
                            "headers": dict(self.headers),
                            "body": body,
                            "status": status,
                            "valid": verify_signature(
                                receiver.secret,
                                self.headers["X-Lanewatch-Timestamp"],
                                body,
                                self.headers["X-Lanewatch-Signature"],
                            ),
                            "at": time.monotonic(),
                        }
                    )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def delivered(self) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if 200 <= r["status"] < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    """A port nothing listens on (yet): a receiver that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
