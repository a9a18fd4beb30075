"""Who else has a record open ("ana is viewing", "ana is replying").

Each app instance writes a heartbeat row per open record every few seconds; rows older than
``FRESH_SECONDS`` are ignored (a crashed session simply fades out) and removed on the next beat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlmodel import col

from dtc_tui import db
from dtc_tui.models import Presence

FRESH_SECONDS = 15
STATES = ("viewing", "replying")


@dataclass(frozen=True)
class Viewer:
    operator: str
    state: str
    seen_at: datetime


def beat(engine: Engine, *, operator: str, entity: str, entity_id: str | int, state: str, now: datetime) -> None:
    """Say that ``operator`` has the record open (upsert of one row, plus clean-up of stale rows)."""
    if state not in STATES:
        raise ValueError(f"unknown presence state {state!r}")
    key = str(entity_id)
    with db.write_session(engine) as session:
        session.execute(delete(Presence).where(col(Presence.seen_at) < now - timedelta(seconds=FRESH_SECONDS * 4)))
        result = session.exec(
            update(Presence)
            .where(col(Presence.operator) == operator, col(Presence.entity) == entity, col(Presence.entity_id) == key)
            .values(state=state, seen_at=now)
        )
        if result.rowcount == 0:
            session.add(Presence(operator=operator, entity=entity, entity_id=key, state=state, seen_at=now))


def leave(engine: Engine, *, operator: str, entity: str, entity_id: str | int) -> None:
    with db.write_session(engine) as session:
        session.execute(
            delete(Presence).where(
                col(Presence.operator) == operator,
                col(Presence.entity) == entity,
                col(Presence.entity_id) == str(entity_id),
            )
        )


def others(engine: Engine, *, operator: str, entity: str, entity_id: str | int, now: datetime) -> list[Viewer]:
    """Fresh viewers of the record other than ``operator``, replying ones first."""
    with db.read_session(engine) as session:
        rows = session.execute(
            select(col(Presence.operator), col(Presence.state), col(Presence.seen_at)).where(
                col(Presence.entity) == entity,
                col(Presence.entity_id) == str(entity_id),
                col(Presence.operator) != operator,
                col(Presence.seen_at) >= now - timedelta(seconds=FRESH_SECONDS),
            )
        ).all()
    viewers = [Viewer(r[0], r[1], r[2]) for r in rows]
    return sorted(viewers, key=lambda v: (v.state != "replying", v.operator))


def describe(viewers: list[Viewer]) -> str:
    return ", ".join(f"{v.operator} is {v.state}" for v in viewers)
