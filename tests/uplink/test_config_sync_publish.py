"""Two centre processes publishing one site's config (PostgreSQL, real row locks): each revision goes out once,
in order, and a change made while a snapshot is on its way is sent in the next one, never lost."""

from __future__ import annotations

import json
import threading
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session

from lanewatch.store.tables import utcnow
from lanewatch.store.uplink_tables import ConfigSiteRow
from lanewatch.uplink.config_sync import Version, store
from lanewatch.uplink.config_sync_capture import bump
from lanewatch.uplink.config_sync_link import publish_due
from tests.api.conftest import LANE
from tests.uplink.conftest import SITE


def _change(engine: Engine, dwell: float) -> None:
    """What a centre edit of the site's zone commits: its version and the site's next revision."""
    with Session(engine) as session:
        zone = {**LANE, "id": "lane-1", "name": "东门消防通道", "dwell_seconds": dwell}
        store(session, Version(SITE, "zone", "gate/lane-1", zone, utcnow(), "区值班员", "centre"))
        bump(session, SITE)
        session.commit()


def test_a_change_made_while_a_snapshot_is_sent_goes_in_the_next_and_none_goes_twice(centre_engine) -> None:
    sent: list[dict] = []
    entered = threading.Event()

    def slow(topic: str, payload: bytes) -> bool:  # process 1: its broker takes a while to acknowledge
        sent.append(json.loads(payload))
        entered.set()
        time.sleep(0.5)
        return True

    def fast(topic: str, payload: bytes) -> bool:  # process 2
        sent.append(json.loads(payload))
        return True

    _change(centre_engine, 60.0)
    first = threading.Thread(target=publish_due, args=(centre_engine, slow))
    first.start()
    assert entered.wait(30)
    second = threading.Thread(target=publish_due, args=(centre_engine, fast))  # waits for the site's row
    edit = threading.Thread(target=_change, args=(centre_engine, 70.0))  # waits too, then is revision 2
    second.start()
    edit.start()
    for thread in (first, second, edit):
        thread.join(30)
    publish_due(centre_engine, fast)
    revisions = [s["revision"] for s in sent]
    assert revisions == [1, 2]
    assert [s["items"][0]["body"]["dwell_seconds"] for s in sent] == [60.0, 70.0]
    with Session(centre_engine) as session:
        site = session.get(ConfigSiteRow, SITE)
        assert site is not None and (site.revision, site.published) == (2, 2)
