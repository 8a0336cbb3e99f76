"""Issue 17's outage, end to end (tests/uplink/outage_scenario.py): real Mosquitto and PostgreSQL, two centre
processes and three edge processes — the first `lanewatch serve` with the detector on the shared footage and
the sensor simulator posting to it (when the footage and weights are there), the others writing violations with
real CCTV stills as evidence and sensor-simulator messages through the real store, outbox and publisher. The
broker is stopped (15 s here, 60 s in ``benchmarks/uplink.py``), the footage edge is ``kill -9``ed
mid-violation and a centre process ``kill -9``ed mid-ingest, both started again. Afterwards the centre holds
exactly the edges' records in their newest state and their evidence (same sha256), none applied twice, and each
centre process's live-event listener heard every change at most once (the one never killed: every change, once).
"""

from __future__ import annotations

import pytest

from tests.uplink.outage_scenario import Plan, footage_available, play

pytestmark = [pytest.mark.mqtt, pytest.mark.e2e, pytest.mark.timeout(600)]


def test_an_outage_with_an_edge_and_a_centre_killed_loses_and_doubles_nothing(
    broker, postgres_cluster, tmp_path
) -> None:
    plan = Plan(outage_s=15.0, warm_s=3.0)
    outcome = play(plan, tmp_path, broker=broker, cluster=postgres_cluster)
    print(outcome.line())
    assert outcome.problems == [], (outcome.problems, outcome.line())
    # the edge's restart sends a first version of its settings: the sensors that registered themselves (no name yet)
    # once came back as dead letters
    assert outcome.config_problems == [] and outcome.config_dead_letters == 0, outcome.line()
    assert (outcome.lost, outcome.duplicated) == (0, 0)
    assert outcome.footage_edge == footage_available()
    assert outcome.open_at_edge_kill >= 1  # the edge died mid-violation
    assert outcome.backlog_peak > 0  # records queued at the edges while the broker was down
    assert outcome.records > 0 and outcome.evidence > 0
    assert outcome.sse_missed == 0 and outcome.sse_twice == 0
    assert outcome.sse_heard[-1] == outcome.sse_expected > 0
