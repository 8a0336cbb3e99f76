"""Robot and SMS targets as webhook rows, so their deliveries go through the existing outbox.

Each configured target is kept as a `WebhookRow` marked in its description and subscribed to the
target's events, and scoped to the target's organisation like that organisation's own webhooks (an
event of a camera or device outside its subtree is never queued for it); the outbox therefore
queues exactly one row per (event, target) — its
``(webhook_pk, idempotency_key)`` check makes a replayed or twice-enqueued event queue nothing
new — and the dispatcher retries with its backoff. At delivery the dispatcher asks `Robots` for
the vendor's request instead of the signed lanewatch JSON. Camera, zone, enterprise, alarm-type
and test-mode filters (for a moved camera: its camera, and the zones it has) are applied then: a row a target does not want is recorded as delivered
with ``last_error`` = ``skipped: ...`` and nothing is sent.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch.events.bus import payload_camera
from lanewatch.events.links import LinkSigner
from lanewatch.events.robots import RobotRequest, build_request, response_error
from lanewatch.events.robots.settings import NotificationSettings, NotificationTarget
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import CameraRow, WebhookRow, ZoneRow
from lanewatch.words import t

log = logging.getLogger(__name__)

MARK = "[lanewatch notify] "
"""Description prefix of the webhook rows that stand for configured robot and SMS targets."""


def skip_reason(
    target: NotificationTarget, event_type: str, payload: dict[str, Any], camera_zones: set[str] | None = None
) -> str | None:
    """Why `target` does not get this event, or None if it does.

    A moved camera concerns all its zones (`camera_zones`): a target limited to zones gets it when one is there.
    """
    if event_type not in target.events:
        return f"{event_type} is not sent to {target.name}"
    if event_type == "camera.moved":
        camera = payload.get("camera")
        if target.cameras and camera not in target.cameras:
            return f"camera {camera} is not sent to {target.name}"
        if target.zones and not (camera_zones or set()) & set(target.zones):
            return f"no zone of camera {camera} is sent to {target.name}"
        return None
    after = payload.get("after") or {}
    if event_type == "violation.new":
        if target.cameras and after.get("camera") not in target.cameras:
            return f"camera {after.get('camera')} is not sent to {target.name}"
        if target.zones and after.get("zone") not in target.zones:
            return f"zone {after.get('zone')} is not sent to {target.name}"
    if event_type == "alarm.new":
        if after.get("alarm_type") not in target.alarm_types:
            return f"alarm type {after.get('alarm_type')} is not sent to {target.name}"
        if after.get("test") and not target.include_test_alarms:
            return "test-mode alarm"
        if target.enterprises and after.get("enterprise") not in target.enterprises:
            return f"enterprise {after.get('enterprise')} is not sent to {target.name}"
    return None


def _org_pk(session: Session, target: NotificationTarget) -> int | None:
    if target.organisation is None:
        return None
    pk = session.exec(select(OrganisationRow.pk).where(OrganisationRow.code == target.organisation)).first()
    if pk is None:
        raise ValueError(t("notify.unknown_organisation", target=target.name, code=target.organisation))
    return pk


class Robots:
    """The configured targets by webhook pk; what the dispatcher sends for one of their outbox rows."""

    def __init__(self, engine: Engine, settings: NotificationSettings, links: LinkSigner | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.links = links  # signs the messages' evidence links (None: links to the API, which need a sign-in)
        self.targets: dict[int, NotificationTarget] = {}

    def ensure(self) -> dict[int, NotificationTarget]:
        """Create or update the rows of the configured targets; disable those no longer configured.

        Raises ValueError (in words) for a target naming an organisation code that does not exist: found at
        start-up rather than as deliveries that silently go nowhere."""
        with Session(self.engine) as session:
            existing = {
                r.description: r
                for r in session.exec(select(WebhookRow).where(col(WebhookRow.description).startswith(MARK)))
            }
            targets: dict[int, NotificationTarget] = {}
            for target in self.settings.targets:
                description = f"{MARK}{target.kind}: {target.name}"
                row = existing.pop(description, None) or WebhookRow(
                    description=description, url="", secret="", events=[]
                )
                row.url, row.events, row.enabled = target.url, list(target.events), True
                row.org_pk = _org_pk(session, target)
                row.secret = target.secret.get_secret_value() if target.secret is not None else ""
                session.add(row)
                session.flush()
                assert row.pk is not None
                targets[row.pk] = target
            for stale in existing.values():
                stale.enabled = False
                session.add(stale)
            session.commit()
        self.targets = targets
        return targets

    def prepare(self, webhook_pk: int, event_type: str, payload: dict[str, Any]) -> RobotRequest | str | None:
        """The request for a robot row; a str: skip it, for that reason; None: not a robot (a plain webhook)."""
        target = self.targets.get(webhook_pk)
        if target is None:
            return None
        camera, camera_name, zones = payload_camera(payload), None, None
        if camera:
            with Session(self.engine) as session:
                row = session.get(CameraRow, camera)
                camera_name = row.name if row is not None else None
                if event_type == "camera.moved" and target.zones:
                    found = session.exec(select(ZoneRow.zone_id).where(ZoneRow.camera_id == camera))
                    zones = set(found.all())
        reason = skip_reason(target, event_type, payload, zones)
        if reason is not None:
            return reason
        return build_request(
            target, event_type, payload, public_url=self.settings.public_url, camera_name=camera_name, links=self.links
        )

    def check(self, webhook_pk: int, status: int, text: str) -> str | None:
        """None if the vendor took the message, else the error the outbox records (and retries)."""
        return response_error(self.targets[webhook_pk].kind, status, text)
