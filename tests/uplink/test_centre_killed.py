"""Three edges, two centre processes sharing one subscription and one PostgreSQL; one centre is killed with
SIGKILL mid-ingest. Afterwards every record of every edge is at the centre once, in its newest state, and every
outbox entry was applied at most once (redeliveries and overtaken updates counted as duplicates)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, select

from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.uplink_tables import UplinkSiteRow
from tests.support.serve import wait_for
from tests.uplink import centre_view
from tests.uplink.conftest import SITE

TIMEOUT = 90.0
SITES = (SITE, "site-b", "site-c")
ROOT = Path(__file__).resolve().parents[2]


def centre_process(centre_engine, broker, client_id: str, events: Path | None = None) -> subprocess.Popen:
    """A centre ingest in its own OS process (`tests.uplink.centre_process`); with `events`, its bus's events
    are written there."""
    url = centre_engine.url.render_as_string(False)
    extra = [str(events)] if events is not None else []
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.uplink.centre_process", url, broker.host, str(broker.port), client_id, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "READY"
    return process


def _entries_made(edge) -> int:
    with edge.engine.connect() as conn:
        return conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'uplink_outbox'")).scalar_one()


def test_a_centre_killed_mid_ingest_loses_and_doubles_nothing(make_edge, centre_engine, links, broker) -> None:
    publisher, _ = links
    with Session(centre_engine) as session:
        parent = session.exec(select(OrganisationRow).where(OrganisationRow.code == SITE)).one().parent_pk
        for code in SITES[1:]:
            session.add(OrganisationRow(code=code, name=code, kind="community", parent_pk=parent))
        session.commit()
    edges = {site: make_edge(name=site) for site in SITES}
    written: dict[str, list[str]] = {
        site: [edge.violation(f"cam-{i % 3}").id for i in range(50)] for site, edge in edges.items()
    }
    centres = [centre_process(centre_engine, broker, f"centre-{n}") for n in (1, 2)]
    try:
        for site, edge in edges.items():
            publisher(edge.engine, site)
        assert wait_for(lambda: len(centre_view.violations(centre_engine)) >= 20, TIMEOUT)
        os.kill(centres[0].pid, signal.SIGKILL)  # mid-ingest: it holds messages it has not acknowledged
        centres[0].wait(10)
        for site, edge in edges.items():  # the edges keep writing: new records and updates of old ones
            written[site] += [edge.violation(f"cam-{i % 3}").id for i in range(50)]
            for vid in written[site][:10]:
                edge.violation(vid=vid, end=True)
        expected = {vid for ids in written.values() for vid in ids}

        def all_there() -> bool:
            return expected <= centre_view.violations(centre_engine).keys() and all(
                e.backlog() == 0 for e in edges.values()
            )

        assert wait_for(all_there, TIMEOUT), (
            len(centre_view.violations(centre_engine)),
            [e.backlog() for e in edges.values()],
        )
    finally:
        for process in centres:
            process.kill()
            process.wait(10)
    at_centre = centre_view.violations(centre_engine)
    lost = len(expected - at_centre.keys())
    duplicated = len(at_centre) - len(expected)
    assert (lost, duplicated) == (0, 0)
    for site, ids in written.items():
        assert {at_centre[v]["camera"].split(".")[0] for v in ids} == {site}
        assert all(at_centre[v]["active"] is False for v in ids[:10])  # the newest state, not an older one
        assert all(at_centre[v]["active"] is True for v in ids[10:])
    with Session(centre_engine) as session:
        for site, edge in edges.items():
            link = session.get(UplinkSiteRow, site)
            assert link is not None and link.dead_letters == 0
            # never applied twice: at most once per entry (a "new" overtaken by its "end" counts as a duplicate)
            assert 0 < link.messages - link.duplicates <= _entries_made(edge), site
