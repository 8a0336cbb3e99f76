"""Run an edge's uplink publisher alone, as its own OS process, until killed (tests kill it with SIGKILL).

``python -m tests.uplink.edge_publisher DB_URL HOST PORT SITE``; prints READY once started.
"""

from __future__ import annotations

import logging
import sys
import threading

from lanewatch.config import UplinkConfig
from lanewatch.store.db import open_engine
from lanewatch.uplink.publisher import UplinkPublisher


def main() -> None:
    url, host, port, site = sys.argv[1:5]
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    config = UplinkConfig(enabled=True, host=host, port=int(port), site=site, inflight=5, confirm_timeout_s=2.0)
    UplinkPublisher(open_engine(url), config, poll_s=0.05).start()
    print("READY", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
