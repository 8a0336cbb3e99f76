"""Bad input everywhere: one error body, 422 for malformed JSON, 413 for big bodies, never a 500."""

from __future__ import annotations

import asyncio
import json

import pytest

from .conftest import LANE

JSON = {"Content-Type": "application/json"}

WRITES = [
    ("POST", "/api/cameras"),
    ("PATCH", "/api/cameras/cam1"),
    ("POST", "/api/cameras/cam1/zones"),
    ("PUT", "/api/cameras/cam1/zones/lane-a"),
    ("PUT", "/api/cameras/cam1/zones/import"),
    ("POST", "/api/violations/cam1-lane-a-0000/ack"),
    ("POST", "/api/violations/cam1-lane-a-0000/resolve"),
    ("POST", "/api/keys"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b'{"name": ', "request body is not valid JSON: Expecting value"),
        (b"{'name': 'x'}", "request body is not valid JSON: Expecting property name"),
        (b'{"comment": NaN}', "request body is not valid JSON: NaN is not a JSON number"),
        (b'{"name": "a\\u0000b"}', "request body is not valid JSON: text must not contain NUL"),
        (b'{"name": "\\ud800"}', "request body is not valid JSON: text contains an unpaired UTF-16 surrogate"),
        (b"\xff\xfe{", "request body is not valid JSON"),
    ],
)
def test_malformed_json_is_a_clear_422(client, keys, runtime, method, path, raw, problem) -> None:
    r = client.request(method, path, content=raw, headers={**keys.headers("admin"), **JSON})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(problem), r.json()
    assert runtime.reloads == [] and runtime.bus.published == []


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_oversized_body_is_413(client, keys, runtime, method, path) -> None:
    limit = client.app.state.max_body_bytes
    big = json.dumps({"comment": "x" * (limit + 10)})
    r = client.request(method, path, content=big, headers={**keys.headers("admin"), **JSON})
    assert r.status_code == 413 and f"{limit} bytes" in r.json()["detail"]

    def chunks():  # no Content-Length: the body is counted as it arrives
        for _ in range(limit // 1000 + 2):
            yield b" " * 1000

    r = client.request(method, path, content=chunks(), headers={**keys.headers("admin"), **JSON})
    assert r.status_code == 413, r.text
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert runtime.reloads == []


def _asgi(app, method: str, path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]):
    """Drive the app directly, one `http.request` message per chunk."""
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "scheme": "http",
        "server": ("test", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
        "app": app,
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_streamed_chunks_over_the_limit_are_refused(app, keys) -> None:
    limit = app.state.max_body_bytes
    headers = [(b"authorization", f"Bearer {keys.admin}".encode()), (b"content-type", b"application/json")]
    status, body = _asgi(app, "POST", "/api/cameras", [b" " * 4096] * (limit // 4096 + 2), headers)
    assert status == 413 and "服务器接受的" in body.decode()  # no Accept-Language: the deployment's zh-CN
    english = [*headers, (b"accept-language", b"en")]
    status, body = _asgi(app, "POST", "/api/cameras", [b" " * 4096] * (limit // 4096 + 2), english)
    assert status == 413 and b"bytes this server accepts" in body
    # A Content-Length that understates the body does not get around the count.
    status, _ = _asgi(
        app, "POST", "/api/cameras", [b" " * 4096] * (limit // 4096 + 2), [*headers, (b"content-length", b"10")]
    )
    assert status == 413
    ok = json.dumps({"id": "c5", "name": "n", "source_url": "rtsp://h/s"}).encode()
    status, _ = _asgi(app, "POST", "/api/cameras", [ok[:10], ok[10:]], headers)
    assert status == 201


def test_body_limit_follows_app_state(client, keys) -> None:
    client.app.state.max_body_bytes = 10
    r = client.post("/api/cameras/cam1/zones", json=LANE, headers=keys.headers("admin"))
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/nothing-here", 404),
        ("GET", "/nothing", 404),
        ("PUT", "/api/violations", 405),
        ("DELETE", "/api/health", 405),
    ],
)
def test_unknown_routes_use_the_same_body(client, keys, method, path, status) -> None:
    r = client.request(method, path, headers=keys.headers("admin"))
    assert r.status_code == status and isinstance(r.json()["detail"], str)


@pytest.mark.parametrize(
    "path",
    [
        "/api/cameras/%00",
        "/api/cameras/cam1/zones/%00",
        "/api/violations/%00",
        "/api/violations?camera=%00",
        "/api/violations?label=%00x",
        "/api/cameras/" + "x" * 300,
    ],
)
def test_odd_ids_are_client_errors(client, keys, path) -> None:
    r = client.get(path, headers=keys.headers("admin"))
    assert r.status_code in (200, 404, 422), r.text


def test_validation_errors_list_each_problem(client, keys) -> None:
    r = client.post("/api/cameras", json={"id": "bad id", "sample_fps": -1}, headers=keys.headers("admin"))
    assert r.status_code == 422
    body = r.json()
    assert body["detail"].startswith("4 problems:")
    assert {tuple(e["loc"]) for e in body["errors"]} == {
        ("body", "id"),
        ("body", "name"),
        ("body", "source_url"),
        ("body", "sample_fps"),
    }
    assert all(set(e) == {"loc", "msg", "type"} for e in body["errors"])
