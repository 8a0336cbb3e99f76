"""Shared pieces for the GB/T 26875.3 tests: a recording sink, a fixed clock, packet helpers."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from lanewatch.alarms.gb26875 import encode
from lanewatch.alarms.messages import IngestResult, SensorMessage

DEVICE = "0000000a0001"
CENTRE = "00000000c001"
WHEN = datetime(2024, 5, 6, 2, 30, 15, tzinfo=UTC)  # 10:30:15 in Shanghai


class RecordingSink:
    """A MessageSink that keeps every batch; ``fail`` makes it raise like a broken database."""

    def __init__(self) -> None:
        self.batches: list[tuple[list[SensorMessage], datetime]] = []
        self.fail = False
        self._lock = threading.Lock()

    def submit(self, messages: Sequence[SensorMessage], received_at: datetime) -> IngestResult:
        if self.fail:
            raise RuntimeError("database is down")
        with self._lock:
            self.batches.append((list(messages), received_at))
        return IngestResult(accepted=len(messages))

    @property
    def messages(self) -> list[SensorMessage]:
        with self._lock:
            return [message for batch, _ in self.batches for message in batch]


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


def upload_packet(serial: int, info_type: int, objects: list[bytes], *, source: str = DEVICE) -> bytes:
    """A send-data packet from the test device to the centre."""
    return encode.upload_frame(serial, info_type, objects, source=source, destination=CENTRE, when=WHEN)


def fire_packet(serial: int, *, test: bool = False, description: str = "3楼东走廊烟感") -> bytes:
    """A point photoelectric smoke detector (type 42) at address 10005 in fire alarm."""
    status = 0b10 if test else 0b11  # bit 1 fire; bit 0 normal (clear = test mode)
    return upload_packet(serial, 2, [encode.component_status(1, 1, 42, 10_005, status, description, WHEN)])
