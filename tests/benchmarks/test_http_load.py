"""benchmarks/http_load.py: the lean load client reads whole responses, reuses connections, reports failures."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from http_load import Connections  # noqa: E402


async def _serve(responses: list[bytes]) -> tuple[asyncio.Server, list[bytes]]:
    """A server answering each request on a connection with the next of `responses`; records the requests."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while responses:
            try:
                seen.append(await reader.readuntil(b"\r\n\r\n"))
            except asyncio.IncompleteReadError:
                break
            writer.write(responses.pop(0))
            await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), seen


def test_bodies_by_length_and_chunks_are_read_whole_on_one_kept_connection() -> None:
    async def run() -> tuple[list[int], int, list[bytes]]:
        body = b'{"items": []}'
        server, seen = await _serve(
            [
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body),
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\n{}",
            ]
        )
        port = server.sockets[0].getsockname()[1]
        pool = Connections(f"http://127.0.0.1:{port}", {"Authorization": "Bearer k"}, timeout_s=5)
        statuses = [await pool.get("/api/violations?limit=50") for _ in range(3)]
        pool.close()
        server.close()
        return statuses, pool.opened, seen

    statuses, opened, seen = asyncio.run(run())
    assert statuses == [200, 200, 401]
    assert opened == 1  # each answer was read to its end, so the connection could be used again
    assert seen[0].startswith(b"GET /api/violations?limit=50 HTTP/1.1\r\n") and b"Authorization: Bearer k" in seen[0]


def test_a_closed_or_silent_server_counts_as_a_failure_not_a_hang() -> None:
    async def run() -> tuple[int, int]:
        server, _ = await _serve([b"HTTP/1.1 200 OK\r\nContent-Le"])  # cut off mid-header, then closed
        port = server.sockets[0].getsockname()[1]
        cut = await Connections(f"http://127.0.0.1:{port}", {}, timeout_s=5).get("/")
        server.close()
        await server.wait_closed()
        refused = await Connections(f"http://127.0.0.1:{port}", {}, timeout_s=5).get("/")
        return cut, refused

    assert asyncio.run(run()) == (0, 0)
