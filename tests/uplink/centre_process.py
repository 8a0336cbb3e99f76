"""Run a centre's ingest alone, as its own OS process, until killed (tests kill it with SIGKILL mid-ingest).

``python -m tests.uplink.centre_process DB_URL HOST PORT CLIENT_ID``; prints READY once the broker granted its
shared subscription.
"""

from __future__ import annotations

import logging
import sys
import threading

from lanewatch.config import CentreConfig
from lanewatch.store.db import open_engine
from lanewatch.uplink.centre import CentreIngest


def main() -> None:
    url, host, port, client_id = sys.argv[1:5]
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    config = CentreConfig(enabled=True, host=host, port=int(port), client_id=client_id)
    ingest = CentreIngest(open_engine(url), config)
    ingest.start()
    if not ingest.subscribed.wait(60):
        sys.exit("no subscription within 60 s")
    print("READY", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
