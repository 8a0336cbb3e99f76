"""Signed, expiring links to a violation's evidence picture, for people who cannot sign in.

A group-robot or SMS message goes to a WeChat Work / DingTalk / Feishu group
or a phone: the security guard who taps its link has no lanewatch account.
So the link carries its own permission: an HMAC-SHA256 over the violation id
and an expiry time, with a secret only the server knows. It opens that one
picture, only until it expires (`valid_s`, 72 h by default), and nothing else;
changing any character of it makes it refused.

The secret is made once and kept in the data directory (``link-secret``,
mode 0600), so links stay valid across restarts; deleting the file revokes
every link sent so far. Several centre processes share it with the data
directory (or set the same file for all).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SECRET_FILE = "link-secret"
DEFAULT_VALID_S = 72 * 3600.0


def load_or_create_secret(path: Path) -> bytes:
    """The secret in `path`, made (random, 32 bytes, mode 0600) when the file does not exist yet."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        text = secrets.token_hex(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(text + "\n")
    if len(text) < 32:
        raise ValueError(f"{path}: the link secret is too short; delete the file to make a new one")
    return text.encode("ascii")


@dataclass(frozen=True, slots=True)
class LinkSigner:
    """Makes and checks the evidence links of one deployment."""

    secret: bytes
    valid_s: float = DEFAULT_VALID_S

    def _signature(self, violation_id: str, expires: int) -> str:
        message = f"snapshot\n{violation_id}\n{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def snapshot_path(self, violation_id: str, now: float | None = None) -> str:
        """``/links/snapshot/<id>.jpg?exp=<unix time>&sig=<hex>``, valid for `valid_s` from `now`."""
        expires = int((time.time() if now is None else now) + self.valid_s)
        sig = self._signature(violation_id, expires)
        return f"/links/snapshot/{quote(violation_id, safe='')}.jpg?exp={expires}&sig={sig}"

    def check(self, violation_id: str, expires: int, signature: str, now: float | None = None) -> str | None:
        """None when the link is good, else "invalid" (forged or altered) or "expired"."""
        if not hmac.compare_digest(self._signature(violation_id, expires), signature.lower()):
            return "invalid"
        if expires <= (time.time() if now is None else now):
            return "expired"
        return None
