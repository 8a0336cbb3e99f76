"""A tiny real HTTP receiver on 127.0.0.1 (``http.server`` in a thread) for delivery tests.

For webhooks it checks every request's signature with `verify_signature`;
for vendors' robot APIs it answers the JSON it is given. Either way it
answers what it is told (then a default) and records what it got.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from lanewatch.events.signature import verify_signature


class Receiver:
    """Records every POST, GET and PUT (method, path, query, headers, body, JSON); answers are queued, then a default.

    For lanewatch's own webhooks give `secret`: each request's signature is
    checked (`valid`). For a vendor's robot API (WeCom, DingTalk, Feishu, SMS)
    give `answers` as (status, JSON body) pairs and a `default_answer`.
    """

    def __init__(
        self,
        secret: str | None = None,
        port: int = 0,
        statuses: list[int] | None = None,
        *,
        answers: list[tuple[int, dict]] | None = None,
        default_answer: dict | None = None,
    ) -> None:
        self.secret = secret
        self.answers: list[tuple[int, dict | None]] = [(s, None) for s in statuses or []] + list(answers or [])
        self.default_answer = default_answer
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                split = urlsplit(self.path)
                with receiver.lock:
                    status, answer = receiver.answers.pop(0) if receiver.answers else (200, receiver.default_answer)
                    receiver.requests.append(
                        {
                            "method": self.command,
                            "path": split.path,
                            "raw_query": split.query,
                            "query": parse_qs(split.query),
                            "headers": dict(self.headers),
                            "body": body,
                            "raw": body,
                            "json": _json_or_none(body),
                            "status": status,
                            "valid": receiver._signed(self.headers, body),
                            "at": time.monotonic(),
                        }
                    )
                data = b"ok" if answer is None and receiver.default_answer is None else json.dumps(answer).encode()
                self.send_response(status)
                if data != b"ok":
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST  # a speaker's "play clip" may be any of them

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.base}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def _signed(self, headers, body: bytes) -> bool | None:
        """Whether a lanewatch webhook signature checks out (None when no secret was given)."""
        if self.secret is None:
            return None
        timestamp, signature = headers.get("X-Lanewatch-Timestamp"), headers.get("X-Lanewatch-Signature")
        if timestamp is None or signature is None:
            return False
        return verify_signature(self.secret, timestamp, body, signature)

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


def _json_or_none(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None
