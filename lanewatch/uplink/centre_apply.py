"""Apply one site message to the centre's database, idempotently, in the caller's transaction.

How the centre keys what it takes from the sites:

- A camera, device or any other name a site chose is prefixed with the site's
  code: the edge camera ``gate`` of site ``xq-01`` is the centre camera
  ``xq-01.gate`` (device ids likewise), so two sites' "gate" never collide.
  These rows belong to the site's organisation (``organisations.code`` =
  the site code), which is what the centre's scopes filter on; the camera
  row is disabled (the centre does not decode the site's streams).
- Violation and alarm ids are the edge's (uuid4 hex): the centre row has the
  same id, so a record is found by the same id at both ends. An id another
  site already holds is refused (dead letter), never overwritten.
- `UplinkRecordRow` keeps, per (site, kind, record id), the edge sequence
  number last applied: a message whose number is not higher (a redelivery,
  a duplicate, an older update overtaken by a newer one) changes nothing
  but the site's ``duplicates`` counter.
- A message from a site with no organisation of that code, or that cannot be
  read, is acknowledged to the broker and kept in `uplink_dead_letters`
  (with the reason, counted per site): the broker would otherwise offer it
  again forever, and keeping it lets it be replayed once the site is added.

- A violation's pictures are ``evidence`` messages (`lanewatch.uplink.evidence`):
  the file goes to ``<evidence dir>/<site>/<edge path>`` and the centre's
  violation row names ``<site>/<edge path>``, so the centre serves it.

Alarm rows at the centre carry no ``open_key`` and no ``next_escalation_at``:
the edge runs the escalation chain; the centre shows and keeps the record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select

from lanewatch.alarms.records import alarm_json, priority
from lanewatch.api.routers.violations import violation_out_json
from lanewatch.events.bus import EVENT_TYPES, alarm_payload, device_payload, health_payload
from lanewatch.store.alarm_tables import AlarmRow, DeviceRow
from lanewatch.store.health_store import HealthStore
from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.tables import CameraRow, ViolationRow
from lanewatch.store.uplink_tables import UplinkDeadLetterRow, UplinkRecordRow
from lanewatch.uplink.bad_message import BadMessage, iso_time, json_object
from lanewatch.uplink.broker import TOPIC_ROOT
from lanewatch.uplink.centre_events import CentreEvents, action_of
from lanewatch.uplink.config_sync_link import apply_from_edge
from lanewatch.uplink.evidence import EvidenceRefused, store
from lanewatch.uplink.heartbeat import apply_heartbeat, decode
from lanewatch.uplink.new_rows import add_new, is_new
from lanewatch.uplink.prefetch import known, remember, seen_key
from lanewatch.uplink.site_link import tally, transaction_cache
from lanewatch.video.health import HealthEvent, SourceState

Outcome = Literal["applied", "duplicate", "dead", "heartbeat"]
Told = tuple[str, dict[str, Any], str]
"""What an applied record tells live clients and webhooks: event type, payload, the record's centre id."""
KINDS = ("violation", "alarm", "health", "device", "evidence", "config")


def centre_id(site: str, local_id: str) -> str:
    """The centre's id of a site's camera or device: ``<site>.<id>``."""
    return f"{site}.{local_id}"


def _time(value: Any, name: str) -> datetime | None:
    return None if value is None else iso_time(value, name)


def _required_time(value: Any, name: str) -> datetime:
    if value is None:
        raise BadMessage(f"{name} is missing")
    return iso_time(value, name)


def parse(topic: str, raw: bytes) -> dict[str, Any]:
    """The message as a dict, checked against its topic; `BadMessage` says what is wrong."""
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != TOPIC_ROOT:
        raise BadMessage(f"topic {topic!r} is not {TOPIC_ROOT}/<site>/<kind>")
    body = json_object(raw)
    missing = [k for k in ("site", "kind", "id", "seq", "edge_time", "record") if k not in body]
    if missing:
        raise BadMessage(f"missing {', '.join(missing)}")
    if (body["site"], body["kind"]) != (parts[3], parts[4]):
        raise BadMessage(f"site/kind {body['site']}/{body['kind']} do not match the topic {topic!r}")
    if body["kind"] not in KINDS:
        raise BadMessage(f"unknown kind {body['kind']!r}")
    if not isinstance(body["seq"], int) or not isinstance(body["record"], dict) or not isinstance(body["id"], str):
        raise BadMessage("seq must be an integer, id a string and record an object")
    return body


def dead_letter(session: Session, topic: str, raw: bytes, reason: str, site: str | None, at: datetime) -> None:
    session.add(
        UplinkDeadLetterRow(
            site=site, topic=topic[:500], payload=raw.decode("utf-8", "replace"), reason=reason[:500], received_at=at
        )
    )
    if site is not None:
        counts = tally(session, site)
        counts.dead_letters += 1
        counts.message(at)


def _organisation(session: Session, site: str) -> int | None:
    """The pk of the organisation whose code is the site's; None: the centre does not know this site."""
    cache = transaction_cache(session)
    if ("org", site) not in cache:
        cache["org", site] = session.exec(select(OrganisationRow.pk).where(OrganisationRow.code == site)).first()
    return cache["org", site]


_T = TypeVar("_T")
_log = logging.getLogger(__name__)


def retry_collisions(transaction: Callable[[], _T], what: str, attempts: int = 5) -> _T:
    """Run `transaction` (one whole transaction) again when it collides with another centre process.

    Two processes applying the same site's records can meet on a key (both insert the record) or a
    lock; the loser's transaction is rolled back whole, so trying it again is safe."""
    for attempt in range(attempts - 1):
        try:
            return transaction()
        except (IntegrityError, DBAPIError) as exc:
            _log.info("%s: %s on try %d; trying again", what, type(exc).__name__, attempt + 1)
    return transaction()


def apply_message(
    session: Session, topic: str, raw: bytes, received_at: datetime, evidence_dir: Path | None = None
) -> Outcome:
    """Apply one message (the caller commits); an unreadable one or one of an unknown site is a dead letter.

    Pictures (``evidence`` messages) are written under `evidence_dir`."""
    site_code = topic.split("/")[3] if topic.count("/") == 4 else None
    if site_code is not None and topic.endswith("/heartbeat") and topic.startswith(TOPIC_ROOT + "/"):
        try:  # state, not a record: no sequence number, no confirmation, not counted as a message
            apply_heartbeat(session, site_code, decode(raw), received_at)
        except BadMessage as exc:
            dead_letter(session, topic, raw, str(exc), site_code if len(site_code) <= 32 else None, received_at)
            return "dead"
        return "heartbeat"
    try:
        body = parse(topic, raw)
    except BadMessage as exc:
        dead_letter(
            session, topic, raw, str(exc), site_code if site_code and len(site_code) <= 32 else None, received_at
        )
        return "dead"
    site = str(body["site"])
    org_pk = _organisation(session, site) if len(site) <= 32 else None
    if org_pk is None:
        reason = f"unknown site {site!r}: no organisation with that code (add it, then replay its dead letters)"
        dead_letter(session, topic, raw, reason, site if len(site) <= 32 else None, received_at)
        return "dead"
    try:
        edge_time = _required_time(body["edge_time"], "edge_time")
        sent_at = _time(body.get("sent_at"), "sent_at")
        outcome = _apply_record(session, site, org_pk, body, edge_time, received_at, evidence_dir)
    except (BadMessage, EvidenceRefused) as exc:
        session.rollback()  # nothing of a half-applied record stays
        dead_letter(session, topic, raw, str(exc), site, received_at)
        return "dead"
    counts = tally(session, site)  # written once per site, before the commit (`lanewatch.uplink.site_link`)
    counts.org_pk = org_pk
    counts.message(received_at)
    counts.last_edge_time = edge_time if counts.last_edge_time is None else max(counts.last_edge_time, edge_time)
    if sent_at is not None:
        counts.clock_skew_s = round((received_at - sent_at).total_seconds(), 3)  # centre − edge, plus transit
    counts.last_seq = max(counts.last_seq or 0, body["seq"])
    if outcome == "duplicate":
        counts.duplicates += 1
    return outcome


def _apply_record(
    session: Session,
    site: str,
    org_pk: int | None,
    body: dict[str, Any],
    edge_time: datetime,
    at: datetime,
    evidence_dir: Path | None,
) -> Outcome:
    kind, record_id, seq = body["kind"], body["id"], body["seq"]
    if len(record_id) > 200:
        raise BadMessage("record id longer than 200 characters")
    seen = known(
        session,
        seen_key(site, kind, record_id),
        lambda: session.exec(
            select(UplinkRecordRow)
            .where(UplinkRecordRow.site == site, UplinkRecordRow.kind == kind, UplinkRecordRow.record_id == record_id)
            .with_for_update()
        ).first(),
    )
    if seen is not None and seen.seq >= seq:
        return "duplicate"
    record = body["record"]
    told: Told | None = None
    if kind == "violation":
        told = _violation(session, site, org_pk, record, body.get("evidence") or {})
    elif kind == "alarm":
        told = _alarm(session, site, org_pk, record, str(body.get("type") or ""))
    elif kind == "device":
        told = _device(session, site, org_pk, record, str(body.get("type") or ""), edge_time)
    elif kind == "evidence":
        store(evidence_dir, site, body, session, at)
    elif kind == "config":  # an edit made at the site, by the later-wins rule (`lanewatch.uplink.config_sync`)
        apply_from_edge(session, site, record)
    else:
        told = _health(session, site, org_pk, record)
    if told is not None:  # webhooks and every centre process's live clients (`lanewatch.uplink.centre_events`)
        event_type, payload, centre_record = told
        CentreEvents.of(session).emit(event_type, payload, f"{site}:{kind}:{record_id}:{seq}", (kind, centre_record))
    if seen is None:
        values = {"site": site, "kind": kind, "record_id": record_id, "seq": seq, "edge_time": edge_time}
        add_new(session, UplinkRecordRow, seen_key(site, kind, record_id), values | {"received_at": at})
    else:
        seen.seq, seen.edge_time, seen.received_at = seq, edge_time, at
        if not is_new(seen):
            session.add(seen)
    return "applied"


def _ensure_camera(session: Session, site: str, org_pk: int | None, camera: str) -> str:
    camera_id = centre_id(site, camera)
    if len(camera_id) > 100:
        raise BadMessage(f"camera id {camera_id!r} is longer than 100 characters at the centre")
    if known(session, ("camera", camera_id), lambda: session.get(CameraRow, camera_id)) is None:
        row = CameraRow(id=camera_id, name=camera, source_url="", enabled=False, site=site, org_pk=org_pk)
        session.add(row)
        remember(session, ("camera", camera_id), row)
    return camera_id


def _field(record: dict[str, Any], name: str) -> Any:
    if name not in record:
        raise BadMessage(f"record without {name!r}")
    return record[name]


def _site_path(site: str, edge_path: Any) -> str | None:
    """Where the centre keeps a site's picture, relative to its evidence folder (`lanewatch.uplink.evidence`)."""
    return f"{site}/{edge_path}" if isinstance(edge_path, str) and edge_path else None


def _violation(
    session: Session, site: str, org_pk: int | None, record: dict[str, Any], evidence: dict[str, Any]
) -> Told:
    record_id = _field(record, "id")
    camera_id = _ensure_camera(session, site, org_pk, str(_field(record, "camera")))
    # an ORM row, or a NewRow of this batch with the same attributes (violation_out_json reads either)
    row: Any = known(session, ("violation", record_id), lambda: session.get(ViolationRow, record_id))
    if row is not None and row.camera != camera_id:
        raise BadMessage(f"violation id {record_id!r} already belongs to camera {row.camera!r}")
    before = violation_out_json(row) if row is not None else None
    box = _field(record, "box")
    values: dict[str, Any] = {
        "camera": camera_id,
        "box_x1": box[0],
        "box_y1": box[1],
        "box_x2": box[2],
        "box_y2": box[3],
        "snapshot": _site_path(site, evidence.get("snapshot")),
        "snapshot_clean": _site_path(site, evidence.get("snapshot_clean")),
    }
    for name in ("zone", "zone_name", "label", "start_s", "violation_s", "last_seen_s", "end_s", "confidence"):
        values[name] = _field(record, name)
    for name in ("state", "acknowledged_by", "ack_comment", "resolved_by", "resolve_comment"):
        values[name] = _field(record, name)
    for name in ("started_at", "violation_at", "ended_at", "acknowledged_at", "resolved_at", "updated_at"):
        values[name] = _time(_field(record, name), name)
    values |= _unreliable(record)
    if row is None:  # written at the commit with the batch's other new violations (`lanewatch.uplink.new_rows`)
        row = add_new(session, ViolationRow, ("violation", record_id), {"id": record_id, **values})
    else:
        for name, value in values.items():
            setattr(row, name, value)
        if not is_new(row):
            session.add(row)
    after = violation_out_json(row)
    if after["active"]:
        kind = "new" if before is None else "update"
    else:
        kind = "end" if before is None or before["active"] else "update"  # handled after its end: an update
    return f"violation.{kind}", {"type": f"violation.{kind}", "before": before, "after": after}, record_id


def _unreliable(record: dict[str, Any]) -> dict[str, Any]:
    """The edge's mark of a violation raised while its camera had moved (issue 18), so the centre doubts it too.

    A site running a release from before the mark sends neither field: its violations arrive unmarked."""
    unreliable = record.get("unreliable", False)
    reason = record.get("unreliable_reason")
    if not isinstance(unreliable, bool):
        raise BadMessage(f"unreliable must be true or false, not {unreliable!r}")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 32):
        raise BadMessage(f"unreliable_reason must be a short text or null, not {reason!r}")
    return {"unreliable": unreliable, "unreliable_reason": (reason or "unknown") if unreliable else None}


ALARM_FIELDS = (
    "alarm_type", "severity", "state", "outcome", "test", "source", "detail", "value", "count", "enterprise",
    "building", "location", "acknowledged_by", "confirmed_by", "resolved_by", "escalation_level",
)  # fmt: skip
ALARM_TIMES = (
    "device_time", "received_at", "stored_at", "shown_at", "acknowledged_at", "confirmed_at", "forwarded_at",
    "resolved_at", "cleared_at", "last_repeat_at", "updated_at",
)  # fmt: skip


def _alarm(session: Session, site: str, org_pk: int | None, record: dict[str, Any], event_type: str) -> Told:
    record_id = _field(record, "id")
    device_id = centre_id(site, str(_field(record, "device_id")))
    if len(device_id) > 100:
        raise BadMessage(f"device id {device_id!r} is longer than 100 characters at the centre")
    device = session.get(DeviceRow, device_id)
    if device is None:
        device = DeviceRow(
            id=device_id,
            type=_field(record, "device_type"),
            name=record.get("device_name"),
            enterprise=record.get("enterprise"),
            building=record.get("building"),
            location=record.get("location"),
            registered=bool(record.get("registered", True)),
            org_pk=org_pk,
        )
        session.add(device)
    row = session.get(AlarmRow, record_id)
    if row is not None and row.device_id != device_id:
        raise BadMessage(f"alarm id {record_id!r} already belongs to device {row.device_id!r}")
    before = alarm_json(row, device) if row is not None else None
    values: dict[str, Any] = {name: _field(record, name) for name in ALARM_FIELDS}
    values |= {name: _time(_field(record, name), name) for name in ALARM_TIMES}
    values |= {
        "device_id": device_id,
        "device_type": _field(record, "device_type"),
        "priority": priority(values["severity"], values["state"]),
        "open_key": None,  # the edge's ingest finds open alarms; the centre only keeps them
        "next_escalation_at": None,  # the edge escalates
    }
    if row is None:
        row = AlarmRow(id=record_id, **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.add(row)
    if not event_type.startswith("alarm.") or event_type not in EVENT_TYPES:
        event_type = "alarm.new" if before is None else "alarm.update"
    payload = alarm_payload(action_of(event_type), f"site:{site}", before, alarm_json(row, device))
    return event_type, {**payload, "type": event_type}, record_id


DEVICE_FIELDS = (
    "type", "name", "enterprise", "building", "location", "rules", "registered", "maintenance",
    "maintenance_reason", "offline", "battery_pct",
)  # fmt: skip


def _device(
    session: Session, site: str, org_pk: int | None, record: dict[str, Any], event_type: str, at: datetime
) -> Told:
    """A device's status as the site sees it; its linked lanes name the site's cameras by their centre ids."""
    device_id = centre_id(site, str(_field(record, "id")))
    if len(device_id) > 100:
        raise BadMessage(f"device id {device_id!r} is longer than 100 characters at the centre")
    values: dict[str, Any] = {name: _field(record, name) for name in DEVICE_FIELDS}
    values |= {name: _time(_field(record, name), name) for name in ("offline_since", "last_seen_at", "updated_at")}
    values["linked_lanes"] = [
        {**lane, "camera": centre_id(site, str(lane.get("camera")))} for lane in _field(record, "linked_lanes")
    ]
    values["offline_after"] = None  # the site watches its devices' heartbeats; the centre only shows them
    row = session.get(DeviceRow, device_id)
    if row is None:
        row = DeviceRow(id=device_id, org_pk=org_pk, **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.org_pk = row.org_pk if row.org_pk is not None else org_pk
    session.add(row)
    if not event_type.startswith("device.") or event_type not in EVENT_TYPES:
        event_type = "device.offline" if values["offline"] else "device.online"
    device = {**record, "id": device_id, "linked_lanes": values["linked_lanes"]}
    return event_type, device_payload(event_type.removeprefix("device."), device, at, ""), device_id


def _health(session: Session, site: str, org_pk: int | None, record: dict[str, Any]) -> Told:
    state = str(_field(record, "type")).removeprefix("camera.")
    try:
        source_state = SourceState(state)
    except ValueError:
        raise BadMessage(f"unknown camera state {state!r}") from None
    camera_id = _ensure_camera(session, site, org_pk, str(_field(record, "camera")))
    at = _required_time(_field(record, "at"), "at")
    change = HealthEvent(camera_id, source_state, at, str(record.get("detail") or ""))
    HealthStore.apply(session, change)
    payload = health_payload(change)
    return payload["type"], payload, camera_id
