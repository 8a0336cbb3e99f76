"""/api/webhooks: subscriptions (WEBHOOKS_MANAGE), their recent deliveries, and test deliveries.

A webhook created by a scoped caller gets the caller's organisation and is
sent only events of cameras and devices in that organisation's subtree (the
rule lives in `lanewatch.store.outbox.add_delivery`); a scoped caller sees
and changes only the webhooks inside its scope.

The secret is write-only: the answer to the POST that creates a webhook
carries it once (generated unless given); every later answer shows only its
last four characters.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlmodel import Session, col, delete, select

from lanewatch.api.auth import require_permission
from lanewatch.api.deps import SessionDep, StrictJSONRoute
from lanewatch.api.errors import ApiError, responses
from lanewatch.api.org_ref import OrgRef, org_ref
from lanewatch.api.permits import WebhookManager
from lanewatch.events.bus import EVENT_TYPES, valid_pattern
from lanewatch.people.roles import Permission
from lanewatch.people.scope import Scope, scoped
from lanewatch.store.outbox import add_delivery
from lanewatch.store.tables import OutboxRow, WebhookRow, as_utc, utcnow

router = APIRouter(
    tags=["webhooks"],
    route_class=StrictJSONRoute,
    dependencies=[Depends(require_permission(Permission.WEBHOOKS_MANAGE))],
)


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ValueError("must be an http:// or https:// URL with a host")
    return url


def _check_patterns(patterns: list[str]) -> list[str]:
    bad = [p for p in patterns if not valid_pattern(p)]
    if bad:
        raise ValueError(
            f"unknown event type(s) {', '.join(map(repr, bad))}: use '*', a prefix such as "
            f"'violation.*' or 'camera.*', or one of {', '.join(EVENT_TYPES)}"
        )
    return list(dict.fromkeys(patterns))


WebhookUrl = Annotated[
    str,
    AfterValidator(_check_url),
    Field(min_length=1, max_length=2000, title="URL", description="Where deliveries are POSTed (http or https)."),
]
EventPatterns = Annotated[
    list[str],
    AfterValidator(_check_patterns),
    Field(
        min_length=1,
        max_length=20,
        title="Events",
        description="Event types to deliver: '*', a prefix ('violation.*', 'camera.*') or exact types "
        f"({', '.join(EVENT_TYPES)}).",
    ),
]
Secret = Annotated[
    str,
    Field(
        min_length=16,
        max_length=200,
        title="Signing secret",
        description="HMAC-SHA256 key for X-Lanewatch-Signature; write-only.",
    ),
]
Description = Annotated[str | None, Field(max_length=500, title="Description")]
WebhookPk = Annotated[int, Path(ge=1, le=2**31 - 1, title="Webhook number", description="The webhook's `pk`.")]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl
    events: EventPatterns = ["*"]
    secret: Secret | None = Field(None, description="Default: a random secret, returned in this answer only.")
    description: Description = None
    enabled: bool = True


class WebhookPatch(BaseModel):
    """Only the fields sent change; a new `secret` rotates it."""

    model_config = ConfigDict(extra="forbid")

    # The None defaults only stand for "not sent" (read through model_fields_set; pydantic does not validate
    # defaults), so a sent null is still refused and the schema stays non-nullable: hence the ignores.
    url: WebhookUrl = None  # type: ignore[assignment]  # "not sent", see above
    events: EventPatterns = None  # type: ignore[assignment]  # "not sent", see above
    secret: Secret = None  # type: ignore[assignment]  # "not sent", see above
    description: Description = None
    enabled: bool = None  # type: ignore[assignment]  # "not sent", see above


class WebhookOut(BaseModel):
    pk: int
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    created_at: datetime
    org: OrgRef | None = Field(
        None, description="Only events of cameras and devices in this organisation's subtree; null: all."
    )
    secret: str = Field(
        description="The full secret in the answer that creates the webhook; "
        "afterwards '****' and its last 4 characters."
    )


class DeliveryOut(BaseModel):
    pk: int = Field(description="Also sent as X-Lanewatch-Delivery.")
    event_type: str
    idempotency_key: str
    attempts: int = Field(description="Delivery attempts so far, the successful one included.")
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    created_at: datetime
    payload: dict[str, Any]


def _mask(secret: str) -> str:
    return "****" + secret[-4:]


def _pk(pk: int | None) -> int:
    assert pk is not None  # a row read from the table, or refreshed after its commit, has its primary key
    return pk


def _out(session: Session, row: WebhookRow, *, reveal: bool = False) -> WebhookOut:
    return WebhookOut(
        org=org_ref(session, row.org_pk),
        pk=_pk(row.pk),
        url=row.url,
        events=row.events,
        description=row.description,
        enabled=row.enabled,
        created_at=as_utc(row.created_at),
        secret=row.secret if reveal else _mask(row.secret),
    )


def _delivery(row: OutboxRow) -> DeliveryOut:
    return DeliveryOut(
        pk=_pk(row.pk),
        event_type=row.event_type,
        idempotency_key=row.idempotency_key,
        attempts=row.attempts,
        next_attempt_at=as_utc(row.next_attempt_at),
        delivered_at=as_utc(row.delivered_at),
        last_error=row.last_error,
        created_at=as_utc(row.created_at),
        payload=row.payload,
    )


def _get(session: Session, pk: int, scope: Scope) -> WebhookRow:
    """The webhook, or 404 (the same for one outside `scope`)."""
    row = session.get(WebhookRow, pk)
    if row is None or not scope.allows(row.org_pk):
        raise ApiError(status.HTTP_404_NOT_FOUND, "api.webhook.none", pk=pk)
    return row


@router.get("/webhooks", responses=responses(401, 403))
def list_webhooks(session: SessionDep, caller: WebhookManager) -> list[WebhookOut]:
    return [
        _out(session, r)
        for r in session.exec(scoped(select(WebhookRow), caller.scope, WebhookRow).order_by(col(WebhookRow.pk)))
    ]


@router.post("/webhooks", status_code=status.HTTP_201_CREATED, responses=responses(401, 403, 422))
def create_webhook(body: WebhookCreate, session: SessionDep, caller: WebhookManager) -> WebhookOut:
    """Subscribe a URL; the answer is the only one that shows the secret. It hears the caller's scope."""
    row = WebhookRow(
        org_pk=caller.org_pk if not caller.scope.unlimited else None,
        url=body.url,
        events=body.events,
        description=body.description,
        enabled=body.enabled,
        secret=body.secret or "whsec_" + secrets.token_urlsafe(24),
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return _out(session, row, reveal=True)


@router.get("/webhooks/{pk}", responses=responses(401, 403, 404))
def get_webhook(pk: WebhookPk, session: SessionDep, caller: WebhookManager) -> WebhookOut:
    return _out(session, _get(session, pk, caller.scope))


@router.patch("/webhooks/{pk}", responses=responses(401, 403, 404, 422))
def update_webhook(pk: WebhookPk, body: WebhookPatch, session: SessionDep, caller: WebhookManager) -> WebhookOut:
    row = _get(session, pk, caller.scope)
    for field in body.model_fields_set:
        setattr(row, field, getattr(body, field))
    session.add(row)
    session.commit()
    session.refresh(row)
    return _out(session, row)


@router.delete("/webhooks/{pk}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 404))
def delete_webhook(pk: WebhookPk, session: SessionDep, caller: WebhookManager) -> Response:
    """Remove the subscription and its deliveries, pending ones included."""
    row = _get(session, pk, caller.scope)
    session.exec(delete(OutboxRow).where(col(OutboxRow.webhook_pk) == pk))
    session.delete(row)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhooks/{pk}/deliveries", responses=responses(401, 403, 404, 422))
def list_deliveries(
    pk: WebhookPk,
    session: SessionDep,
    caller: WebhookManager,
    limit: int = Query(50, ge=1, le=500, description="Most recent first."),
) -> list[DeliveryOut]:
    _get(session, pk, caller.scope)
    query = select(OutboxRow).where(OutboxRow.webhook_pk == pk).order_by(col(OutboxRow.pk).desc()).limit(limit)
    rows = session.exec(query)
    return [_delivery(r) for r in rows]


@router.post("/webhooks/{pk}/test", status_code=status.HTTP_202_ACCEPTED, responses=responses(401, 403, 404, 409))
def test_webhook(pk: WebhookPk, session: SessionDep, caller: WebhookManager) -> DeliveryOut:
    """Queue a `webhook.test` delivery to this webhook, whatever events it subscribes to."""
    row = _get(session, pk, caller.scope)
    if not row.enabled:
        raise ApiError(status.HTTP_409_CONFLICT, "api.webhook.disabled", pk=pk)
    payload = {
        "type": "webhook.test",
        "webhook": pk,
        "at": utcnow().isoformat(),
        "detail": "test delivery from lanewatch",
    }
    delivery = add_delivery(session, pk, "webhook.test", payload, f"test:{uuid.uuid4().hex}")
    assert delivery is not None  # the key is fresh (a new uuid), so it is never a duplicate
    session.commit()
    session.refresh(delivery)
    return _delivery(delivery)
