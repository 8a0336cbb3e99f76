"""Evidence pictures over the uplink: one QoS 1 message per JPEG, sent whole, kept under the centre's data dir.

At the edge, `ViolationStore.apply` adds an `EvidenceRow` the first time a
violation carries a picture; the outbox tap turns each into a small
``evidence`` entry (violation id, kind, path relative to the evidence
folder). The picture itself is read only when the publisher sends the entry
(`attach`), so the outbox stays small; base64 in the JSON message. A picture
over the uplink's ``evidence_max_bytes`` (4 MiB unless set), or one already
gone, travels as a note saying so instead, and the centre records it without
a file.

At the centre, `store` writes the picture atomically to
``<evidence dir>/<site>/<edge path>``; the centre's violation row names
``<site>/<edge path>`` (`centre_apply`), so the centre's own
``/api/violations/<id>/snapshot.jpg`` serves it, whichever of the two
messages arrives first. Each file written is registered in `UplinkEvidenceRow`
(sha256, size, when received; one row per (site, path)), so the centre knows
what it holds and `expire` can delete old pictures with their rows. The same
bytes again (a redelivery, a replayed dead letter) change neither the file
nor its row; the sequence check makes a redelivery a no-op anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from lanewatch.api.routers.violations import evidence_path
from lanewatch.store.tables import utcnow
from lanewatch.store.uplink_tables import UplinkEvidenceRow

log = logging.getLogger(__name__)

MAX_BYTES = 4 * 1024 * 1024
"""The default largest picture sent (a 1080p JPEG at quality 90 is a few hundred KB); bigger ones are noted."""
CEILING_BYTES = 64 * 1024 * 1024
"""The most the centre takes (the upper bound of ``uplink.evidence_max_bytes``, whatever an edge set)."""
JPEG_START = b"\xff\xd8"


class EvidenceRefused(ValueError):
    """An evidence message the centre cannot keep; its text is the dead letter's reason."""


def attach(body: dict[str, Any], evidence_dir: Path | None, max_bytes: int = MAX_BYTES) -> None:
    """Add the picture (``jpeg``, base64) named by ``body["record"]["path"]``, or ``missing`` saying why not."""
    record = body.get("record") or {}
    path = evidence_path(evidence_dir, str(record.get("path", ""))) if evidence_dir is not None else None
    try:
        size = path.stat().st_size if path is not None else -1
        data = path.read_bytes() if path is not None and 0 <= size <= max_bytes else None
    except OSError:
        size, data = -1, None
    if data is not None:
        body["jpeg"] = base64.b64encode(data).decode("ascii")
    elif size > max_bytes:
        body["missing"] = f"too large: {size} bytes (limit {max_bytes})"
        log.warning("uplink: evidence %s is %d bytes, over %d: not sent", record.get("path"), size, max_bytes)
    else:
        body["missing"] = "not found at the edge"
        log.warning("uplink: evidence %s is not in the evidence folder: not sent", record.get("path"))


def store(
    evidence_dir: Path | None,
    site: str,
    body: dict[str, Any],
    session: Session | None = None,
    at: datetime | None = None,
) -> bool:
    """Write the message's picture under ``<evidence_dir>/<site>/`` and register it in `session` (received
    `at`); False when the edge had none to send."""
    if evidence_dir is None:
        raise EvidenceRefused("this process keeps no evidence pictures (no evidence folder)")
    record = body["record"]
    for name in ("violation", "kind", "path"):
        if not isinstance(record.get(name), str) or not record[name]:
            raise EvidenceRefused(f"evidence record without {name!r}")
    target = evidence_path(evidence_dir, f"{site}/{record['path']}")
    if target is None or not target.is_relative_to((evidence_dir / site).resolve()):
        raise EvidenceRefused(f"evidence path {record['path']!r} leads outside the site's folder")
    if "jpeg" not in body:
        log.warning("uplink: site %s sent no picture for %s: %s", site, record["path"], body.get("missing"))
        return False
    data = _decoded(body["jpeg"])
    digest, path = hashlib.sha256(data).hexdigest(), f"{site}/{record['path']}"
    row = _registered(session, site, path) if session is not None else None
    if row is not None and row.sha256 == digest and target.is_file():
        return True  # the same picture, already kept
    _write(target, data)
    if session is not None:
        values = {"violation_id": record["violation"][:64], "kind": record["kind"][:16], "sha256": digest}
        values |= {"bytes": len(data), "received_at": at or utcnow()}
        row = row or UplinkEvidenceRow(site=site, path=path, **values)
        row.sqlmodel_update(values)
        session.add(row)
    return True


def expire(session: Session, evidence_dir: Path, before: datetime) -> int:
    """Delete the pictures received before `before`, files and rows (the caller commits); how many rows."""
    rows = session.exec(select(UplinkEvidenceRow).where(UplinkEvidenceRow.received_at < before)).all()
    for row in rows:
        path = evidence_path(evidence_dir, row.path)
        if path is not None:
            path.unlink(missing_ok=True)
        session.delete(row)
    return len(rows)


def _registered(session: Session, site: str, path: str) -> UplinkEvidenceRow | None:
    query = select(UplinkEvidenceRow).where(UplinkEvidenceRow.site == site, UplinkEvidenceRow.path == path)
    return session.exec(query).first()


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".uplink-", suffix=".jpg")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, target)  # atomic: a reader never sees half a picture
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _decoded(text: Any) -> bytes:
    if not isinstance(text, str) or len(text) > (CEILING_BYTES + 2) // 3 * 4 + 4:
        raise EvidenceRefused(f"evidence picture missing or over {CEILING_BYTES} bytes")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EvidenceRefused("evidence picture is not base64") from None
    if not data.startswith(JPEG_START):
        raise EvidenceRefused("evidence picture is not a JPEG")
    return data
