"""Feishu (飞书) custom bot: ``{"msg_type": "text", "content": {"text"}}`` or an ``interactive`` card.

With 签名校验 on, the body also carries ``timestamp`` (seconds, as a string) and
``sign`` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) — note the key is the
string to sign and the message is empty, unlike DingTalk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any


def signature(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def body(title: str, text: str, *, secret: str | None, timestamp_s: int, card: bool) -> dict[str, Any]:
    if card:
        message: dict[str, Any] = {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": title}, "template": "red"},
                "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": text}}],
            },
        }
    else:
        message = {"msg_type": "text", "content": {"text": f"{title}\n{text}"}}
    if secret:
        message = {"timestamp": str(timestamp_s), "sign": signature(secret, timestamp_s), **message}
    return message
