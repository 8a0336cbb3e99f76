"""Ingest → store → live events through a real uvicorn server on 127.0.0.1, read as Server-Sent Events."""

from __future__ import annotations

import httpx
from sqlmodel import Session, func, select

from lanewatch.api.auth import create_api_key
from lanewatch.store.alarm_tables import AlarmRow
from tests.api.test_events_sse import server  # noqa: F401  (uvicorn in a thread)
from tests.support.serve import SseReader, wait_for


def test_ingested_alarms_reach_sse_clients_after_they_are_stored(server, keys, runtime) -> None:  # noqa: F811
    device = {"Authorization": f"Bearer {create_api_key(runtime.engine, role='device', name='gw')}"}
    reader = SseReader(server.url, keys.viewer)
    try:
        assert wait_for(lambda: runtime.bus.subscriber_count == 1, timeout=10)
        batch = [
            {"device_id": f"smoke-{i}", "kind": "alarm", "alarm_type": "fire", "message_id": f"m{i}"} for i in range(50)
        ]
        answer = httpx.post(f"{server.url}/api/alarms/ingest", json=batch, headers=device, timeout=10)
        assert answer.json() == {"accepted": 50, "duplicates": 0, "errors": []}
        assert wait_for(lambda: len([e for e in reader.events if e["event"] == "alarm.new"]) == 50, timeout=10)
        ids = {e["data"]["after"]["id"] for e in reader.events if e["event"] == "alarm.new"}
        with Session(runtime.engine) as session:
            stored = set(session.exec(select(AlarmRow.id)))
            assert session.exec(select(func.count()).select_from(AlarmRow)).one() == 50
        assert ids == stored
        first = next(e["data"] for e in reader.events if e["event"] == "alarm.new")
        assert first["after"]["stored_at"] >= first["after"]["received_at"] and first["published_at"]
    finally:
        reader.close()
        runtime.bus.close()  # ends the stream, so the server stops at once
