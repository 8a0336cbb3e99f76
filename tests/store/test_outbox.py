"""The webhook outbox: one transaction with the event, idempotent replays, and at-least-once
delivery by the dispatcher to a real HTTP receiver on 127.0.0.1 (signatures, retries, restarts)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlmodel import Session, select

from lanewatch.config import WebhookConfig
from lanewatch.events.signature import sign, verify_signature
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.store import outbox
from lanewatch.store.db import open_engine
from lanewatch.store.outbox import OutboxSink, WebhookDispatcher, enqueue, fit_key
from lanewatch.store.tables import HealthEventRow, ViolationRow, WebhookRow, as_utc, utcnow
from lanewatch.video.health import HealthEvent, SourceState
from tests.support.outbox_rows import outbox_rows, wait_until
from tests.support.webhook_receiver import Receiver, free_port

START = datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC)
FAST = WebhookConfig(timeout_s=2.0, retry_initial_s=0.05, retry_max_s=0.2, max_attempts=50)


def _v(vid: str = "v1", **changes) -> Violation:
    base = {
        "id": vid,
        "camera": "cam",
        "zone": "lane",
        "zone_name": "Lane",
        "label": "car",
        "start_s": 0.0,
        "violation_s": 8.0,
        "last_seen_s": 9.0,
        "end_s": None,
        "started_at": START,
        "violation_at": START + timedelta(seconds=8),
        "ended_at": None,
        "confidence": 0.7,
        "box": (0.1, 0.2, 0.3, 0.4),
    }
    return Violation(**{**base, **changes})


def _hook(engine, events, url="http://127.0.0.1:9/", enabled=True, secret="s3cret-s3cret-s3cret") -> int:
    with Session(engine) as session:
        row = WebhookRow(url=url, secret=secret, events=events, enabled=enabled)
        session.add(row)
        session.commit()
        return row.pk


# -- enqueue / OutboxSink -------------------------------------------------------------------


def test_deliveries_go_to_the_enabled_webhooks_subscribed_to_the_type(engine) -> None:
    every = _hook(engine, ["*"])
    violations = _hook(engine, ["violation.*"])
    ends = _hook(engine, ["violation.end"])
    _hook(engine, ["camera.*"])
    _hook(engine, ["*"], enabled=False)
    sink = OutboxSink(engine)
    new = _v()
    sink(ViolationEvent("new", None, new))
    sink(ViolationEvent("end", new, _v(end_s=30.0, ended_at=START + timedelta(seconds=30))))
    got = sorted((r.event_type, r.webhook_pk) for r in outbox_rows(engine))
    assert got == sorted(
        [
            ("violation.new", every),
            ("violation.new", violations),
            ("violation.end", every),
            ("violation.end", violations),
            ("violation.end", ends),
        ]
    )
    row = next(r for r in outbox_rows(engine) if r.event_type == "violation.end")
    assert row.idempotency_key == "v1:end" and row.payload["after"]["end_s"] == 30.0
    assert row.payload["before"]["end_s"] is None and row.delivered_at is None and row.attempts == 0


def test_the_violation_and_its_deliveries_commit_together_or_not_at_all(engine, monkeypatch) -> None:
    first, _second = _hook(engine, ["*"]), _hook(engine, ["*"])
    real = outbox.add_delivery

    def failing(session, webhook_pk, *args):
        if webhook_pk != first:
            raise RuntimeError("database went away mid-transaction")
        return real(session, webhook_pk, *args)

    monkeypatch.setattr(outbox, "add_delivery", failing)
    with pytest.raises(RuntimeError):
        OutboxSink(engine)(ViolationEvent("new", None, _v()))
    with Session(engine) as session:
        assert session.get(ViolationRow, "v1") is None  # no violation without its notifications...
    assert outbox_rows(engine) == []  # ...and no notification without its violation
    monkeypatch.setattr(outbox, "add_delivery", real)
    OutboxSink(engine)(ViolationEvent("new", None, _v()))  # the pipeline's retry then stores both
    with Session(engine) as session:
        assert session.get(ViolationRow, "v1") is not None
    assert len(outbox_rows(engine)) == 2


def test_replayed_events_enqueue_nothing_new(engine) -> None:
    _hook(engine, ["*"])
    sink = OutboxSink(engine)
    new = _v()
    later = _v(last_seen_s=20.0)
    events = [
        ViolationEvent("new", None, new),
        ViolationEvent("update", new, later),
        ViolationEvent("update", later, _v(last_seen_s=31.0)),
        ViolationEvent("end", later, _v(last_seen_s=31.0, end_s=31.0, ended_at=START + timedelta(seconds=31))),
    ]
    for event in events + events:  # everything replayed after a crash
        sink(event)
    assert [r.idempotency_key for r in outbox_rows(engine)] == [
        "v1:new",
        "v1:update:20000",
        "v1:update:31000",
        "v1:end",
    ]


def test_health_changes_are_stored_with_their_deliveries(engine) -> None:
    hook = _hook(engine, ["camera.*"])
    sink = OutboxSink(engine)
    offline = HealthEvent("cam", SourceState.OFFLINE, START, "connection refused")
    online = HealthEvent("cam", SourceState.ONLINE, START + timedelta(seconds=5), "receiving frames")
    for event in (offline, online, online):
        sink.health(event)
    rows = outbox_rows(engine)
    assert [(r.webhook_pk, r.event_type) for r in rows] == [(hook, "camera.offline"), (hook, "camera.online")]
    assert rows[0].payload == {
        "type": "camera.offline",
        "camera": "cam",
        "at": START.isoformat(),
        "detail": "connection refused",
    }
    with Session(engine) as session:
        periods = session.exec(select(HealthEventRow).order_by(HealthEventRow.pk)).all()
        assert [(p.state, p.ended_at is None) for p in periods] == [("offline", False), ("online", True)]


def test_long_keys_are_hashed_to_fit_the_column(engine) -> None:
    hook = _hook(engine, ["webhook.test"])
    key = "x" * 100
    with Session(engine) as session:
        assert len(enqueue(session, "webhook.test", {"type": "webhook.test"}, key)) == 1
        assert enqueue(session, "webhook.test", {"type": "webhook.test"}, key) == []
        session.commit()
    assert [(r.webhook_pk, r.idempotency_key) for r in outbox_rows(engine)] == [(hook, fit_key(key))]
    assert len(fit_key(key)) == 64


# -- signatures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret, timestamp, body, now, expected",
    [
        ("k" * 20, "1000", b'{"a":1}', 1000, True),
        ("k" * 20, "1000", '{"a":1}', 1100, True),  # str bodies too, within tolerance
        ("other-secret-value", "1000", b'{"a":1}', 1000, False),
        ("k" * 20, "1000", b'{"a":2}', 1000, False),  # tampered body
        ("k" * 20, "1001", b'{"a":1}', 1000, False),  # tampered timestamp
        ("k" * 20, "1000", b'{"a":1}', 2000, False),  # replayed long after
        ("k" * 20, "soon", b'{"a":1}', 1000, False),
    ],
)
def test_verify_signature(secret, timestamp, body, now, expected) -> None:
    header = sign("k" * 20, "1000", b'{"a":1}')
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature(secret, timestamp, body, header, now=now) is expected
    assert verify_signature("k" * 20, "1000", b'{"a":1}', "sha256=" + "0" * 64, now=1000) is False
    assert verify_signature("k" * 20, "1000", b'{"a":1}', "garbage \u00e9", now=1000) is False


# -- the dispatcher against a real receiver -------------------------------------------------


@pytest.fixture
def receivers():
    started: list[Receiver] = []

    def start(*args, **kwargs) -> Receiver:
        started.append(Receiver(*args, **kwargs))
        return started[-1]

    yield start
    for r in started:
        r.close()


@pytest.fixture
def dispatchers():
    started: list[WebhookDispatcher] = []

    def start(engine, config=FAST) -> WebhookDispatcher:
        started.append(WebhookDispatcher(engine, config, poll_s=0.05))
        started[-1].start()
        return started[-1]

    yield start
    for d in started:
        d.stop(timeout=5)


def _all_delivered(engine) -> bool:
    rows = outbox_rows(engine)
    return bool(rows) and all(r.delivered_at is not None for r in rows)


def test_signed_delivery_to_a_real_receiver(engine, receivers, dispatchers) -> None:
    secret = "whsec_test_secret_0123456789"
    receiver = receivers(secret)
    hook = _hook(engine, ["violation.*"], url=receiver.url, secret=secret)
    OutboxSink(engine)(ViolationEvent("new", None, _v()))
    dispatchers(engine)
    wait_until(lambda: _all_delivered(engine), what="delivery")
    [request] = receiver.delivered()
    [row] = outbox_rows(engine)
    headers = request["headers"]
    assert request["valid"]
    assert headers["X-Lanewatch-Event"] == "violation.new"
    assert headers["X-Lanewatch-Delivery"] == str(row.pk)
    assert headers["Idempotency-Key"] == "v1:new"
    assert headers["Content-Type"] == "application/json"
    assert abs(int(headers["X-Lanewatch-Timestamp"]) - time.time()) < 60
    assert json.loads(request["body"]) == row.payload
    assert row.webhook_pk == hook and row.attempts == 1 and row.last_error is None


def test_a_500_is_retried_until_accepted(engine, receivers, dispatchers) -> None:
    receiver = receivers("s3cret-s3cret-s3cret", statuses=[500, 503])
    _hook(engine, ["*"], url=receiver.url)
    OutboxSink(engine)(ViolationEvent("new", None, _v()))
    dispatchers(engine)
    wait_until(lambda: _all_delivered(engine), what="delivery after two 5xx")
    assert [r["status"] for r in receiver.requests] == [500, 503, 200]
    [row] = outbox_rows(engine)
    assert row.attempts == 3 and row.last_error.startswith("HTTP 503")
    gaps = [b["at"] - a["at"] for a, b in pairwise(receiver.requests)]
    assert gaps[0] >= FAST.retry_initial_s * 0.5 - 0.01  # backed off, not hammered
    assert gaps[1] >= FAST.retry_initial_s - 0.01  # and doubled (with 50-100 % jitter)


def test_receiver_down_then_up_is_delivered_after_retries(engine, receivers, dispatchers) -> None:
    port = free_port()
    _hook(engine, ["*"], url=f"http://127.0.0.1:{port}/hook")
    sink = OutboxSink(engine)
    for i in range(5):
        sink(ViolationEvent("new", None, _v(f"v{i}")))
    dispatchers(engine)
    wait_until(lambda: all(r.attempts >= 2 for r in outbox_rows(engine)), what="failed attempts")
    assert all("ConnectError" in r.last_error and r.delivered_at is None for r in outbox_rows(engine))
    receiver = receivers("s3cret-s3cret-s3cret", port=port)
    wait_until(lambda: _all_delivered(engine), what="delivery once the receiver is up")
    keys = {r["headers"]["Idempotency-Key"] for r in receiver.delivered()}
    assert keys == {f"v{i}:new" for i in range(5)}  # at least once: none lost


def test_a_new_dispatcher_delivers_what_the_old_one_left_pending(db_url, receivers) -> None:
    port = free_port()
    first_engine = open_engine(db_url)
    _hook(first_engine, ["*"], url=f"http://127.0.0.1:{port}/hook")
    sink = OutboxSink(first_engine)
    for i in range(10):
        sink(ViolationEvent("new", None, _v(f"v{i}")))
    first = WebhookDispatcher(first_engine, FAST, poll_s=0.05)
    first.start()
    wait_until(lambda: all(r.attempts >= 1 for r in outbox_rows(first_engine)), what="failed attempts")
    first.stop()
    first_engine.dispose()  # the process is gone; only the table remains

    receiver = receivers("s3cret-s3cret-s3cret", port=port)
    engine = open_engine(db_url)
    second = WebhookDispatcher(engine, FAST, poll_s=0.05)
    second.start()
    try:
        wait_until(lambda: _all_delivered(engine), what="delivery after the restart")
    finally:
        second.stop()
        engine.dispose()
    assert {r["headers"]["Idempotency-Key"] for r in receiver.delivered()} == {f"v{i}:new" for i in range(10)}
    assert all(r["valid"] for r in receiver.requests)


def test_gives_up_after_max_attempts_and_skips_disabled_webhooks(engine, receivers, dispatchers) -> None:
    failing = receivers("s3cret-s3cret-s3cret", statuses=[500] * 10)
    paused = receivers("s3cret-s3cret-s3cret")
    _hook(engine, ["*"], url=failing.url)
    off = _hook(engine, ["*"], url=paused.url)
    OutboxSink(engine)(ViolationEvent("new", None, _v()))
    with Session(engine) as session:  # disabled after the event was queued for it
        row = session.get(WebhookRow, off)
        row.enabled = False
        session.add(row)
        session.commit()
    dispatchers(engine, WebhookConfig(timeout_s=2, retry_initial_s=0.02, retry_max_s=0.05, max_attempts=3))
    wait_until(lambda: any(r.attempts == 3 for r in outbox_rows(engine)), what="three attempts")
    time.sleep(0.3)
    rows = {r.webhook_pk: r for r in outbox_rows(engine)}
    assert len(failing.requests) == 3 and rows[off].attempts == 0 and paused.requests == []
    gave_up = next(r for pk, r in rows.items() if pk != off)
    assert gave_up.last_error.startswith("gave up after 3 attempts: HTTP 500") and gave_up.delivered_at is None


@pytest.mark.parametrize(
    "attempts, low, high", [(1, 0.5, 1.0), (2, 1.0, 2.0), (3, 2.0, 4.0), (10, 5.0, 10.0), (500, 5.0, 10.0)]
)
def test_backoff_doubles_with_jitter_up_to_the_cap(attempts, low, high) -> None:
    dispatcher = WebhookDispatcher(None, WebhookConfig(retry_initial_s=1.0, retry_max_s=10.0))
    delays = [dispatcher.backoff_s(attempts) for _ in range(200)]
    assert all(low <= d <= high for d in delays) and len(set(delays)) > 1
    dispatcher.stop()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # row locks (SKIP LOCKED): PostgreSQL only
def test_two_dispatchers_share_the_table_without_double_delivery(engine, receivers) -> None:
    receiver = receivers("s3cret-s3cret-s3cret")
    _hook(engine, ["*"], url=receiver.url)
    with Session(engine) as session:
        for i in range(60):
            enqueue(session, "webhook.test", {"type": "webhook.test", "i": i}, f"k{i}")
        session.commit()
    pair = [WebhookDispatcher(engine, FAST, poll_s=0.01, batch_size=3) for _ in range(2)]
    for d in pair:
        d.start()
    try:
        wait_until(lambda: _all_delivered(engine), what="all rows delivered")
    finally:
        for d in pair:
            d.stop()
    keys = [r["headers"]["Idempotency-Key"] for r in receiver.requests]
    assert sorted(keys) == sorted(f"k{i}" for i in range(60))  # each exactly once
    assert all(r.attempts == 1 for r in outbox_rows(engine))


def test_claimed_rows_are_leased_not_lost(engine) -> None:
    """A dispatcher that dies mid-batch leaves its rows leased; they come due again when the lease ends."""
    _hook(engine, ["*"])
    with Session(engine) as session:
        enqueue(session, "webhook.test", {"type": "webhook.test"}, "k")
        session.commit()
    dispatcher = WebhookDispatcher(engine, FAST)
    [claimed] = dispatcher._claim()  # then "crashes" before delivering
    dispatcher.stop()
    [row] = outbox_rows(engine)
    assert row.delivered_at is None and row.attempts == 0
    assert as_utc(row.next_attempt_at) > utcnow() and claimed.pk == row.pk
    assert WebhookDispatcher(engine, FAST)._claim() == []  # not due again until the lease ends
