"""Without a key or a sign-in every route answers 401, except the few that must be public.

The test walks `app.routes`, so a new route is covered the day it is added: one that forgets its
dependency fails here, and so does a new public one until it is named below.
"""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

PUBLIC = {
    ("GET", "/api/health"),  # for load balancers and monitors
    ("POST", "/api/session"),  # signing in
    ("GET", "/words/{lang}.json"),  # the sign-in page needs its words
    ("GET", "/links/snapshot/{violation_id}.jpg"),  # a robot message's evidence link: signed, expiring
    ("GET", "/"),
    ("GET", "/editor"),
    ("GET", "/phone"),
    ("GET", "/console"),
    ("GET", "/signin"),
    ("GET", "/people"),
    ("GET", "/sites"),
    ("GET", "/manifest.webmanifest"),
    ("GET", "/sw.js"),
    ("GET", "/web/{asset:path}"),
}
"""Pages and assets hold nothing secret: every record they show comes from the API, with credentials."""


def api_routes(routes, prefix: str = ""):
    """(method, path) of every APIRoute; FastAPI ≥ 0.160 keeps an included router whole, under its prefix."""
    for route in routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                yield method, prefix + route.path
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes, prefix + route.include_context.prefix)


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_but_the_public_ones_needs_credentials(client) -> None:
    app = client.app
    checked, public = 0, set()
    for method, path in api_routes(app.routes):  # /openapi.json and /docs: plain routes, public by design
        if (method, path) in PUBLIC:
            public.add((method, path))
            continue
        body = {} if method in ("POST", "PUT", "PATCH") else None
        r = client.request(method, _fill(path), json=body)
        assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
        checked += 1
    assert public == PUBLIC  # each public route still exists (the list is not stale)
    assert checked > 40


def test_a_dead_or_forged_cookie_is_no_sign_in(client) -> None:
    client.cookies.set("lw_session", "forged-token")
    r = client.get("/api/cameras")
    assert r.status_code == 401 and "登录已过期" in r.json()["detail"]
