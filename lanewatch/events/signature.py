"""Webhook signatures: HMAC-SHA256 over ``"<timestamp>.<body>"`` with the subscription's secret.

Every delivery carries ``X-Lanewatch-Timestamp`` (Unix seconds) and
``X-Lanewatch-Signature: sha256=<hex>``. A receiver recomputes the HMAC over
the timestamp, a dot and the raw request body, compares in constant time
and rejects stale timestamps (replays). This module has no lanewatch
imports, so a receiver may copy it as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Lanewatch-Signature`` header value for one delivery."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes | str,
    header: str,
    *,
    tolerance_s: float | None = 300.0,
    now: float | None = None,
) -> bool:
    """Whether `header` signs `body` sent at `timestamp`, no more than `tolerance_s` from `now`.

    Args:
        secret: the webhook's secret (shown once, when the webhook was created).
        timestamp: the ``X-Lanewatch-Timestamp`` header.
        body: the raw request body, exactly as received.
        header: the ``X-Lanewatch-Signature`` header.
        tolerance_s: largest accepted clock difference; None skips the check.
        now: the receiver's Unix time (default: the clock).
    """
    if isinstance(body, str):
        body = body.encode()
    if tolerance_s is not None:
        try:
            sent = int(timestamp)
        except (TypeError, ValueError):
            return False
        if abs((time.time() if now is None else now) - sent) > tolerance_s:
            return False
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), (header or "").encode())
