"""Escalation of unacknowledged alarms along a chain of webhook targets, and the 119 forward target.

An alarm nobody acknowledges calls the chain's first step after its
severity's first-escalation time (fire: 60 s by default), each next step
`after_s` after the previous one, and once the last step is reached the
whole chain again every `repeat_s`, until someone acknowledges. Each call is
a signed webhook delivery through the outbox (so it survives a restart and
is retried), an audit row and an ``alarm.escalated`` event. The schedule
lives on the alarm row (`escalation_level`, `next_escalation_at`); a step
is taken with one conditional UPDATE, so an acknowledgement that lands at
the same moment wins and nothing is sent.

The targets come from the settings; each is kept as a webhook row marked
in its description (subscribed to no event type, so it receives only what
is addressed to it), whose deliveries the webhooks API lists like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch.alarms import lifecycle
from lanewatch.alarms.notify import Notifier
from lanewatch.alarms.records import AlarmState, alarm_json
from lanewatch.config import AlarmSettings, AlarmTarget
from lanewatch.events.bus import alarm_payload
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.outbox import add_delivery
from lanewatch.store.tables import WebhookRow, as_utc
from lanewatch.words.said import say

MARK = "[lanewatch alarms] "
"""Description prefix of the webhook rows that stand for configured alarm targets."""


@dataclass(frozen=True, slots=True)
class Targets:
    chain: list[tuple[int, AlarmTarget]]  # (webhook pk, target) in order
    forward: tuple[int, AlarmTarget] | None


def ensure_targets(engine: Engine, settings: AlarmSettings) -> Targets:
    """Create or update the webhook rows of the configured targets; disable those no longer configured."""
    wanted = [(f"{MARK}escalation step {i + 1}: {t.name}", t) for i, t in enumerate(settings.escalation_chain)]
    if settings.forward_119 is not None:
        wanted.append((f"{MARK}119 forward: {settings.forward_119.name}", settings.forward_119))
    pks: dict[str, int] = {}
    with Session(engine) as session:
        existing = {
            r.description: r
            for r in session.exec(select(WebhookRow).where(col(WebhookRow.description).startswith(MARK)))
        }
        for description, target in wanted:
            row = existing.pop(description, None) or WebhookRow(description=description, url="", secret="", events=[])
            row.url, row.secret, row.events, row.enabled = target.url, target.secret.get_secret_value(), [], True
            session.add(row)
            session.flush()
            assert row.pk is not None  # flushed: the database gave it its key
            pks[description] = row.pk
        for stale in existing.values():
            stale.enabled = False
            session.add(stale)
        session.commit()
    chain = [(pks[d], t) for d, t in wanted[: len(settings.escalation_chain)]]
    forward = (pks[wanted[-1][0]], settings.forward_119) if settings.forward_119 is not None else None
    return Targets(chain=chain, forward=forward)


def due_alarms(session: Session, now: datetime, limit: int = 200) -> list[str]:
    return list(
        session.exec(
            select(AlarmRow.id)
            .where(
                AlarmRow.state == AlarmState.ACTIVE.value,
                col(AlarmRow.next_escalation_at).is_not(None),
                col(AlarmRow.next_escalation_at) <= now,
            )
            .order_by(col(AlarmRow.next_escalation_at))
            .limit(limit)
        )
    )


def escalate(
    session: Session, notifier: Notifier, settings: AlarmSettings, targets: Targets, alarm_id: str, now: datetime
) -> bool:
    """Take the alarm's next escalation step in the caller's transaction; False if it was no longer due."""
    alarm = session.get(AlarmRow, alarm_id)
    if alarm is None or alarm.state != AlarmState.ACTIVE or alarm.next_escalation_at is None or not targets.chain:
        return False
    device = session.get(DeviceRow, alarm.device_id)
    before = alarm_json(alarm, device)
    level, scheduled = alarm.escalation_level, as_utc(alarm.next_escalation_at)
    steps = len(targets.chain)
    if level < steps:
        called = [targets.chain[level]]
        delay = targets.chain[level + 1][1].after_s if level + 1 < steps else settings.repeat_s
    else:
        called = list(targets.chain)
        delay = settings.repeat_s
    following = max(scheduled + timedelta(seconds=delay), now)
    result = session.exec(
        update(AlarmRow)
        .where(
            col(AlarmRow.id) == alarm_id,
            col(AlarmRow.state) == AlarmState.ACTIVE.value,
            col(AlarmRow.escalation_level) == level,
        )
        .values(escalation_level=level + 1, next_escalation_at=following, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.refresh(alarm)
    names = ", ".join(t.name for _, t in called)
    repeat = level >= steps
    lifecycle.audit(
        session,
        alarm,
        "escalated",
        "system",
        now,
        before=alarm.state,
        comment=say("alarms.escalation.repeat", names=names)
        if repeat
        else say("alarms.escalation.step", step=level + 1, names=names),
    )
    payload = alarm_payload(
        "escalated", "system", before, alarm_json(alarm, device), level=level + 1, target=names, repeat=repeat
    )
    key = lifecycle.event_key(alarm, "escalated")
    for pk, _target in called:
        add_delivery(session, pk, payload["type"], payload, key)
    notifier.emit(payload["type"], payload, key)
    return True


def queue_forward(session: Session, targets: Targets, alarm: AlarmRow, device: DeviceRow | None) -> bool:
    """Send a confirmed real fire to the 119 target (its `forwarded_at` is set once the delivery succeeds)."""
    if targets.forward is None:
        return False
    pk, target = targets.forward
    payload = alarm_payload("forwarded", "system", None, alarm_json(alarm, device), target=target.name)
    payload["type"] = "alarm.forward"
    add_delivery(session, pk, "alarm.forward", payload, f"{alarm.id}:forward")
    return True
