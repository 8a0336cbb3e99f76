"""The edge's publisher: drain `uplink_outbox` to the broker in sequence order, QoS 1.

One thread does everything (connect, publish, read PUBACKs through
``client.loop``, delete), so there are no locks around the in-flight map.
After each (re)connect it starts again from the oldest entry still in the
table. An entry is deleted only once its PUBACK arrived AND the centre
confirmed it stored it (``lanewatch/v1/centre/<site>/confirm``, received on
this client's persistent session): a broker that took a message and then
lost it (Mosquitto 2.0 does not restore shared subscriptions from its
persistence file, so messages published after its restart and before a
centre process subscribes again go nowhere) cannot lose a record. What is
not confirmed within ``confirm_timeout_s`` while the centre confirmed nothing else
either (or within `BEHIND_FACTOR` times that in any case: a centre that is
merely behind keeps confirming, and resending its queue to it would only make
it further behind), and whatever was in flight when
the link dropped or the process was killed, is sent again, in order; the
centre ignores a second copy (same site, record and sequence number).

Message (JSON): ``site``, ``kind``, ``id`` (record id), ``seq`` (this site's
sequence number, never reused), ``type`` (violation / alarm.new / ...),
``edge_time`` (when the change was written, the edge's clock), ``sent_at``
(the edge's clock at sending: the centre's clock-skew estimate), ``record``
(the API's shape) and, for violations, ``evidence`` (file names); an ``evidence`` entry carries its picture
(``jpeg``, base64, read from the evidence folder when sent: `lanewatch.uplink.evidence`).

With `on_config` set (the edge's role sets it) the same session also subscribes to the centre's retained config
of the site (``lanewatch/v1/centre/<site>/config``, `lanewatch.uplink.config_sync_link`) and hands each copy to
it in this thread.

While connected it also sends a heartbeat (`lanewatch.uplink.heartbeat`: backlog, oldest entry, version) at
once and then every ``heartbeat_s``; none while disconnected (it is state, not a record).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch.config import UplinkConfig
from lanewatch.store.tables import as_utc, utcnow
from lanewatch.store.uplink_tables import UplinkOutboxRow
from lanewatch.uplink import evidence, heartbeat
from lanewatch.uplink.broker import confirm_topic, connect_properties, make_client, topic
from lanewatch.uplink.config_sync import config_topic

log = logging.getLogger(__name__)

CONNACK_TIMEOUT_S = 10.0
MAX_UNCONFIRMED = 1000
"""Entries one edge has out at once that the centre has not confirmed. After an outage every edge sends this
many at once; the broker must queue them for the centre processes (docs/deploy: ``max_queued_messages``
≥ edges × this ÷ centre processes), or it drops the excess and the edges resend it only after
``confirm_timeout_s`` (nothing lost, the drain stalls)."""
BEHIND_FACTOR = 5
IDLE_READ_S = 2.0
"""With the outbox's write signal followed, how often the table is read anyway."""
"""An entry unconfirmed this many confirm timeouts is sent again even while the centre confirms others."""


@dataclass(slots=True)
class PublisherCounters:
    """Since start: messages published, PUBACKs, centre confirmations (entries deleted), resends after the
    confirmation timeout, connections made, refused PUBACKs, heartbeats sent."""

    published: int = 0
    acknowledged: int = 0
    confirmed: int = 0
    resends: int = 0
    connects: int = 0
    refused: int = 0
    heartbeats: int = 0


def message(
    site: str, row: UplinkOutboxRow, evidence_dir: Path | None = None, max_bytes: int = evidence.MAX_BYTES
) -> bytes:
    payload = row.payload
    body: dict[str, Any] = {
        "v": 1,
        "site": site,
        "kind": row.kind,
        "id": row.record_id,
        "seq": row.seq,
        "type": payload.get("type", row.kind),
        "edge_time": as_utc(row.created_at).isoformat(),
        "sent_at": utcnow().isoformat(),
        "record": payload.get("record"),
    }
    if "evidence" in payload:
        body["evidence"] = payload["evidence"]
    if row.kind == "evidence":
        evidence.attach(body, evidence_dir, max_bytes)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _close(client: mqtt.Client) -> None:
    """Say goodbye if the link is still there, and close the socket either way."""
    try:
        client.disconnect()
        client.loop(0.1)
    except Exception:  # the link is already gone
        pass
    sock = client.socket()
    if sock is not None:
        sock.close()


class _Lost(Exception):
    """The connection ended; connect again."""


class UplinkPublisher:
    """`start()` returns at once and keeps (re)connecting until `stop()`; `poll_s` is the idle look interval."""

    def __init__(
        self, engine: Engine, config: UplinkConfig, *, poll_s: float = 0.1, evidence_dir: Path | None = None
    ) -> None:
        self.engine = engine
        self.evidence_dir = evidence_dir
        self.config = config
        self.poll_s = poll_s
        self.client_id = f"lanewatch-edge-{config.site}"
        self._counters = PublisherCounters()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._acked: list[tuple[int, bool]] = []  # (mid, accepted), filled by on_publish inside client.loop
        self._confirmed: list[int] = []  # seqs the centre stored, filled by on_message inside client.loop
        self._connack: Any = None
        self._last_confirm = 0.0  # monotonic time of the centre's latest confirmation
        self.connected = False
        self.written: threading.Event | None = None
        self.idle_s = poll_s
        """How often the table is read when nothing signalled a write (`follow`)."""
        self.on_config: Callable[[bytes], None] | None = None
        """Given the centre's retained config of this site (`lanewatch.uplink.config_sync_link`), when set."""

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("uplink publisher already started")
        self._thread = threading.Thread(target=self._run, name="uplink-publisher", daemon=True)
        self._thread.start()
        log.info("uplink: publishing site %s to %s:%d", self.config.site, self.config.host, self.config.port)

    def follow(self, written: threading.Event) -> None:
        """Read the outbox at once when `written` is set (`EdgeOutbox.written`: after each commit that added
        entries), else only every `IDLE_READ_S`: an idle edge then costs no reads between records. Entries
        not added through the outbox tap (config edits, `lanewatch.uplink.config_sync_capture`; another
        process's writes) go out at that idle read."""
        self.written = written
        self.idle_s = max(self.poll_s, IDLE_READ_S)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def counters(self) -> dict[str, int]:
        return asdict(self._counters)

    # -- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            client = self._connect()
            if client is None:
                self._stop.wait(delay)
                delay = min(delay * 2, self.config.reconnect_max_s)
                continue
            delay = 0.5
            try:
                self._drain(client)
            except _Lost as lost:
                if not self._stop.is_set():
                    log.warning(
                        "uplink: lost the broker %s:%d (%s); reconnecting", self.config.host, self.config.port, lost
                    )
            except Exception:  # a database outage must not end the thread
                log.exception("uplink: publishing failed; reconnecting")
            finally:
                self.connected = False
                _close(client)

    def _connect(self) -> mqtt.Client | None:
        client = make_client(self.config, self.client_id)
        self._connack = None
        self._acked = []
        client.on_connect = self._on_connect
        client.on_publish = self._on_publish
        client.on_message = self._on_confirm
        client.max_inflight_messages_set(self.config.inflight)
        try:
            client.connect(
                self.config.host,
                self.config.port,
                keepalive=self.config.keepalive_s,
                clean_start=False,
                properties=connect_properties(self.config),
            )
        except (OSError, ValueError) as exc:
            log.info("uplink: broker %s:%d not reachable: %s", self.config.host, self.config.port, exc)
            return None
        for _ in range(int(CONNACK_TIMEOUT_S / 0.1)):
            if client.loop(0.1) != mqtt.MQTT_ERR_SUCCESS or self._connack is not None or self._stop.is_set():
                break
        if self._connack is None or self._connack.is_failure:
            log.error(
                "uplink: broker %s:%d refused or did not answer: %s", self.config.host, self.config.port, self._connack
            )
            _close(client)
            return None
        client.subscribe(confirm_topic(self.config.site), qos=1)  # renewed on every connect
        if self.on_config is not None:  # the retained config comes on every (re)subscription
            client.subscribe(config_topic(self.config.site), qos=1)
        self._counters.connects += 1
        self.connected = True
        log.info("uplink: connected to %s:%d as %s", self.config.host, self.config.port, self.client_id)
        return client

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: Any, reason_code: Any, properties: Any) -> None:
        self._connack = reason_code

    def _on_publish(self, client: mqtt.Client, userdata: object, mid: int, reason_code: Any, properties: Any) -> None:
        self._acked.append((mid, not reason_code.is_failure))

    def _on_confirm(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        if message.topic == config_topic(self.config.site):
            self._on_config(bytes(message.payload))
            return
        try:
            seqs = json.loads(message.payload)["seqs"]
            self._confirmed.extend(int(s) for s in seqs)
        except (ValueError, KeyError, TypeError):
            log.warning("uplink: unreadable confirmation on %s: %r", message.topic, message.payload[:200])

    def _on_config(self, payload: bytes) -> None:
        """Apply the centre's config in this thread; a failure is logged (the next snapshot tries again)."""
        if self.on_config is None:
            return
        try:
            self.on_config(payload)
        except Exception:
            log.exception("uplink: the centre's config of site %s could not be applied", self.config.site)

    def _drain(self, client: mqtt.Client) -> None:
        inflight: dict[int, int] = {}  # mid → seq, awaiting PUBACK
        waiting: dict[int, float] = {}  # seq → when the broker took it, awaiting the centre's confirmation
        cursor = 0  # the highest seq handed to the client on this connection
        self._last_confirm = time.monotonic()
        next_heartbeat = 0.0  # monotonic; the first goes at once: the centre learns the edge is back
        looked, more = 0.0, True  # the table is read again at once while the last read filled the room or a
        # write was signalled (`written`), else once per `idle_s`: a read per wake-up was most of an idle edge's CPU
        while not self._stop.is_set():
            if time.monotonic() >= next_heartbeat:
                self._heartbeat(client)
                next_heartbeat = time.monotonic() + self.config.heartbeat_s
            if waiting and self._overdue(min(waiting.values())):
                cursor = min(waiting) - 1  # send again, in order, from the oldest unconfirmed
                self._counters.resends += 1
                log.warning("uplink: the centre has not confirmed seq %d; sending again from it", min(waiting))
                waiting.clear()
                more = True
            room = min(self.config.inflight - len(inflight), MAX_UNCONFIRMED - len(waiting))
            if room > 0 and (more or self._signalled() or time.monotonic() - looked >= self.idle_s):
                rows = self._next(cursor, room)
                looked, more = time.monotonic(), len(rows) == room
                for row in rows:
                    assert row.seq is not None
                    info = client.publish(
                        topic(self.config.site, row.kind),
                        message(self.config.site, row, self.evidence_dir, self.config.evidence_max_bytes),
                        qos=1,
                    )
                    if info.rc != mqtt.MQTT_ERR_SUCCESS:
                        raise _Lost(mqtt.error_string(info.rc))
                    inflight[info.mid] = cursor = row.seq
                    self._counters.published += 1
            rc = client.loop(self.poll_s)  # returns as soon as a packet comes: the timeout only paces the checks
            if rc != mqtt.MQTT_ERR_SUCCESS:
                raise _Lost(mqtt.error_string(rc))
            self._settle(inflight, waiting)

    def _signalled(self) -> bool:
        """A record was committed since the last read (cleared here, before the read that will see it)."""
        if self.written is None or not self.written.is_set():
            return False
        self.written.clear()
        return True

    def _heartbeat(self, client: mqtt.Client) -> None:
        """Say the edge is alive and how far behind it is; its PUBACK matches no outbox entry and is ignored."""
        with Session(self.engine) as session:
            body = heartbeat.edge_body(session, self.config.site)
        info = client.publish(topic(self.config.site, heartbeat.KIND), heartbeat.encode(body), qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise _Lost(mqtt.error_string(info.rc))
        self._counters.heartbeats += 1

    def _overdue(self, oldest: float) -> bool:
        """The oldest unconfirmed entry is lost, not queued: the centre went quiet, or it waited far too long."""
        now, timeout = time.monotonic(), self.config.confirm_timeout_s
        quiet = now - self._last_confirm > timeout
        return now - oldest > timeout and (quiet or now - oldest > BEHIND_FACTOR * timeout)

    def _next(self, cursor: int, limit: int) -> list[Any]:
        """The next entries after `cursor`, as plain rows (the columns of `UplinkOutboxRow`; no ORM objects:
        building them cost more than the read), their attempts counted."""
        table = UplinkOutboxRow.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as connection:
            rows = list(
                connection.execute(select(table).where(table.c.seq > cursor).order_by(table.c.seq).limit(limit))
            )
            if rows:
                seqs = [r.seq for r in rows]
                connection.execute(update(table).where(table.c.seq.in_(seqs)).values(attempts=table.c.attempts + 1))
        return rows

    def _settle(self, inflight: dict[int, int], waiting: dict[int, float]) -> None:
        """PUBACKs move entries to `waiting`; the centre's confirmations delete them. A refused publish ends
        the connection (it is sent again)."""
        acked, self._acked = self._acked, []
        confirmed, self._confirmed = self._confirmed, []
        refused = False
        now = time.monotonic()
        for mid, accepted in acked:
            seq = inflight.pop(mid, None)
            if seq is None:
                continue
            if accepted:
                waiting[seq] = now
                self._counters.acknowledged += 1
            else:
                refused = True
                self._counters.refused += 1
        if confirmed:
            with Session(self.engine) as session:
                session.exec(delete(UplinkOutboxRow).where(col(UplinkOutboxRow.seq).in_(confirmed)))
                session.commit()
            for seq in confirmed:
                waiting.pop(seq, None)
            self._last_confirm = now
            self._counters.confirmed += len(confirmed)
        if refused:
            raise _Lost("the broker refused a publish (not authorised for the topic?)")
