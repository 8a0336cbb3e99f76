"""The centre's register of site pictures (PostgreSQL), its retention, and the edge's size limit setting."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select
from typer.testing import CliRunner

from lanewatch.cli import app
from lanewatch.config import UplinkConfig
from lanewatch.store.tables import utcnow
from lanewatch.store.uplink_tables import UplinkEvidenceRow, UplinkOutboxRow
from lanewatch.uplink import evidence
from lanewatch.uplink.centre_apply import apply_message
from lanewatch.uplink.publisher import message
from tests.uplink.conftest import SITE

PICTURE = b"\xff\xd8" + bytes(range(256)) * 8
OTHER = b"\xff\xd8" + b"\x01" * 3000


def _evidence(seq: int, data: bytes | None, path: str = "gate/v1.jpg", vid: str = "v1") -> tuple[str, bytes]:
    body: dict = {"v": 1, "site": SITE, "kind": "evidence", "id": f"{vid}:annotated", "seq": seq, "type": "evidence",
                  "edge_time": "2026-12-03T08:00:31+00:00", "record": {"violation": vid, "kind": "annotated",
                  "path": path}}  # fmt: skip
    if data is None:
        body["missing"] = "not found at the edge"
    else:
        body["jpeg"] = base64.b64encode(data).decode()
    return f"lanewatch/v1/site/{SITE}/evidence", json.dumps(body).encode()


def _apply(engine, folder: Path, topic: str, raw: bytes, at=None) -> str:
    with Session(engine) as session:
        outcome = apply_message(session, topic, raw, at or utcnow(), folder)
        session.commit()
    return outcome


def _rows(engine) -> list[UplinkEvidenceRow]:
    with Session(engine) as session:
        return list(session.exec(select(UplinkEvidenceRow).order_by(UplinkEvidenceRow.pk)))


def test_a_received_picture_is_registered_once(centre_engine, tmp_path) -> None:
    assert _apply(centre_engine, tmp_path, *_evidence(1, PICTURE)) == "applied"
    [row] = _rows(centre_engine)
    assert (row.site, row.violation_id, row.kind, row.path) == (SITE, "v1", "annotated", f"{SITE}/gate/v1.jpg")
    assert (row.sha256, row.bytes) == (hashlib.sha256(PICTURE).hexdigest(), len(PICTURE))
    assert (tmp_path / row.path).read_bytes() == PICTURE

    assert _apply(centre_engine, tmp_path, *_evidence(1, PICTURE)) == "duplicate"  # a redelivery
    assert _apply(centre_engine, tmp_path, *_evidence(2, PICTURE)) == "applied"  # the same bytes sent again
    assert [(r.pk, r.sha256, r.received_at) for r in _rows(centre_engine)] == [(row.pk, row.sha256, row.received_at)]

    assert _apply(centre_engine, tmp_path, *_evidence(3, OTHER)) == "applied"  # new bytes under the same name
    [changed] = _rows(centre_engine)
    assert (changed.pk, changed.sha256, changed.bytes) == (row.pk, hashlib.sha256(OTHER).hexdigest(), len(OTHER))
    assert (tmp_path / row.path).read_bytes() == OTHER


def test_a_note_without_a_picture_registers_nothing(centre_engine, tmp_path) -> None:
    assert _apply(centre_engine, tmp_path, *_evidence(1, None)) == "applied"
    assert _rows(centre_engine) == []


def test_retention_deletes_old_pictures_with_their_rows(centre_engine, tmp_path) -> None:
    now = utcnow()
    _apply(centre_engine, tmp_path, *_evidence(1, PICTURE, "gate/old.jpg", "v1"), at=now - timedelta(days=40))
    _apply(centre_engine, tmp_path, *_evidence(1, OTHER, "gate/new.jpg", "v2"), at=now - timedelta(days=5))
    with Session(centre_engine) as session:
        assert evidence.expire(session, tmp_path, now - timedelta(days=30)) == 1
        session.commit()
    assert [r.path for r in _rows(centre_engine)] == [f"{SITE}/gate/new.jpg"]
    assert not (tmp_path / SITE / "gate/old.jpg").exists() and (tmp_path / SITE / "gate/new.jpg").exists()


def test_the_command_applies_the_configured_retention(centre_engine, tmp_path) -> None:
    folder = tmp_path / "data" / "evidence"
    _apply(centre_engine, folder, *_evidence(1, PICTURE, "gate/old.jpg", "v1"), at=utcnow() - timedelta(days=8))
    _apply(centre_engine, folder, *_evidence(1, OTHER, "gate/new.jpg", "v2"))
    config = tmp_path / "lanewatch.yaml"
    url = centre_engine.url.render_as_string(hide_password=False)
    config.write_text(f"data_dir: {tmp_path / 'data'}\ndatabase_url: {url}\ncentre:\n  evidence_retention_days: 7\n")
    result = CliRunner().invoke(app, ["uplink", "expire-evidence", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "已删除 1 张" in result.output
    assert [r.path for r in _rows(centre_engine)] == [f"{SITE}/gate/new.jpg"]
    assert not (folder / SITE / "gate/old.jpg").exists()


def test_the_command_without_a_retention_says_how_to_set_one(centre_engine, tmp_path) -> None:
    url = centre_engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["uplink", "expire-evidence", "--database-url", url])
    assert result.exit_code == 2 and "evidence_retention_days" in result.output


@pytest.mark.parametrize("limit, sent", [(4 * 1024 * 1024, True), (16 * 1024, False)])
def test_the_edge_sends_pictures_up_to_its_setting(tmp_path, limit, sent) -> None:
    picture = b"\xff\xd8" + b"\x00" * 20_000
    (tmp_path / "gate").mkdir()
    (tmp_path / "gate/v1.jpg").write_bytes(picture)
    config = UplinkConfig(evidence_max_bytes=limit)
    record = {"violation": "v1", "kind": "annotated", "path": "gate/v1.jpg"}
    row = UplinkOutboxRow(seq=1, kind="evidence", record_id="v1:annotated", payload={"record": record})
    body = json.loads(message(SITE, row, tmp_path, config.evidence_max_bytes))
    assert ("jpeg" in body) is sent
    assert sent or body["missing"] == f"too large: {len(picture)} bytes (limit {limit})"


def test_the_limit_setting_is_bounded_with_a_4_mib_default() -> None:
    assert UplinkConfig().evidence_max_bytes == 4 * 1024 * 1024
    for wrong in (1000, 65 * 1024 * 1024):
        with pytest.raises(ValidationError):
            UplinkConfig(evidence_max_bytes=wrong)
