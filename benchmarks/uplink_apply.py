"""The centre's apply step alone: messages/s one centre worker applies against a real PostgreSQL.

No broker and no edges: the messages are built the way an edge's publisher
builds them (an edge outbox on SQLite, `publisher.message`), then applied by
`centre.apply_batch` in batches of ``--batch`` (what the ingest's worker does
with what has arrived), ``--sites`` sites interleaved as they would arrive.
Prints messages/s and where the time went (``--profile``: the top of
cProfile). This is the ceiling of one centre process whatever the link; the
end-to-end figures come from ``uplink.py``.

    .venv/bin/python benchmarks/uplink_apply.py --sites 10 --records 200 [--history 100000]
        [--profile --sort tottime]
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

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from lanewatch.events.violation import ViolationEvent  # noqa: E402
from lanewatch.store import record_tap  # noqa: E402
from lanewatch.store.db import open_engine, sqlite_url  # noqa: E402
from lanewatch.store.people_tables import OrganisationRow  # noqa: E402
from lanewatch.store.tables import utcnow  # noqa: E402
from lanewatch.store.uplink_tables import UplinkOutboxRow  # noqa: E402
from lanewatch.store.violation_store import ViolationStore  # noqa: E402
from lanewatch.uplink.broker import topic  # noqa: E402
from lanewatch.uplink.centre import BATCH_MAX, apply_batch  # noqa: E402
from lanewatch.uplink.outbox import EdgeOutbox  # noqa: E402
from lanewatch.uplink.publisher import message  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from uplink import postgres_processes, used, violation  # noqa: E402  (the same records as the end-to-end benchmark)


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


HISTORY_SQL = (
    """
    INSERT INTO violations (id, camera, zone, zone_name, label, start_s, violation_s, last_seen_s, started_at,
        violation_at, confidence, box_x1, box_y1, box_x2, box_y2, state, unreliable, updated_at)
    SELECT CAST(:site AS text) || '-old-' || i, CAST(:site AS text) || '.gate', 'lane', '东门', 'car',
        0, 30, 31, now(), now(), 0.8, 0.1, 0.2, 0.3, 0.4, 'resolved', false, now()
    FROM generate_series(1, :n) AS i
    """,
    """
    INSERT INTO uplink_records (site, kind, record_id, seq, edge_time, received_at)
    SELECT CAST(:site AS text), 'violation', CAST(:site AS text) || '-old-' || i, i, now(), now()
    FROM generate_series(1, :n) AS i
    """,
)


def add_history(engine, sites: list[str], records: int) -> None:
    """`records` earlier violations (and their sequence rows) spread over the sites, then ANALYZE: the centre
    as it is after weeks of running. On an empty, never-analysed database PostgreSQL plans a batch's
    lookups as scans of all the site's rows (it believes the tables tiny), which no running centre sees."""
    with engine.begin() as conn:
        for site in sites:
            for sql in HISTORY_SQL:
                conn.execute(text(sql), {"site": site, "n": records // len(sites)})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--records", type=int, default=200, help="new violations per site")
    parser.add_argument("--batch", type=int, default=BATCH_MAX, help="messages per transaction (the centre's)")
    parser.add_argument("--history", type=int, default=100_000, help="violations the centre holds already")
    parser.add_argument("--profile", action="store_true", help="print where the time went")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (cumulative, tottime)")
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
        add_history(centre, sites, args.history)
        per_site = [site_messages(root, site, args.records) for site in sites]
        arrived = [m for group in zip_longest(*per_site) for m in group if m is not None]  # sites interleaved
        now = utcnow()
        items = [(t, raw, now) for t, raw in arrived]
        batches = [items[i : i + args.batch] for i in range(0, len(items), args.batch)]
        profile = cProfile.Profile() if args.profile else None
        centre.dispose()  # the pool's connections of the setup gone: the apply's own backend is counted whole
        pg_before, started, cpu_before = used(postgres_processes(cluster)), time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        failed = sum(apply_batch(centre, batch) is None for batch in batches)
        if profile is not None:
            profile.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_before
        pg = used(postgres_processes(cluster)) - pg_before
        print(
            f"centre apply: {len(items)} messages of {args.sites} sites, batches of {args.batch},"
            f" {args.history} violations held before"
        )
        print(f"{len(items) / seconds:.0f} messages/s ({seconds:.2f} s; {failed} batches failed)")
        print(  # the wall rate moves with whatever else the machine runs; the CPU per message much less
            f"CPU per message: centre {cpu / len(items) * 1000:.3f} ms, PostgreSQL {pg / len(items) * 1000:.3f} ms"
        )
        if profile is not None:
            pstats.Stats(profile).sort_stats(args.sort).print_stats(30)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
