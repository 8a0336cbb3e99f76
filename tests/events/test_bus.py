"""The live event bus: fan-out, order, bounded slow subscribers, Last-Event-ID replay, threads."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from lanewatch.events.bus import EventBus, health_payload, type_matches, valid_pattern, violation_payload
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.video.health import HealthEvent, SourceState

START = datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC)


def _v(**changes) -> Violation:
    base = {
        "id": "v1",
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


async def _take(sub, n: int, timeout: float = 5.0) -> list:
    out = []
    while len(out) < n:
        event = await sub.next(timeout=timeout)
        assert event is not None, f"timed out after {len(out)} of {n} events"
        out.append(event)
    return out


async def _drain(sub) -> list:
    return [e async for e in sub]


def test_fan_out_to_every_subscriber_in_order() -> None:
    async def main():
        bus = EventBus()
        subs = [bus.subscribe() for _ in range(3)]
        published = [bus.publish("camera.online", {"camera": f"c{i}"}) for i in range(5)]
        got = [await _take(s, 5) for s in subs]
        assert [e.id for e in published] == [1, 2, 3, 4, 5]
        for events in got:
            assert events == published
        assert all(e.at.tzinfo is not None for e in published)
        assert published == sorted(published, key=lambda e: e.at)

    asyncio.run(main())


def test_a_slow_subscriber_is_bounded_marked_lagging_and_dropped() -> None:
    async def main():
        bus = EventBus(queue_size=3)
        slow, fast = bus.subscribe(), bus.subscribe()
        t0 = time.monotonic()
        for i in range(10):
            bus.publish("camera.online", {"i": i})
            assert (await fast.next(timeout=1)).payload == {"i": i}
        assert time.monotonic() - t0 < 1.0  # the publisher was never held up
        assert slow.lagging and bus.subscriber_count == 1
        assert [e.payload["i"] for e in await _drain(slow)] == [0, 1, 2]  # what it had, then the end
        assert not fast.lagging

    asyncio.run(main())


@pytest.mark.parametrize(
    "last_id, expected, missed",
    [
        (None, [], False),
        (5, [6, 7, 8], False),
        (3, [4, 5, 6, 7, 8], False),
        (8, [], False),
        (1, [4, 5, 6, 7, 8], True),  # 2 and 3 have left the ring
        (100, [4, 5, 6, 7, 8], False),  # an id from an earlier run of the service: all we have
    ],
)
def test_last_event_id_replays_what_the_ring_still_holds(last_id, expected, missed) -> None:
    async def main():
        bus = EventBus(ring_size=5)
        for i in range(8):
            bus.publish("violation.update", {"i": i})
        sub = bus.subscribe(last_event_id=last_id)
        assert sub.missed is missed
        bus.publish("violation.end", {"i": 8})  # live events follow the replay
        got = await _take(sub, len(expected) + 1)
        assert [e.id for e in got] == [*expected, 9]

    asyncio.run(main())


def test_publishing_from_threads_while_consuming() -> None:
    threads_n, per_thread = 4, 500

    async def main():
        bus = EventBus(queue_size=threads_n * per_thread)
        subs = [bus.subscribe(), bus.subscribe()]

        def publish(t: int) -> None:
            for i in range(per_thread):
                bus.publish("camera.online", {"t": t, "i": i})

        threads = [threading.Thread(target=publish, args=(t,)) for t in range(threads_n)]
        for thread in threads:
            thread.start()
        results = await asyncio.gather(*(_take(s, threads_n * per_thread) for s in subs))
        for thread in threads:
            thread.join()
        for events in results:
            ids = [e.id for e in events]
            assert ids == sorted(ids) == list(range(1, threads_n * per_thread + 1))
            for t in range(threads_n):  # each publisher's own order kept
                assert [e.payload["i"] for e in events if e.payload["t"] == t] == list(range(per_thread))

    asyncio.run(main())


def test_timeouts_close_and_bus_shutdown_end_waiting_consumers() -> None:
    async def main():
        bus = EventBus()
        sub = bus.subscribe()
        assert await sub.next(timeout=0.05) is None  # a keep-alive tick
        waiting = asyncio.create_task(_drain(sub))
        await asyncio.sleep(0.05)
        threading.Thread(target=bus.close).start()  # shutdown comes from another thread
        assert await asyncio.wait_for(waiting, 2) == []
        late = bus.subscribe()
        assert late.closed and await _drain(late) == []
        bus.publish("camera.online", {})  # publishing after close is harmless

    asyncio.run(main())


def test_closing_a_subscription_unsubscribes_it() -> None:
    bus = EventBus()
    sub, other = bus.subscribe(), bus.subscribe()
    sub.close()
    assert bus.subscriber_count == 1 and sub.closed and not other.closed


def test_violation_payload_shape() -> None:
    before, after = _v(), _v(last_seen_s=20.0)
    payload = violation_payload(ViolationEvent("update", before, after))
    assert payload["type"] == "violation.update"
    assert payload["before"]["dwell_s"] == 9.0 and payload["after"]["dwell_s"] == 20.0
    assert payload["after"]["started_at"] == START.isoformat()
    assert violation_payload(ViolationEvent("new", None, before))["before"] is None


def test_health_payload_shape() -> None:
    event = HealthEvent("cam", SourceState.FROZEN, START, "picture unchanged")
    assert health_payload(event) == {
        "type": "camera.frozen",
        "camera": "cam",
        "at": START.isoformat(),
        "detail": "picture unchanged",
    }


@pytest.mark.parametrize(
    "patterns, event_type, expected",
    [
        (["*"], "violation.new", True),
        (["violation.*"], "violation.end", True),
        (["violation.*"], "camera.offline", False),
        (["camera.*"], "camera.offline", True),
        (["violation.new"], "violation.new", True),
        (["violation.new"], "violation.newer", False),
        (["violation"], "violation.new", False),
        (["violation.new", "camera.*"], "camera.frozen", True),
        ([], "violation.new", False),
    ],
)
def test_type_matching(patterns, event_type, expected) -> None:
    assert type_matches(patterns, event_type) is expected


@pytest.mark.parametrize(
    "pattern, ok",
    [
        ("*", True),
        ("violation.*", True),
        ("camera.*", True),
        ("camera.frozen", True),
        ("webhook.test", True),
        ("camera", False),
        ("alarm.*", True),
        ("sensor.*", False),
        ("violation.created", False),
        ("", False),
    ],
)
def test_valid_patterns(pattern, ok) -> None:
    assert valid_pattern(pattern) is ok
