"""The words of the pages, one merged catalogue per language, served as JSON without credentials.

The sign-in page needs its words before anyone signs in, and nothing in a catalogue is secret.
Answered like the other static assets (`Cache-Control: no-cache` and an ETag), so an upgraded
service's words reach the browser at once and an unchanged catalogue costs a 304.

`/words/default.json` is the deployment's language (config `language`): a page asks for it when neither
the person's setting nor the browser's languages name one lanewatch speaks; `Content-Language` says which.
"""

from __future__ import annotations

import json
from functools import lru_cache
from hashlib import sha256

from fastapi import APIRouter, Request, Response, status

from lanewatch.api.errors import ApiError
from lanewatch.words import SUPPORTED, catalogue, default_language

router = APIRouter()


@lru_cache(maxsize=len(SUPPORTED))
def _body(lang: str) -> tuple[bytes, str]:
    body = json.dumps(catalogue(lang), ensure_ascii=False, sort_keys=True).encode("utf-8")
    return body, '"' + sha256(body).hexdigest()[:20] + '"'


@router.get("/words/{lang}.json", include_in_schema=False)
def words(lang: str, request: Request) -> Response:
    """Every key → text of `lang` (zh-CN or en, or `default`: the deployment's language)."""
    if lang == "default":
        lang = default_language()
    if lang not in SUPPORTED:
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.words.none", language=lang, known=", ".join(SUPPORTED))
    body, etag = _body(lang)
    headers = {"Cache-Control": "no-cache", "ETag": etag, "X-Content-Type-Options": "nosniff", "Content-Language": lang}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type="application/json; charset=utf-8", headers=headers)
