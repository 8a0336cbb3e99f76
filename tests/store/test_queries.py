"""Violation search with keyset cursor pages, and camera health periods, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.store.queries import MAX_LIMIT, HealthStore, InvalidCursor, list_violations
from lanewatch.store.tables import ViolationRow, as_utc
from lanewatch.store.violation_store import ViolationStore
from lanewatch.video.health import HealthEvent, SourceState

T0 = datetime(2026, 6, 1, 8, 0, 0, tzinfo=UTC)
CST = timezone(timedelta(hours=8))


def _v(vid: str, minute: float, **changes) -> Violation:
    at = T0 + timedelta(minutes=minute)
    base = {
        "id": vid,
        "camera": "cam-a",
        "zone": "lane",
        "zone_name": "Lane",
        "label": "car",
        "start_s": 0.0,
        "violation_s": 8.0,
        "last_seen_s": 9.0,
        "end_s": None,
        "started_at": at - timedelta(seconds=8),
        "violation_at": at,
        "ended_at": None,
        "confidence": 0.7,
        "box": (0.1, 0.2, 0.3, 0.4),
    }
    return Violation(**{**base, **changes})


def _add(engine, *violations: Violation) -> None:
    store = ViolationStore(engine)
    for v in violations:
        store(ViolationEvent("new", None, v))


def _ids(engine, **filters) -> list[str]:
    with Session(engine) as session:
        rows, _ = list_violations(session, limit=MAX_LIMIT, **filters)
        return [r.id for r in rows]


def _all_pages(engine, limit: int, between_pages=None, **filters) -> list[list[str]]:
    pages, after = [], None
    while True:
        with Session(engine) as session:
            rows, after = list_violations(session, after=after, limit=limit, **filters)
        pages.append([r.id for r in rows])
        if after is None:
            return pages
        if between_pages is not None:
            between_pages(len(pages))


@pytest.fixture
def stocked(engine):
    """Six violations, with two pairs sharing a violation_at (so the id breaks the tie)."""
    _add(
        engine,
        _v("v1", 0),
        _v("v2", 10, camera="cam-b", label="truck"),
        _v("v3", 10, zone="gate"),
        _v("v4", 20, end_s=60.0, ended_at=T0 + timedelta(minutes=21)),
        _v("v5", 30, camera="cam-b"),
        _v("v6", 30, label="truck"),
    )
    with Session(engine) as session:
        session.get(ViolationRow, "v4").state = "resolved"
        session.get(ViolationRow, "v5").state = "acknowledged"
        session.commit()
    return engine


def test_newest_first_ties_broken_by_id(stocked) -> None:
    assert _ids(stocked) == ["v6", "v5", "v4", "v3", "v2", "v1"]


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"camera": "cam-b"}, ["v5", "v2"]),
        ({"zone": "gate"}, ["v3"]),
        ({"state": "new"}, ["v6", "v3", "v2", "v1"]),
        ({"state": "resolved"}, ["v4"]),
        ({"label": "truck"}, ["v6", "v2"]),
        ({"active": True}, ["v6", "v5", "v3", "v2", "v1"]),
        ({"active": False}, ["v4"]),
        ({"camera": "cam-b", "label": "truck"}, ["v2"]),
        ({"camera": "nowhere"}, []),
        # since is inclusive, until exclusive, both on violation_at; any time zone, naive = UTC
        ({"since": T0 + timedelta(minutes=10)}, ["v6", "v5", "v4", "v3", "v2"]),
        ({"until": T0 + timedelta(minutes=10)}, ["v1"]),
        (
            {
                "since": (T0 + timedelta(minutes=10)).astimezone(CST),
                "until": (T0 + timedelta(minutes=30)).astimezone(CST),
            },
            ["v4", "v3", "v2"],
        ),
        ({"since": datetime(2026, 6, 1, 8, 20)}, ["v6", "v5", "v4"]),
        ({"since": T0 + timedelta(minutes=10, microseconds=1)}, ["v6", "v5", "v4"]),
    ],
)
def test_filters(stocked, filters, expected) -> None:
    assert _ids(stocked, **filters) == expected


@pytest.mark.parametrize("limit", [1, 2, 4, 5, 6, 7])
def test_pages_cover_every_row_exactly_once(stocked, limit) -> None:
    pages = _all_pages(stocked, limit)
    assert [i for page in pages for i in page] == ["v6", "v5", "v4", "v3", "v2", "v1"]
    assert all(len(page) == limit for page in pages[:-1]) and 1 <= len(pages[-1]) <= limit
    assert len(pages) == -(-6 // limit)  # no empty trailing page


def test_pages_combine_with_filters(stocked) -> None:
    assert _all_pages(stocked, 1, active=True, since=T0 + timedelta(minutes=10)) == [["v6"], ["v5"], ["v3"], ["v2"]]


def test_pages_are_stable_while_new_violations_arrive(engine) -> None:
    """Rows inserted between page requests (newer ones, and one tied with the cursor row) never shift a page."""
    _add(engine, *[_v(f"old-{i:02d}", i) for i in range(10)])
    inserted = []

    def arrive(page_number: int) -> None:
        v = _v(f"new-{page_number}", 100 + page_number)
        inserted.append(v.id)
        _add(engine, v)

    pages = _all_pages(engine, 3, between_pages=arrive)
    seen = [i for page in pages for i in page]
    assert seen == [f"old-{i:02d}" for i in reversed(range(10))]
    assert inserted and not set(inserted) & set(seen)
    assert _ids(engine)[: len(inserted)] == list(reversed(inserted))  # they are the next first page


def test_a_row_tied_with_the_cursor_sorts_by_id(engine) -> None:
    _add(engine, _v("b", 5), _v("d", 5), _v("a", 1))
    with Session(engine) as session:
        rows, after = list_violations(session, limit=1)
    assert [r.id for r in rows] == ["d"]
    _add(engine, _v("c", 5), _v("e", 5))  # same instant: c sorts after d (still to come), e before it (missed)
    with Session(engine) as session:
        rows, after = list_violations(session, after=after, limit=10)
    assert [r.id for r in rows] == ["c", "b", "a"] and after is None


def test_cursor_survives_microseconds_and_time_zones(engine) -> None:
    at = datetime(2026, 6, 1, 16, 0, 0, 999999, tzinfo=CST)
    _add(engine, *[_v(f"m{i}", 0, violation_at=at + timedelta(microseconds=i)) for i in range(4)])
    assert _all_pages(engine, 1) == [["m3"], ["m2"], ["m1"], ["m0"]]


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !",
        "",
        "aGVsbG8",
        base64.urlsafe_b64encode(b'["2026-06-01T08:00:00", "v1"]').decode(),
        base64.urlsafe_b64encode(b'["yesterday", "v1"]').decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        base64.urlsafe_b64encode(b'["2026-06-01T08:00:00+00:00", 7]').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_invalid_cursor(engine, cursor) -> None:
    with Session(engine) as session, pytest.raises(InvalidCursor):
        list_violations(session, after=cursor)


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_limit_bounds(engine, limit) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="limit"):
        list_violations(session, limit=limit)


def test_limit_max_is_allowed(stocked) -> None:
    with Session(stocked) as session:
        rows, after = list_violations(session, limit=MAX_LIMIT)
    assert len(rows) == 6 and after is None


def _health(camera: str, state: SourceState, minute: float, detail: str = "") -> HealthEvent:
    return HealthEvent(camera, state, T0 + timedelta(minutes=minute), detail)


def test_health_periods(engine) -> None:
    sink = HealthStore(engine)
    sink(_health("gate", SourceState.OFFLINE, 0, "connection refused"))
    sink(_health("dock", SourceState.ONLINE, 0))
    sink(_health("gate", SourceState.ONLINE, 5, "receiving frames"))
    sink(_health("gate", SourceState.ONLINE, 5, "receiving frames"))  # replayed: no new period
    with Session(engine) as session:
        now = HealthStore.current(session, "gate")
        assert (now.state, now.ended_at, now.detail) == ("online", None, "receiving frames")
        history = HealthStore.history(session, "gate", limit=10)
        assert [(h.state, h.ended_at is None) for h in history] == [("online", True), ("offline", False)]
        offline = history[1]
        assert offline.detail == "connection refused"
        assert as_utc(offline.ended_at) == T0 + timedelta(minutes=5) == as_utc(now.started_at)
        assert HealthStore.current(session, "dock").state == "online"  # other cameras untouched
        assert HealthStore.current(session, "unknown") is None and HealthStore.history(session, "unknown") == []
    sink(_health("gate", SourceState.FROZEN, 9))
    with Session(engine) as session:
        assert [h.state for h in HealthStore.history(session, "gate", limit=2)] == ["frozen", "online"]
        assert HealthStore.current(session, "gate").state == "frozen"
