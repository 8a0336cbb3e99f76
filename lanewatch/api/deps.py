"""What every router uses: the runtime, a database session, strict JSON bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from lanewatch.api.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    """The service's runtime (async: FastAPI runs a sync dependency in a worker thread, ~0.2 ms of CPU)."""
    return request.app.state.runtime


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request on the runtime's engine (shared by the auth check and the route).

    Opening a session touches no connection, so it happens here on the event loop; ending one that still
    holds a connection is a round trip, so that goes to a worker thread. Why not a sync generator: FastAPI
    would spend a thread hop on each end, and `GET /api/violations` is polled.

    A read (GET, HEAD) that succeeded ends its transaction with COMMIT, after detaching every object the
    session holds, so nothing the route changed in memory is written. Why: psycopg forgets its prepared
    statements at each ROLLBACK, so when every request ended in one, PostgreSQL parsed and planned the key
    check and the page query afresh for each request. Every other request, and a read that failed, ends
    with ROLLBACK: what a route did not commit itself is not kept."""
    session = Session(request.app.state.runtime.engine)
    try:
        yield session
    except BaseException:
        await _end(session, keep=False)
        raise
    await _end(session, keep=request.method in READS)


READS = frozenset({"GET", "HEAD"})


async def _end(session: Session, *, keep: bool) -> None:
    """COMMIT (`keep`) or ROLLBACK the request's transaction and give its connection back, even while the
    request is being cancelled (a client that hung up): else the connection would stay out of the pool."""
    if not session.in_transaction():
        session.close()  # no connection held: nothing to send
        return
    if keep:
        session.expunge_all()  # nothing pending or changed goes out with the COMMIT
    with anyio.CancelScope(shield=True):
        if keep:
            await run_in_threadpool(_commit_and_close, session)
        else:
            await run_in_threadpool(session.close)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[Session, Depends(get_session)]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_text(value: Any) -> None:
    """Reject text no database can store: NUL characters and unpaired UTF-16 surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL (\\u0000) characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text contains an unpaired UTF-16 surrogate escape") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


def loads_strict(body: bytes | str) -> Any:
    """`json.loads` that refuses NaN/Infinity and text a database would choke on.

    Every refusal is a `json.JSONDecodeError`, which FastAPI answers with a 422.
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    try:
        value = json.loads(text, parse_constant=_reject_constant)
        _check_text(value)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        raise json.JSONDecodeError(str(exc), text, 0) from None
    return value


class _StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = loads_strict(body)
            except UnicodeDecodeError:
                raise json.JSONDecodeError("the body is not UTF-8 text", "", 0) from None
        return self._json


class StrictJSONRoute(APIRoute):
    """A route whose JSON body is parsed with `loads_strict` (so bad text is a 422, never a 500 later)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(_StrictJSONRequest(request.scope, request.receive))

        return strict_handler
