"""The alarm state machine and its audit trail.

active → acknowledged → confirmed (real fire / false alarm / test) → resolved.
Confirming straight from active records the acknowledgement too; a fire
alarm can only be resolved once confirmed (someone must say what it was);
other alarms may be resolved once acknowledged, or by the device clearing
them unless their type latches. Every step writes an audit row (who, when,
what, the comment). Each operator step is one conditional UPDATE, so two
operators acting at once cannot both succeed: the loser gets
`TransitionError`, which the API answers with a 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from lanewatch.alarms.notify import Notifier
from lanewatch.alarms.records import AlarmState, Outcome, alarm_json, priority
from lanewatch.events.bus import alarm_payload
from lanewatch.store.alarm_tables import AlarmAuditRow, AlarmRow, DeviceRow
from lanewatch.store.outbox import fit_key
from lanewatch.words.said import Code, Said, Word


class UnknownAlarm(Said, LookupError):
    """No alarm with that id (404); worded by whoever shows it (`words(lang)`)."""


class TransitionError(Said, RuntimeError):
    """The step is not allowed from the alarm's current state (409); worded by whoever shows it."""


def audit_row(
    alarm: AlarmRow, action: str, by: str, at: datetime, *, before: str | None, comment: str | None = None
) -> AlarmAuditRow:
    return AlarmAuditRow(
        alarm_id=alarm.id,
        at=at,
        action=action,
        by=by[:200],
        comment=comment,
        state_before=before,
        state_after=alarm.state,
    )


def audit(
    session: Session,
    alarm: AlarmRow,
    action: str,
    by: str,
    at: datetime,
    *,
    before: str | None,
    comment: str | None = None,
) -> None:
    """One audit row for an alarm that is already in the database."""
    session.add(audit_row(alarm, action, by, at, before=before, comment=comment))


def event_key(alarm: AlarmRow, action: str) -> str:
    """The webhook idempotency key of one step (repeats and escalations are numbered)."""
    if action == "repeated":
        return fit_key(f"{alarm.id}:repeated:{alarm.count}")
    if action == "escalated":
        return fit_key(f"{alarm.id}:escalated:{alarm.escalation_level}")
    return fit_key(f"{alarm.id}:{action}")


def emit(
    notifier: Notifier,
    alarm: AlarmRow,
    device: DeviceRow | None,
    action: str,
    by: str,
    before: dict[str, Any] | None,
    **extra: Any,
) -> dict[str, Any]:
    payload = alarm_payload(action, by, before, alarm_json(alarm, device), **extra)
    notifier.emit(payload["type"], payload, event_key(alarm, action))
    return payload


def resolve_now(alarm: AlarmRow, by: str, at: datetime, comment: str | None) -> AlarmAuditRow:
    """Close an alarm (device clears of non-latching types, a device back online); returns its audit row."""
    before = alarm.state
    alarm.state = AlarmState.RESOLVED.value
    alarm.priority = priority(alarm.severity, alarm.state)
    alarm.open_key = None
    alarm.next_escalation_at = None
    alarm.resolved_at, alarm.resolved_by, alarm.updated_at = at, by[:200], at
    return audit_row(alarm, "resolved", by, at, before=before, comment=comment)


# -- operator steps -----------------------------------------------------------------------------

_ALLOWED = {
    "acknowledged": (AlarmState.ACTIVE,),
    "confirmed": (AlarmState.ACTIVE, AlarmState.ACKNOWLEDGED),
    "resolved": (AlarmState.ACKNOWLEDGED, AlarmState.CONFIRMED),
}


def alarm_or_raise(session: Session, alarm_id: str) -> AlarmRow:
    alarm = session.get(AlarmRow, alarm_id)
    if alarm is None:
        raise UnknownAlarm("alarms.none", alarm=alarm_id)
    return alarm


def step(
    session: Session,
    notifier: Notifier,
    alarm_id: str,
    action: str,
    by: str,
    at: datetime,
    *,
    comment: str | None = None,
    outcome: Outcome | None = None,
) -> AlarmRow:
    """Apply one operator step (acknowledged / confirmed / resolved) in the caller's transaction."""
    alarm = alarm_or_raise(session, alarm_id)
    device = session.get(DeviceRow, alarm.device_id)
    before_json = alarm_json(alarm, device)
    allowed = _ALLOWED[action]
    if action == "resolved" and alarm.alarm_type == "fire":
        allowed = (AlarmState.CONFIRMED,)
    values: dict[str, Any] = {"state": str(action), "updated_at": at}
    if action == "acknowledged":
        values |= {"acknowledged_at": at, "acknowledged_by": by, "next_escalation_at": None}
    elif action == "confirmed":
        values |= {
            "confirmed_at": at,
            "confirmed_by": by,
            "outcome": outcome.value if outcome else None,
            "next_escalation_at": None,
            "acknowledged_at": func.coalesce(AlarmRow.acknowledged_at, at),
            "acknowledged_by": func.coalesce(AlarmRow.acknowledged_by, by),
        }
    else:
        values |= {
            "resolved_at": at,
            "resolved_by": by,
            "open_key": None,
            "next_escalation_at": None,
            "priority": priority(alarm.severity, AlarmState.RESOLVED),
        }
    result = session.exec(
        update(AlarmRow)
        .where(col(AlarmRow.id) == alarm_id, col(AlarmRow.state).in_([a.value for a in allowed]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        current = alarm_or_raise(session, alarm_id)
        session.refresh(current)
        raise _refusal(current, action)
    session.refresh(alarm)
    audit(session, alarm, action, by, at, before=before_json["state"], comment=comment)
    emit(notifier, alarm, device, action, by, before_json, comment=comment)
    return alarm


_VERBS = {
    "acknowledged": "alarms.verb.acknowledge",
    "confirmed": "alarms.verb.confirm",
    "resolved": "alarms.verb.resolve",
}


def _refusal(alarm: AlarmRow, action: str) -> TransitionError:
    verb = Word(_VERBS[action])
    state = Code("state", alarm.state)
    if alarm.state == AlarmState.RESOLVED:
        return TransitionError("alarms.refused.already_resolved", alarm=alarm.id, who=alarm.resolved_by, verb=verb)
    if action == "resolved" and alarm.alarm_type == "fire":
        return TransitionError("alarms.refused.fire_unconfirmed", alarm=alarm.id, state=state)
    if action == "resolved":
        return TransitionError("alarms.refused.unacknowledged", alarm=alarm.id, state=state)
    who = alarm.confirmed_by if alarm.state == AlarmState.CONFIRMED else alarm.acknowledged_by
    return TransitionError("alarms.refused.already", alarm=alarm.id, state=state, who=who, verb=verb)


def mark_shown(session: Session, notifier: Notifier, alarm_id: str, by: str, at: datetime) -> AlarmRow:
    """The first console display of the alarm (its `shown_at` timing); later calls change nothing."""
    alarm = alarm_or_raise(session, alarm_id)
    device = session.get(DeviceRow, alarm.device_id)
    before_json = alarm_json(alarm, device)
    result = session.exec(
        update(AlarmRow)
        .where(col(AlarmRow.id) == alarm_id, col(AlarmRow.shown_at).is_(None))
        .values(shown_at=at, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    session.refresh(alarm)
    if result.rowcount == 1:
        audit(session, alarm, "shown", by, at, before=alarm.state)
        emit(notifier, alarm, device, "shown", by, before_json)
    return alarm


def audit_trail(session: Session, alarm_id: str) -> list[AlarmAuditRow]:
    return list(
        session.exec(
            select(AlarmAuditRow)
            .where(col(AlarmAuditRow.alarm_id) == alarm_id)
            .order_by(col(AlarmAuditRow.at), col(AlarmAuditRow.pk))
        )
    )
