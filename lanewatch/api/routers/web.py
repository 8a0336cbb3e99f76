"""The web pages (dashboard, zone editor, phone view, duty console, people, sites), served as static files.

No build step: the pages are plain HTML, CSS and ES modules in `lanewatch/api/web/`.
Loading a page needs no sign-in (there is nothing secret in it); every API call
the page then makes carries the browser's sign-in cookie, and a 401 sends the
page to `/signin`. `GET /api/me` (routers/session.py) tells a page what the
person may do, so it shows only the actions their role allows.

Assets are answered with `Cache-Control: no-cache` and an ETag: the browser
keeps its copy but asks each time, so an upgraded service never runs stale
scripts, and an unchanged file costs a 304.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from hashlib import sha256
from pathlib import Path

from fastapi import APIRouter, Request, Response, status

from lanewatch.api.errors import ApiError

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

PAGES = {
    "": "dashboard.html",
    "editor": "editor.html",
    "phone": "phone.html",
    "console": "console.html",
    "signin": "signin.html",
    "people": "people.html",
    "sites": "sites.html",
}

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}

# Only our own scripts, styles and pictures; API calls go to this origin. Blob URLs carry the
# pictures fetched with the key (an <img> cannot send an Authorization header).
CSP = (
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

router = APIRouter()


@lru_cache(maxsize=256)
def _etag(path: Path, mtime_ns: int, size: int) -> str:
    return '"' + sha256(f"{path}:{mtime_ns}:{size}".encode()).hexdigest()[:20] + '"'


def _asset(path: Path, request: Request, extra_headers: dict[str, str] | None = None) -> Response:
    """The file with its content type and validators, or a 304 when the browser's copy is current."""
    content_type = CONTENT_TYPES.get(path.suffix)
    if content_type is None or not path.is_file():
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.web.none", path=request.url.path)
    stat = path.stat()
    etag = _etag(path, stat.st_mtime_ns, stat.st_size)
    headers = {"Cache-Control": "no-cache", "ETag": etag, "X-Content-Type-Options": "nosniff", **(extra_headers or {})}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(path.read_bytes(), media_type=content_type, headers=headers)


def _inside_web_dir(relative: str) -> Path | None:
    try:
        path = (WEB_DIR / relative).resolve()
    except (OSError, ValueError, RuntimeError):
        return None
    return path if path.is_relative_to(WEB_DIR) and path != WEB_DIR else None


def _page(name: str) -> Callable[[Request], Response]:
    def page(request: Request) -> Response:
        return _asset(
            WEB_DIR / PAGES[name], request, {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer"}
        )

    page.__name__ = f"page_{name or 'dashboard'}"
    return page


for _name in PAGES:
    router.add_api_route(f"/{_name}", _page(_name), methods=["GET"], include_in_schema=False)


@router.get("/manifest.webmanifest", include_in_schema=False)
def manifest(request: Request) -> Response:
    return _asset(WEB_DIR / "manifest.webmanifest", request)


@router.get("/sw.js", include_in_schema=False)
def service_worker(request: Request) -> Response:
    """At the root so its scope covers every page; it caches the page shell only, never /api/."""
    return _asset(WEB_DIR / "sw.js", request)


@router.get("/web/{asset:path}", include_in_schema=False)
def web_asset(asset: str, request: Request) -> Response:
    path = _inside_web_dir(asset)
    if path is None or path.suffix == ".html":  # pages are served at their own paths, with their headers
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.web.none", path=request.url.path)
    return _asset(path, request)
