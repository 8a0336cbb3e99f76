"""An in-memory `MessageSink` for ingest tests: records every batch and counts repeats as the alarm service does."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from lanewatch.alarms.messages import IngestResult, SensorMessage


class RecordingSink:
    """Thread-safe; a message whose (device_id, message_id) was seen before counts as a duplicate."""

    def __init__(self) -> None:
        self.batches: list[tuple[list[SensorMessage], datetime]] = []
        self.messages: list[SensorMessage] = []
        self.duplicates: list[SensorMessage] = []
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def submit(self, messages: Sequence[SensorMessage], received_at: datetime) -> IngestResult:
        result = IngestResult()
        with self._lock:
            self.batches.append((list(messages), received_at))
            for message in messages:
                key = (message.device_id, message.message_id) if message.message_id else None
                if key is not None and key in self._seen:
                    self.duplicates.append(message)
                    result.duplicates += 1
                    continue
                if key is not None:
                    self._seen.add(key)
                self.messages.append(message)
                result.accepted += 1
        return result

    def stored(self) -> list[SensorMessage]:
        with self._lock:
            return list(self.messages)
