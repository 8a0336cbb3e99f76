"""One error body for every failure: ``{"detail": "...", "errors": [...]?}``.

`detail` is always one readable sentence; validation failures add `errors`,
one entry per problem with its location. Submitted values are never echoed
back (a camera URL in a rejected body may hold a password).

The generic sentences here are in the request's language: a person's setting
(``request.state.language``, where the sign-in code sets it), else Accept-Language, else the
deployment's language (zh-CN). Routes raise `ApiError(status, key, **params)` with a catalogue key
(area `api`); the handler words it in the request's language, so a router never picks a language.
Pydantic's own per-field messages (in `errors`) stay as pydantic writes them.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException

from lanewatch.words import catalogue, negotiate, t
from lanewatch.words.said import Said, say
from lanewatch.zones.zone import ZoneError

log = logging.getLogger(__name__)


class Problem(BaseModel):
    loc: list[str | int] = Field(
        title="Location", description="Where: 'body', 'query' or 'path', then field names and indexes."
    )
    msg: str = Field(title="Message", description="What is wrong, in plain words.")
    type: str = Field(title="Kind", description="Machine-readable kind of problem (pydantic's error type).")


class ErrorBody(BaseModel):
    """What every 4xx/5xx answer carries."""

    detail: str = Field(title="Detail", description="What went wrong, in one readable sentence.")
    errors: list[Problem] | None = Field(None, title="Problems", description="Each invalid field (422 only).")


_DESCRIPTIONS = {
    401: "No API key, an unknown key or a revoked key.",
    403: "The key's role is too low for this.",
    404: "Unknown id.",
    409: "Conflicts with the current state (duplicate id, wrong lifecycle step).",
    413: "Request body larger than the server accepts.",
    422: "Invalid input: malformed JSON, a field out of range, a bad polygon, a naive datetime.",
    503: "Not available right now.",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the error codes a route can answer."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


def language(request: Request) -> str:
    """The language to answer `request` in: the person's setting, else Accept-Language, else the default."""
    return negotiate(request.headers.get("accept-language"), getattr(request.state, "language", None))


def _where(loc: tuple[int | str, ...], lang: str | None = None) -> str:
    head, *rest = loc or ("body",)
    path = ""
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if head == "body":
        return path or t("errors.request-body", lang)
    if path and f"errors.place.{head}" in catalogue("en"):
        return t("errors.parameter", lang, place=t(f"errors.place.{head}", lang), name=repr(path))
    return f"{head} parameter {path!r}" if path else str(head)


def describe(error: dict[str, Any], lang: str | None = None) -> str:
    """One validation error as a sentence in `lang` (default: the deployment's language)."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":
        loc = error.get("loc", ())
        at = t("errors.json-at", lang, position=loc[1]) if len(loc) > 1 and isinstance(loc[1], int) and loc[1] else ""
        return t("errors.json-invalid", lang, error=ctx.get("error", t("errors.json-decode", lang)), at=at)
    cause = ctx.get("error")
    if isinstance(cause, ZoneError):
        return cause.words(lang)  # names the zone and the problem, as a zone file report does
    where = _where(tuple(error.get("loc", ())), lang)
    if kind == "missing":
        return t("errors.missing", lang, where=where)
    if kind == "extra_forbidden":
        return t("errors.extra", lang, where=where)
    if kind == "string_pattern_mismatch" and isinstance(error.get("input"), str):
        # patterns guard ids, never secrets
        return t("errors.pattern", lang, where=where, message=error["msg"], value=repr(error["input"][:40]))
    return t("errors.field", lang, where=where, message=error["msg"].removeprefix("Value error, "))


def validation_body(errors: list[dict[str, Any]], lang: str | None = None) -> dict[str, Any]:
    messages = [describe(e, lang) for e in errors]
    summary = (
        messages[0] if len(messages) == 1 else t("errors.problems", lang, count=len(messages), list="; ".join(messages))
    )
    problems = [
        Problem(loc=[p for p in e.get("loc", ()) if isinstance(p, (str, int))], msg=m, type=e["type"])
        for e, m in zip(errors, messages, strict=True)
    ]
    return {"detail": summary, "errors": [p.model_dump() for p in problems]}


class ApiError(HTTPException):
    """A route's refusal named by its catalogue key; the handler words it in the request's language.

    `detail` holds the English sentence (for logs and direct callers); `problems`, when given,
    become the 422 `errors` list as they are.
    """

    def __init__(
        self,
        status_code: int,
        key: str,
        *,
        headers: dict[str, str] | None = None,
        problems: list[str] | None = None,
        problem_kind: str = "value_error",
        **params: Any,
    ) -> None:
        super().__init__(status_code, detail=say(key, "en", **params), headers=headers)
        self.key = key
        self.params = params
        self.problems = (
            [Problem(loc=["body"], msg=p, type=problem_kind) for p in problems] if problems is not None else None
        )

    @classmethod
    def of(cls, status_code: int, error: Said, *, headers: dict[str, str] | None = None) -> ApiError:
        """The answer for a domain error that carries its own key (an alarm step refused, an unknown alarm)."""
        return cls(status_code, error.key, headers=headers, **error.params)


class Unprocessable(HTTPException):
    """A 422 found by the route itself (e.g. a whole zone file), with one entry per problem."""

    def __init__(self, detail: str, problems: list[str], kind: str = "value_error") -> None:
        super().__init__(422, detail=detail)
        self.problems = [Problem(loc=["body"], msg=p, type=kind) for p in problems]


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code in (404, 405) and detail == HTTPStatus(exc.status_code).phrase:  # Starlette's own words
        detail = t(f"errors.status.{exc.status_code}", language(request))
    if isinstance(exc, ApiError):
        detail = say(exc.key, language(request), **exc.params)
    body: dict[str, Any] = {"detail": detail}
    problems = exc.problems if isinstance(exc, (Unprocessable, ApiError)) else None
    if problems is not None:
        body["errors"] = [p.model_dump() for p in problems]
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(validation_body(list(exc.errors()), language(request)), status_code=422)


async def _data_error(request: Request, exc: DataError) -> JSONResponse:
    # A value the database refused (too long, out of range, a NUL in a query parameter): the client's input.
    log.info("database refused a value: %s", type(exc.orig).__name__)
    return JSONResponse({"detail": t("errors.database-refused", language(request))}, status_code=422)


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", type(exc).__name__)
    return JSONResponse({"detail": t("errors.database-down", language(request))}, status_code=503)


def install_error_handlers(app: FastAPI) -> None:
    # `exception_handler(cls)` registers like `add_exception_handler`, but is typed to take a handler of that
    # class's exception (Starlette's `add_exception_handler` wants one that takes any Exception).
    app.exception_handler(HTTPException)(_http_error)
    app.exception_handler(RequestValidationError)(_validation_error)
    app.exception_handler(DataError)(_data_error)
    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(InterfaceError, _database_down)
