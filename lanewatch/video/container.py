"""Opening a camera's container with PyAV, and keeping its credentials out of every message.

Every source opens its input here, so a bad URL or file fails the same way
(`SourceError`, with the URL redacted); `AV_ERRORS` is what PyAV raises for
bad input, for the decoders to catch.
"""

from __future__ import annotations

import re

import av
import av.container

# What PyAV raises for bad input; FFmpegError covers av.error.* (its
# subclasses also derive from OSError, ValueError, TimeoutError, ...).
AV_ERRORS = (av.error.FFmpegError, OSError, ValueError, RuntimeError, EOFError)

_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/\s'\"]*@")
_SECRET_QUERY = re.compile(r"(?i)\b(user|username|password|passwd|pwd|pass|token|auth|key|secret)=[^&\s'\"#]*")


class SourceError(Exception):
    """A source cannot deliver at all (missing file, unreadable container, bad URL)."""


def redact_url(text: str) -> str:
    """Hide credentials in a URL, or in any text that contains URLs.

    Camera URLs usually carry a password (``rtsp://admin:pw@host/...`` or
    ``?user=...&password=...``), and FFmpeg error messages quote the URL, so
    anything that reaches a log, an error or a health event goes through here.
    """
    return _SECRET_QUERY.sub(r"\1=***", _USERINFO.sub(r"\g<scheme>***@", text))


def open_container(url: str, options: dict[str, str] | None = None) -> av.container.InputContainer:
    """Open ``url`` with PyAV, turning any failure into a redacted ``SourceError``."""
    try:
        container = av.open(url, mode="r", options=options or {})
    except AV_ERRORS as exc:
        # ``from None``: the original exception's message holds the raw URL.
        raise SourceError(f"cannot open {redact_url(url)}: {redact_url(str(exc))}") from None
    if not container.streams.video:
        container.close()
        raise SourceError(f"{redact_url(url)} has no video stream")
    return container
