"""Replay the centre's dead letters (`uplink_dead_letters`) once what stopped them is put right.

A message from a site the centre did not know (no organisation of that code
yet), or one it could not apply, was acknowledged to the broker and kept: the
edge has let it go, so this is its only way in. `replay` takes each kept
message, oldest first, through `apply_message` (the path live messages take,
idempotent by the edge's sequence numbers), one transaction each:

- applied, or already there (a duplicate): the dead letter is deleted;
- still refused: it stays, with the new reason, and nothing of the try is kept
  (no second dead letter, no counters moved).

Replaying twice is harmless: what the first replay applied is gone from the
dead letters, and a message applied twice is a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lanewatch.store.tables import as_utc
from lanewatch.store.uplink_tables import UplinkDeadLetterRow
from lanewatch.uplink.centre_apply import apply_message, retry_collisions


@dataclass
class Replayed:
    """What one replay did: messages applied, found already applied, and still refused (kept)."""

    applied: int = 0
    duplicates: int = 0
    still_dead: int = 0


def replay(engine: Engine, evidence_dir: Path | None, site: str | None = None) -> Replayed:
    """Replay the dead letters (only those of `site` when given); pictures are written under `evidence_dir`."""
    query = select(UplinkDeadLetterRow.pk).order_by(col(UplinkDeadLetterRow.pk))
    if site is not None:
        query = query.where(UplinkDeadLetterRow.site == site)
    with Session(engine) as session:
        keys = list(session.exec(query).all())
    done = Replayed()
    for pk in keys:
        outcome = _with_retry(engine, pk, evidence_dir)
        if outcome == "applied":
            done.applied += 1
        elif outcome == "duplicate":
            done.duplicates += 1
        elif outcome == "dead":
            done.still_dead += 1
    return done


def _with_retry(engine: Engine, pk: int | None, evidence_dir: Path | None) -> str | None:
    """A key or lock collision with a live centre process applying the same record: try again."""
    return retry_collisions(partial(_replay_one, engine, pk, evidence_dir), "uplink replay")


def _replay_one(engine: Engine, pk: int | None, evidence_dir: Path | None) -> str | None:
    with Session(engine) as session:
        letter = session.get(UplinkDeadLetterRow, pk, with_for_update=True)
        if letter is None:
            return None  # replayed meanwhile by another process
        topic, raw, at = letter.topic, letter.payload.encode("utf-8"), as_utc(letter.received_at)
        added: list[object] = []  # what the apply step adds: a refusal adds a new dead letter, with its reason
        event.listen(session, "transient_to_pending", lambda _session, thing: added.append(thing))
        outcome = apply_message(session, topic, raw, at, evidence_dir)
        if outcome != "dead":
            session.delete(session.get(UplinkDeadLetterRow, pk))
            session.commit()
            return outcome
        reasons = [thing.reason for thing in added if isinstance(thing, UplinkDeadLetterRow)]
        session.rollback()  # the new dead letter and its counters: the old one stays instead
        letter = session.get(UplinkDeadLetterRow, pk)
        if letter is not None and reasons:
            letter.reason = reasons[-1]
            session.add(letter)
            session.commit()
        return outcome
