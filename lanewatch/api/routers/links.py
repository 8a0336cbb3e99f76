"""/links: evidence pictures opened by a signed, expiring link (no sign-in), for robot and SMS messages.

The link itself is the permission (`lanewatch.events.links.LinkSigner`): it
opens one violation's annotated picture until it expires, and nothing else.
Refusals are plain sentences in the reader's language, since the reader is
a person who tapped a link in a chat group, not a program.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from sqlmodel import Session

from lanewatch.api.deps import RuntimeDep
from lanewatch.api.errors import ErrorBody, language, responses
from lanewatch.api.routers.violations import evidence_path
from lanewatch.store.tables import ViolationRow
from lanewatch.words import t

router = APIRouter(prefix="/links", tags=["links"])


@router.get(
    "/snapshot/{violation_id}.jpg",
    response_class=Response,
    summary="Evidence picture by signed link",
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "JPEG picture."},
        **responses(403, 404),
        410: {"model": ErrorBody, "description": "The link has expired."},
    },
)
def snapshot_by_link(
    request: Request,
    runtime: RuntimeDep,
    violation_id: Annotated[str, Path(min_length=1, max_length=64)],
    exp: Annotated[int, Query(ge=0, le=2**40, description="Expiry, Unix seconds.")],
    sig: Annotated[str, Query(min_length=64, max_length=64, pattern="^[0-9a-fA-F]+$", description="HMAC-SHA256.")],
) -> Response:
    """The annotated evidence picture of a violation, for the holder of a link from a message."""
    lang = language(request)
    signer = getattr(runtime, "links", None)
    if signer is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=t("links.disabled", lang))
    problem = signer.check(violation_id, exp, sig, time.time())
    if problem == "invalid":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=t("links.invalid", lang))
    if problem == "expired":
        raise HTTPException(status.HTTP_410_GONE, detail=t("links.expired", lang))
    with Session(runtime.engine) as session:
        row = session.get(ViolationRow, violation_id)
        stored = row.snapshot if row is not None else None
    path = evidence_path(runtime.evidence_dir, stored) if stored else None
    try:
        data = path.read_bytes() if path is not None else None
    except OSError:
        data = None
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=t("links.not_found", lang))
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})
