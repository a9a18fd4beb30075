"""Long writes in progress (imports), so that "the database is busy" can say who holds it.

``running(...)`` records the work in ``db_activity`` in its own short write transaction before
it starts and deletes the row when it ends (also on an error). A process killed with -9 leaves
its row behind: a row whose process no longer exists on this host, or that is older than
``STALE_AFTER``, is stale: ``holders`` ignores it and the next ``running`` removes it.
``holders`` reads without the write lock, so it answers while the database is busy.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select

from dtc_tui import db
from dtc_tui.models import DbActivity

STALE_AFTER = timedelta(hours=24)
KIND_LABEL = {"import": "an import", "backup": "a backup", "restore": "a restore"}


@dataclass(frozen=True)
class Holder:
    kind: str
    actor: str
    detail: str
    started_at: datetime

    def describe(self) -> str:
        what = KIND_LABEL.get(self.kind, self.kind)
        detail = f" ({self.detail})" if self.detail else ""
        return f"{what} by {self.actor}{detail} is running since {self.started_at.astimezone(UTC):%H:%M} UTC"


def _host() -> str:
    return socket.gethostname()[:100]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def _stale(row: DbActivity, now: datetime, host: str) -> bool:
    if row.started_at < now - STALE_AFTER:
        return True
    return row.host == host and not _alive(row.pid)


@contextmanager
def running(engine: Engine, *, kind: str, actor: str, detail: str, now: datetime) -> Iterator[None]:
    """Record ``kind`` by ``actor`` for the length of the block (best effort: a failure to record
    never stops the work itself)."""
    host, row_id = _host(), None
    try:
        with db.write_session(engine) as session:
            stale = [r.id for r in session.execute(select(DbActivity)).scalars() if _stale(r, now, host)]
            if stale:
                session.execute(delete(DbActivity).where(DbActivity.id.in_(stale)))  # type: ignore[union-attr]
            row = DbActivity(
                kind=kind, actor=actor[:100], detail=detail[:200], host=host, pid=os.getpid(), started_at=now
            )
            session.add(row)
            session.flush()
            row_id = row.id
    except Exception as exc:
        if db.describe_failure(exc) is None:
            raise
    try:
        yield
    finally:
        if row_id is not None:
            try:
                with db.write_session(engine) as session:
                    session.execute(delete(DbActivity).where(DbActivity.id == row_id))  # type: ignore[arg-type]
            except Exception as exc:  # busy or gone: the row goes stale with this process
                if db.describe_failure(exc) is None:
                    raise


def holders(engine: Engine, now: datetime) -> list[Holder]:
    """What is running now (stale rows left out), oldest first; [] when it cannot be read."""
    host = _host()
    try:
        with db.read_session(engine) as session:
            rows = session.execute(select(DbActivity).order_by(DbActivity.started_at)).scalars().all()  # type: ignore[arg-type]
    except Exception as exc:
        if db.describe_failure(exc) is None:
            raise
        return []
    return [Holder(r.kind, r.actor, r.detail, r.started_at) for r in rows if not _stale(r, now, host)]


def busy_message(engine: Engine, now: datetime) -> str:
    """ "the database is busy: an import by ana (...) is running since 14:02 UTC", or the generic line."""
    found = holders(engine, now)
    if not found:
        return db.busy_line()
    from dtc_tui.i18n import _

    return _("the database is busy: {holders}; try again when it is done").format(
        holders="; ".join(h.describe() for h in found)
    )
