"""The centre's apply step alone: messages/s one centre worker applies against a real PostgreSQL.

No broker and no edges: the messages are built the way an edge's publisher
builds them (an edge outbox on SQLite, `publisher.message`), then applied by
`centre.apply_batch` in batches of ``--batch`` (what the ingest's worker does
with what has arrived), ``--sites`` sites interleaved as they would arrive.
Prints messages/s and where the time went (``--profile``: the top of
cProfile). This is the ceiling of one centre process whatever the link; the
end-to-end figures come from ``uplink.py``.

    .venv/bin/python benchmarks/uplink_apply.py --sites 10 --records 200
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from itertools import zip_longest
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # lanewatch and tests.support without an install

from sqlmodel import Session, col, select  # noqa: E402

from lanewatch.events.violation import ViolationEvent  # noqa: E402
from lanewatch.store import record_tap  # noqa: E402
from lanewatch.store.db import open_engine, sqlite_url  # noqa: E402
from lanewatch.store.people_tables import OrganisationRow  # noqa: E402
from lanewatch.store.tables import utcnow  # noqa: E402
from lanewatch.store.uplink_tables import UplinkOutboxRow  # noqa: E402
from lanewatch.store.violation_store import ViolationStore  # noqa: E402
from lanewatch.uplink.broker import topic  # noqa: E402
from lanewatch.uplink.centre import apply_batch  # noqa: E402
from lanewatch.uplink.outbox import EdgeOutbox  # noqa: E402
from lanewatch.uplink.publisher import message  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from uplink import violation  # noqa: E402  (the same records as the end-to-end benchmark)


def site_messages(root: Path, site: str, records: int) -> list[tuple[str, bytes]]:
    """`records` new violations, as this site's publisher would send them."""
    path = root / f"{site}.db"
    engine = open_engine(sqlite_url(path))
    record_tap.attach(engine, EdgeOutbox(10 * records + 10))
    for n in range(records):
        v = violation(site, n)
        with Session(engine) as session:
            ViolationStore.apply(session, ViolationEvent("new", None, v))
            session.commit()
    with Session(engine) as session:
        rows = list(session.exec(select(UplinkOutboxRow).order_by(col(UplinkOutboxRow.seq))))
    record_tap.detach(engine)
    engine.dispose()
    return [(topic(site, r.kind), message(site, r)) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--records", type=int, default=200, help="new violations per site")
    parser.add_argument("--batch", type=int, default=50, help="messages per transaction")
    parser.add_argument("--profile", action="store_true", help="print where the time went")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="lanewatch-apply-bench-"))
    cluster = PostgresCluster()
    cluster.start()
    try:
        centre = open_engine(cluster.url(cluster.create_database()))
        sites = [f"site-{i + 1}" for i in range(args.sites)]
        with Session(centre) as session:
            parent = session.exec(select(OrganisationRow).where(OrganisationRow.code == "district")).one()
            session.add_all(OrganisationRow(code=s, name=s, kind="community", parent_pk=parent.pk) for s in sites)
            session.commit()
        per_site = [site_messages(root, site, args.records) for site in sites]
        arrived = [m for group in zip_longest(*per_site) for m in group if m is not None]  # sites interleaved
        now = utcnow()
        items = [(t, raw, now) for t, raw in arrived]
        batches = [items[i : i + args.batch] for i in range(0, len(items), args.batch)]
        profile = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profile is not None:
            profile.enable()
        failed = sum(apply_batch(centre, batch) is None for batch in batches)
        if profile is not None:
            profile.disable()
        seconds = time.perf_counter() - started
        print(f"centre apply: {len(items)} messages of {args.sites} sites, batches of {args.batch}")
        print(f"{len(items) / seconds:.0f} messages/s ({seconds:.2f} s; {failed} batches failed)")
        if profile is not None:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
