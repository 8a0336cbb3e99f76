"""/api/audit: who changed which zone, camera, device, person or organisation, and who handled what.

Newest first, in pages (``before``: the smallest ``pk`` of the previous
page). Filtered to the caller's scope like every other list: an entry belongs
to the organisation of the record it is about.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select

from lanewatch.api.auth import require_permission
from lanewatch.api.deps import SessionDep
from lanewatch.api.errors import responses
from lanewatch.people.caller import Caller
from lanewatch.people.roles import Permission
from lanewatch.people.scope import scoped
from lanewatch.store.people_tables import AuditRow
from lanewatch.store.tables import as_utc

router = APIRouter(prefix="/audit", tags=["audit"])
AuditReader = Annotated[Caller, Depends(require_permission(Permission.AUDIT_READ))]


class AuditOut(BaseModel):
    """One change: who (a person, a key or the system), what, on which record, and the fields before and after."""

    pk: int = Field(title="Entry number")
    at: datetime = Field(title="When")
    actor_kind: str = Field(title="Who: kind", description="person, key or system.")
    actor_name: str = Field(title="Who")
    action: str = Field(title="Action", description="e.g. zone.update, person.create, session.sign_in_failed.")
    target_kind: str = Field(title="Record kind")
    target_id: str = Field(title="Record id")
    org_pk: int | None = Field(title="Organisation number")
    before: dict[str, Any] | None = Field(title="Before", description="The changed fields before (never secrets).")
    after: dict[str, Any] | None = Field(title="After", description="The changed fields after.")


@router.get("", response_model=list[AuditOut], responses=responses(401, 403, 422), summary="The audit, newest first")
def list_audit(
    session: SessionDep,
    caller: AuditReader,
    target_kind: Annotated[
        str | None, Query(max_length=32, title="Record kind", description="e.g. zone, person.")
    ] = None,
    target_id: Annotated[str | None, Query(max_length=200, title="Record id")] = None,
    action: Annotated[
        str | None, Query(max_length=64, title="Action", description="e.g. violation.acknowledge")
    ] = None,
    before: Annotated[
        int | None, Query(ge=1, title="Before entry", description="Next page: entries below this pk.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, title="At most")] = 100,
) -> list[AuditOut]:
    query = select(AuditRow)
    for column, value in (
        (AuditRow.target_kind, target_kind),
        (AuditRow.target_id, target_id),
        (AuditRow.action, action),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    if before is not None:
        query = query.where(col(AuditRow.pk) < before)
    query = scoped(query, caller.scope, AuditRow).order_by(col(AuditRow.pk).desc()).limit(limit)
    return [
        AuditOut(
            pk=row.pk,  # type: ignore[arg-type]
            at=as_utc(row.at),
            actor_kind=row.actor_kind,
            actor_name=row.actor_name,
            action=row.action,
            target_kind=row.target_kind,
            target_id=row.target_id,
            org_pk=row.org_pk,
            before=row.before,
            after=row.after,
        )
        for row in session.exec(query)
    ]
