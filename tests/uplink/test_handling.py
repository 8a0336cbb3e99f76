"""A violation handled at the edge (acknowledged, resolved through the edge's API) shows so at the centre, and its
evidence pictures reach the centre, which serves them; real Mosquitto, edge on SQLite, centre on PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from lanewatch.api.app import create_app
from lanewatch.api.auth import create_api_key
from lanewatch.config import ServiceSettings
from lanewatch.events.unreliable import CAMERA_MOVED
from lanewatch.events.violation import Violation, ViolationEvent
from lanewatch.service import Service
from lanewatch.store.violation_store import ViolationStore
from tests.alarms.test_ingest_health import NoCameraDetector
from tests.support.serve import wait_for
from tests.uplink import centre_view
from tests.uplink.conftest import SITE, T0

TIMEOUT = 30.0
_ids = itertools.count(1)


@dataclass
class Pair:
    edge: Service
    centre: Service


@pytest.fixture
def pair(tmp_path: Path, broker, centre_engine) -> Iterator[Pair]:
    """An edge service and a centre service, linked through the test broker."""
    link = {"enabled": True, "host": broker.host, "port": broker.port}
    edge = Service(
        ServiceSettings(data_dir=tmp_path / "edge", uplink={**link, "site": SITE, "confirm_timeout_s": 2.0}),
        detector=NoCameraDetector(),
    )
    centre = Service(
        ServiceSettings(
            data_dir=tmp_path / "centre", database_url=str(centre_engine.url.render_as_string(False)), centre=link
        ),
        detector=NoCameraDetector(),
    )
    centre.start()
    edge.start()
    try:
        yield Pair(edge, centre)
    finally:
        edge.stop()
        centre.stop()


def open_violation(
    service: Service, snapshot: str | None = None, clean: str | None = None, unreliable_reason: str | None = None
) -> str:
    """A new violation stored as the pipeline stores one (its pictures named relative to the evidence folder)."""
    n = next(_ids)
    v = Violation(
        id=f"h{n:05d}" + "0" * 20,
        camera="gate",
        zone="lane-1",
        zone_name="东门消防通道",
        label="car",
        start_s=0.0,
        violation_s=30.0,
        last_seen_s=31.0,
        end_s=None,
        started_at=T0,
        violation_at=T0 + timedelta(seconds=30),
        ended_at=None,
        confidence=0.8,
        box=(0.1, 0.2, 0.3, 0.4),
        snapshot=snapshot,
        snapshot_clean=clean,
        unreliable_reason=unreliable_reason,
    )
    with Session(service.engine) as session:
        ViolationStore.apply(session, ViolationEvent("new", None, v))
        session.commit()
    return v.id


def test_acknowledge_and_resolve_at_the_edge_show_at_the_centre(pair: Pair, centre_engine) -> None:
    vid = open_violation(pair.edge)
    assert wait_for(lambda: vid in centre_view.violations(centre_engine), TIMEOUT)
    assert centre_view.violations(centre_engine)[vid]["state"] == "new"
    operator = create_api_key(pair.edge.engine, role="operator", name="duty")
    with TestClient(create_app(pair.edge), headers={"Authorization": f"Bearer {operator}"}) as client:
        answer = client.post(f"/api/violations/{vid}/ack", json={"comment": "保安已前往"})
        assert answer.status_code == 200, answer.text

        def acknowledged() -> bool:
            return centre_view.violations(centre_engine)[vid]["state"] == "acknowledged"

        assert wait_for(acknowledged, TIMEOUT), centre_view.violations(centre_engine)[vid]
        at_centre = centre_view.violations(centre_engine)[vid]
        at_edge = answer.json()
        for name in ("acknowledged_by", "acknowledged_at", "ack_comment"):
            assert at_centre[name] == at_edge[name], name
        assert at_centre["ack_comment"] == "保安已前往"

        answer = client.post(f"/api/violations/{vid}/resolve", json={"comment": "车辆已驶离"})
        assert answer.status_code == 200, answer.text
        assert wait_for(lambda: centre_view.violations(centre_engine)[vid]["state"] == "resolved", TIMEOUT)
        at_centre = centre_view.violations(centre_engine)[vid]
        assert (at_centre["resolved_by"], at_centre["resolve_comment"]) == (answer.json()["resolved_by"], "车辆已驶离")
        assert at_centre["acknowledged_by"] == at_edge["acknowledged_by"]  # the earlier step stays

        refused = client.post(f"/api/violations/{vid}/ack", json={"comment": "again"})
        assert refused.status_code == 409  # nothing changed at the edge: nothing new travels
    assert wait_for(lambda: pair.edge.uplink.health()["uplink"][1]["backlog"] == 0, TIMEOUT)
    assert centre_view.violations(centre_engine)[vid]["state"] == "resolved"


def test_a_violation_raised_while_the_camera_had_moved_is_marked_at_the_centre_too(pair: Pair, centre_engine) -> None:
    doubtful = open_violation(pair.edge, unreliable_reason=CAMERA_MOVED)
    sound = open_violation(pair.edge)
    assert wait_for(lambda: {doubtful, sound} <= set(centre_view.violations(centre_engine)), TIMEOUT)
    at_centre = centre_view.violations(centre_engine)
    assert (at_centre[doubtful]["unreliable"], at_centre[doubtful]["unreliable_reason"]) == (True, CAMERA_MOVED)
    assert (at_centre[sound]["unreliable"], at_centre[sound]["unreliable_reason"]) == (False, None)


def _jpeg(seed: int) -> bytes:
    import cv2
    import numpy as np

    image = np.random.default_rng(seed).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


def _write(service: Service, relative: str, data: bytes) -> None:
    path = service.evidence_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_the_centre_serves_the_pictures_of_a_forwarded_violation(pair: Pair, centre_engine, broker) -> None:
    from tests.uplink.test_uplink import _publish_by_hand

    annotated, clean = _jpeg(1), _jpeg(2)
    _write(pair.edge, "gate/2026-12-03/v1.jpg", annotated)
    _write(pair.edge, "gate/2026-12-03/v1_clean.jpg", clean)
    vid = open_violation(pair.edge, "gate/2026-12-03/v1.jpg", "gate/2026-12-03/v1_clean.jpg")
    viewer = create_api_key(pair.centre.engine, role="viewer", name="district")
    with TestClient(create_app(pair.centre), headers={"Authorization": f"Bearer {viewer}"}) as client:

        def served(annotated_one: bool) -> bytes | None:
            answer = client.get(f"/api/violations/{vid}/snapshot.jpg", params={"annotated": annotated_one})
            return answer.content if answer.status_code == 200 else None

        assert wait_for(lambda: served(True) == annotated and served(False) == clean, TIMEOUT)
        kept = pair.centre.evidence_dir / SITE / "gate/2026-12-03/v1.jpg"
        assert kept.read_bytes() == annotated  # under the centre's data dir, in the site's folder
        assert wait_for(lambda: pair.edge.uplink.health()["uplink"][1]["backlog"] == 0, TIMEOUT)

        centre = pair.centre.uplink.centre
        assert centre is not None
        before = centre.counters()
        from lanewatch.store.tables import utcnow
        from lanewatch.store.uplink_tables import UplinkOutboxRow
        from lanewatch.uplink.broker import topic
        from lanewatch.uplink.publisher import message

        resent = UplinkOutboxRow(
            seq=2,  # the first picture's entry (the violation's new was 1, its pictures 2 and 3)
            kind="evidence",
            record_id=f"{vid}:annotated",
            payload={"type": "evidence", "record": {"violation": vid, "kind": "annotated", "path": "gate/x.jpg"}},
            created_at=utcnow(),
        )
        _write(pair.edge, "gate/x.jpg", _jpeg(3))
        _publish_by_hand(broker, topic(SITE, "evidence"), message(SITE, resent, pair.edge.evidence_dir))
        assert wait_for(lambda: centre.counters()["duplicates"] > before["duplicates"], TIMEOUT)
        assert centre.counters()["applied"] == before["applied"]
        assert not (pair.centre.evidence_dir / SITE / "gate/x.jpg").exists()  # a resend writes nothing
        assert served(True) == annotated


def test_a_picture_over_the_limit_is_noted_not_sent(pair: Pair, centre_engine, monkeypatch) -> None:
    publisher = pair.edge.uplink.publisher
    assert publisher is not None
    limit = 16 * 1024  # the setting's lower bound
    monkeypatch.setattr(publisher, "config", publisher.config.model_copy(update={"evidence_max_bytes": limit}))
    big, small = _jpeg(4), b"\xff\xd8" + b"\x00" * 500
    assert len(big) > limit
    _write(pair.edge, "gate/big.jpg", big)
    _write(pair.edge, "gate/small.jpg", small)
    vid = open_violation(pair.edge, "gate/big.jpg", "gate/small.jpg")
    assert wait_for(lambda: (pair.centre.evidence_dir / SITE / "gate/small.jpg").exists(), TIMEOUT)
    assert wait_for(lambda: pair.edge.uplink.health()["uplink"][1]["backlog"] == 0, TIMEOUT)  # nothing stuck
    assert not (pair.centre.evidence_dir / SITE / "gate/big.jpg").exists()
    viewer = create_api_key(pair.centre.engine, role="viewer", name="district")
    with TestClient(create_app(pair.centre), headers={"Authorization": f"Bearer {viewer}"}) as client:
        answer = client.get(f"/api/violations/{vid}/snapshot.jpg", params={"annotated": True})
        assert answer.status_code == 404  # the centre knows of the picture but does not have it
