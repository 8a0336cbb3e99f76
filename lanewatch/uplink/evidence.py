"""Evidence pictures over the uplink: one QoS 1 message per JPEG, sent whole, kept under the centre's data dir.

At the edge, `ViolationStore.apply` adds an `EvidenceRow` the first time a
violation carries a picture; the outbox tap turns each into a small
``evidence`` entry (violation id, kind, path relative to the evidence
folder). The picture itself is read only when the publisher sends the entry
(`attach`), so the outbox stays small; base64 in the JSON message. A picture
over `MAX_BYTES`, or one already gone (retention), travels as a note saying
so instead, and the centre records it without a file.

At the centre, `store` writes the picture atomically to
``<evidence dir>/<site>/<edge path>``; the centre's violation row names
``<site>/<edge path>`` (`centre_apply`), so the centre's own
``/api/violations/<id>/snapshot.jpg`` serves it, whichever of the two
messages arrives first. Writing the same bytes again (a redelivery) changes
nothing; the sequence check makes it a no-op anyway.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from lanewatch.api.routers.violations import evidence_path

log = logging.getLogger(__name__)

MAX_BYTES = 4 * 1024 * 1024
"""The largest picture sent (a 1080p JPEG at quality 90 is a few hundred KB); bigger ones are noted, not sent."""
JPEG_START = b"\xff\xd8"


class EvidenceRefused(ValueError):
    """An evidence message the centre cannot keep; its text is the dead letter's reason."""


def attach(body: dict[str, Any], evidence_dir: Path | None) -> None:
    """Add the picture (``jpeg``, base64) named by ``body["record"]["path"]``, or ``missing`` saying why not."""
    record = body.get("record") or {}
    path = evidence_path(evidence_dir, str(record.get("path", ""))) if evidence_dir is not None else None
    try:
        size = path.stat().st_size if path is not None else -1
        data = path.read_bytes() if path is not None and 0 <= size <= MAX_BYTES else None
    except OSError:
        size, data = -1, None
    if data is not None:
        body["jpeg"] = base64.b64encode(data).decode("ascii")
    elif size > MAX_BYTES:
        body["missing"] = f"too large: {size} bytes (limit {MAX_BYTES})"
        log.warning("uplink: evidence %s is %d bytes, over %d: not sent", record.get("path"), size, MAX_BYTES)
    else:
        body["missing"] = "not found at the edge"
        log.warning("uplink: evidence %s is not in the evidence folder: not sent", record.get("path"))


def store(evidence_dir: Path | None, site: str, body: dict[str, Any]) -> bool:
    """Write the message's picture under ``<evidence_dir>/<site>/``; False when the edge had none to send."""
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
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".uplink-", suffix=".jpg")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, target)  # atomic: a reader never sees half a picture
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def _decoded(text: Any) -> bytes:
    if not isinstance(text, str) or len(text) > (MAX_BYTES + 2) // 3 * 4 + 4:
        raise EvidenceRefused(f"evidence picture missing or over {MAX_BYTES} bytes")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EvidenceRefused("evidence picture is not base64") from None
    if not data.startswith(JPEG_START):
        raise EvidenceRefused("evidence picture is not a JPEG")
    return data
