"""Run a centre's ingest alone, as its own OS process, until killed (tests kill it with SIGKILL mid-ingest).

``python -m tests.uplink.centre_process DB_URL HOST PORT CLIENT_ID [EVENTS_FILE]``; prints READY once the broker
granted its shared subscription (and, with EVENTS_FILE, once its live-event listener hears PostgreSQL). With
EVENTS_FILE, a subscriber of this process's bus (what an SSE client of this process would be sent) writes each
event as one JSON line: ``{"id", "type", "payload"}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from pathlib import Path

from lanewatch.config import CentreConfig
from lanewatch.events.bus import EventBus, Subscription
from lanewatch.store.db import open_engine
from lanewatch.uplink.centre import CentreIngest
from lanewatch.uplink.centre_events import LiveListener


async def _write_events(subscription: Subscription, path: Path) -> None:
    with path.open("a", encoding="utf-8") as out:
        async for event in subscription:
            out.write(json.dumps({"id": event.id, "type": event.type, "payload": event.payload}) + "\n")
            out.flush()


def main() -> None:
    url, host, port, client_id = sys.argv[1:5]
    events_file = Path(sys.argv[5]) if len(sys.argv) > 5 else None
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    config = CentreConfig(enabled=True, host=host, port=int(port), client_id=client_id)
    engine = open_engine(url)
    if events_file is not None:
        bus = EventBus(queue_size=100_000)
        listener = LiveListener(engine, bus)
        listener.start()
        subscription = bus.subscribe()  # before anything is applied: the writer thread only drains it
        threading.Thread(target=asyncio.run, args=(_write_events(subscription, events_file),), daemon=True).start()
        if not listener.ready.wait(60):
            sys.exit("not listening within 60 s")
    ingest = CentreIngest(engine, config)
    ingest.start()
    if not ingest.subscribed.wait(60):
        sys.exit("no subscription within 60 s")
    print("READY", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
