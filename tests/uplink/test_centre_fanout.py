"""Three edges, two centre processes (separate OS processes) on one PostgreSQL and one shared subscription: a
live-event subscriber of EACH process (what its SSE clients are sent) hears every record change the centre
applied exactly once, whichever process applied it, and both hear the same events."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlmodel import Session, select

from lanewatch.store.people_tables import OrganisationRow
from lanewatch.store.uplink_tables import UplinkSiteRow
from tests.support.serve import wait_for
from tests.uplink import centre_view
from tests.uplink.conftest import SITE
from tests.uplink.test_centre_killed import centre_process

TIMEOUT = 90.0
SITES = (SITE, "site-b", "site-c")


def _heard(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.endswith("}")]


def _applied(centre_engine) -> int:
    """Messages the centre applied (not duplicates, not dead letters): each is one record change."""
    with Session(centre_engine) as session:
        return sum(s.messages - s.duplicates - s.dead_letters for s in session.exec(select(UplinkSiteRow)))


def _change(event: dict) -> tuple:
    payload = event["payload"]
    after = payload.get("after") or payload.get("device") or {}
    return event["type"], after.get("id") or payload.get("camera"), after.get("updated_at"), after.get("last_seen_s")


def test_each_centre_process_hears_every_applied_change_once(make_edge, centre_engine, links, broker, tmp_path):
    publisher, _ = links
    with Session(centre_engine) as session:
        parent = session.exec(select(OrganisationRow).where(OrganisationRow.code == SITE)).one().parent_pk
        for code in SITES[1:]:
            session.add(OrganisationRow(code=code, name=code, kind="community", parent_pk=parent))
        session.commit()
    files = [tmp_path / f"centre-{n}.jsonl" for n in (1, 2)]
    centres = [centre_process(centre_engine, broker, f"centre-{n}", files[n - 1]) for n in (1, 2)]
    edges = {site: make_edge(name=site) for site in SITES}
    try:
        for site, edge in edges.items():
            ids = [edge.violation(f"cam-{i % 3}").id for i in range(20)]
            for vid in ids[:5]:
                edge.violation(vid=vid, end=True)
            edge.fire("smoke-1")
            publisher(edge.engine, site)

        def settled() -> bool:
            if not all(e.backlog() == 0 for e in edges.values()):
                return False
            applied = _applied(centre_engine)
            return all(len(_heard(f)) >= applied for f in files)

        assert wait_for(settled, TIMEOUT), ([len(_heard(f)) for f in files], _applied(centre_engine))
    finally:
        for process in centres:
            process.kill()
            process.wait(10)
    applied = _applied(centre_engine)
    assert len(centre_view.violations(centre_engine)) == 60
    heard = [[_change(e) for e in _heard(f)] for f in files]
    for changes in heard:
        assert len(changes) == applied  # every applied change, and nothing more
        assert [c for c, n in Counter(changes).items() if n > 1] == []  # none twice
    assert Counter(heard[0]) == Counter(heard[1])  # both processes' clients heard the same changes
    alarms = [e["payload"]["after"] for e in _heard(files[0]) if e["type"] == "alarm.new"]
    assert sorted(a["device_id"] for a in alarms) == [f"{site}.smoke-1" for site in SITES]  # the centre's ids
    ends = {c[1] for c in heard[0] if c[0] == "violation.end"}
    assert len(ends) == 15
