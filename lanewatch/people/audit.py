"""The audit: who changed which zone, camera, device, person or organisation, and who handled what.

`record` adds the row to the caller's session, so the audit entry commits
(or rolls back) with the change it describes: a change never lands without
its entry, and an entry never names a change that did not land.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from lanewatch.people.caller import Caller
from lanewatch.store.people_tables import AuditRow

SECRET_FIELDS = frozenset({"password", "password_hash", "secret", "key_hash", "source_url", "token_hash"})
"""Never written into the audit (a camera URL may hold its password)."""


def _clean(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: ("***" if k in SECRET_FIELDS else v) for k, v in values.items()}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value differs, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)] + [k for k in before if k not in after]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    session: Session,
    caller: Caller | None,
    action: str,
    target_kind: str,
    target_id: str,
    *,
    org_pk: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRow:
    """Add an audit row for `action` on a target (``caller`` None: the system itself) to `session`."""
    row = AuditRow(
        actor_kind=caller.kind if caller is not None else "system",
        actor_pk=caller.pk if caller is not None else None,
        actor_name=caller.name if caller is not None else "system",
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        org_pk=org_pk,
        before=_clean(before),
        after=_clean(after),
    )
    session.add(row)
    return row
