"""WeChat Work (企业微信) group robot: ``{"msgtype": "markdown", "markdown": {"content": ...}}`` POSTed to
the robot's ``.../cgi-bin/webhook/send?key=...`` URL (the key is the credential; there is no signature).
"""

from __future__ import annotations

from typing import Any


def body(title: str, text: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
