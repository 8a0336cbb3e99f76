"""In-process publish/subscribe of live events (violations, camera health).

Placeholder interface; implemented by the live-events work.
"""

from __future__ import annotations


class EventBus:  # pragma: no cover - replaced by the implementation
    """Fan-out of live events to subscribers (SSE clients, webhook outbox)."""
