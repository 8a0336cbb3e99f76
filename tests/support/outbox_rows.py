"""What the webhook/robot outbox holds, and waiting for it: shared by the outbox and robot tests."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select

from lanewatch.store.tables import OutboxRow
from tests.support.serve import wait_for


def outbox_rows(engine) -> list[OutboxRow]:
    """Every outbox row, oldest first."""
    with Session(engine) as session:
        return list(session.exec(select(OutboxRow).order_by(OutboxRow.pk)))


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll ``predicate`` until truthy; fail the test naming ``what`` if it never becomes so."""
    if not wait_for(predicate, timeout, 0.02):
        raise AssertionError(f"timed out waiting for {what}")
