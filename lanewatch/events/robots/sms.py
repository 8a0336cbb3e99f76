"""An SMS gateway reached through a configured HTTP request: a JSON body template over ``{text}`` and
``{phones}`` (gateways differ; see `SmsGateway`), signed like lanewatch webhooks when a secret is set.
"""

from __future__ import annotations

from typing import Any

from lanewatch.events.robots.settings import SmsGateway


def body(gateway: SmsGateway, title: str, text: str) -> dict[str, Any]:
    values = {"text": f"【{title}】{text}", "phones": ",".join(gateway.phones)}
    return {k: v.format_map(values) if isinstance(v, str) else v for k, v in gateway.body.items()}
