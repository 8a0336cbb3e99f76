"""DingTalk (钉钉) custom robot: ``{"msgtype": "markdown", "markdown": {"title", "text"}}``.

With 加签 (signing) on, the URL gets ``&timestamp=<ms>&sign=<s>`` where
s = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))); DingTalk refuses a
timestamp more than an hour off, so the signature is computed at each attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import quote_plus


def signature(secret: str, timestamp_ms: int) -> str:
    """The base64 signature, before URL encoding."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_url(url: str, secret: str | None, timestamp_ms: int) -> str:
    if not secret:
        return url
    glue = "&" if "?" in url else "?"
    return f"{url}{glue}timestamp={timestamp_ms}&sign={quote_plus(signature(secret, timestamp_ms))}"


def body(title: str, text: str) -> dict[str, Any]:
    # DingTalk markdown needs a blank line for a line break
    return {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": f"### {title}\n\n" + text.replace("\n", "\n\n")},
    }
