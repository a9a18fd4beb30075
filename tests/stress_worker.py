"""Child-process work for the stress and crash tests (run with ``python -m tests.stress_worker``)."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime


def stress(
    url: str,
    worker: int,
    seconds: float,
    ticket_ids: list[int],
    claim_ids: list[int],
    stop_file: str = "",
    retry_busy: bool = False,
) -> dict:
    """Write and read as fast as possible for ``seconds`` (or until ``stop_file`` exists, after at
    least a few writes); count successes and errors. ``retry_busy``: a write that meets a busy
    database past its timeout is tried once more, as the app does (``DtcApp.with_retry``)."""
    import os

    from dtc_tui import db
    from dtc_tui.services.tickets import ops
    from dtc_tui.services.tickets.queue import QueueQuery, TicketQueueSource

    engine = db.make_engine(url)
    now = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    stats = {"notes": 0, "claims_won": 0, "claims_lost": 0, "reads": 0, "retried": 0, "errors": [], "claimed": []}
    deadline = time.monotonic() + seconds

    def write(work, *args):  # type: ignore[no-untyped-def]
        try:
            return work(*args)
        except Exception as exc:
            if not (retry_busy and db.is_busy(exc)):
                raise
            stats["retried"] += 1
            return work(*args)

    i = 0
    while time.monotonic() < deadline and not (stop_file and i > 3 and os.path.exists(stop_file)):
        i += 1
        try:
            ticket_id = ticket_ids[(worker + i) % len(ticket_ids)]
            write(ops.add_note, engine, ticket_id, f"w{worker} #{i}", f"worker{worker}", now)
            stats["notes"] += 1
            if i % 3 == 0 and claim_ids:
                claim = claim_ids[(i // 3 + worker) % len(claim_ids)]
                try:
                    write(ops.claim, engine, claim, f"worker{worker}", now)
                    stats["claims_won"] += 1
                    stats["claimed"].append(claim)
                except ops.ClaimConflict:
                    stats["claims_lost"] += 1
            source = TicketQueueSource(engine, QueueQuery(view="all_open", now=now))
            source.count()
            source.fetch(0, 40)
            stats["reads"] += 1
        except Exception as exc:  # the point of the test: there must be none
            stats["errors"].append(f"{type(exc).__name__}: {exc}"[:300])
    engine.dispose()
    return stats


def slow_bulk(url: str, ticket_ids: list[int], pause_after: int) -> None:
    """A bulk status change that announces itself mid-transaction and then waits to be killed."""
    from dtc_tui import db
    from dtc_tui.services.tickets import ops

    engine = db.make_engine(url)
    original = ops._apply
    done = {"n": 0}

    def apply_and_maybe_stall(*args, **kwargs):
        change = original(*args, **kwargs)
        done["n"] += 1
        if done["n"] == pause_after:
            args[0].flush()  # the rows are written into the open transaction...
            print("IN-TRANSACTION", flush=True)
            time.sleep(60)  # ...and we are killed here, before the commit
        return change

    ops._apply = apply_and_maybe_stall
    ops.bulk(engine, ticket_ids, operator="crash", now=datetime(2026, 11, 20, 14, 0, tzinfo=UTC), status="on_hold")
    print("COMMITTED", flush=True)
    time.sleep(60)


def race(url: str, role: str, operator: str, ticket_ids: list[int]) -> dict:
    """``claim``: claim each ticket as ``operator``; ``auto``: auto-assign each by routing; ``bulk``:
    a bulk status change (pending) of each ticket with the next id.
    Reports which tickets this process was told it changed, and any error that is not a clean conflict."""
    from dtc_tui import db
    from dtc_tui.services.tickets import ops

    engine = db.make_engine(url)
    now = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    won: list[int] = []
    errors: list[str] = []
    for ticket_id in ticket_ids:
        try:
            if role == "claim":
                ops.claim(engine, ticket_id, operator, now)
                won.append(ticket_id)
            elif role == "bulk":  # a bulk status change of one ticket and its neighbour, one transaction
                result = ops.bulk(engine, [ticket_id, ticket_id + 1], operator=operator, now=now, status="pending")
                won.extend(change.ticket_id for change in result.changes)
            else:
                result = ops.auto_assign(engine, [ticket_id], operator=operator, now=now)
                won.extend(change.ticket_id for change in result.changes)
        except ops.TicketError:
            pass  # the clean answer: someone else has it
        except Exception as exc:  # an IntegrityError, a deadlock...: what the race test must never see
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    engine.dispose()
    return {"won": won, "errors": errors}


def import_file(url: str, kind: str, path: str, actor: str) -> dict:
    """One import, as the CLI runs it; reports its counts and how long it took."""
    from pathlib import Path

    from dtc_tui import db
    from dtc_tui.services.importers.pipeline import run_import

    engine = db.make_engine(url)
    started = time.perf_counter()
    summary = run_import(engine, kind, Path(path), now=datetime(2026, 11, 20, 14, 0, tzinfo=UTC), actor=actor)
    engine.dispose()
    return {
        "inserted": summary.inserted,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "seconds": time.perf_counter() - started,
    }


def stalled_import(url: str, path: str, actor: str) -> None:
    """An import that announces itself inside its write transaction and then waits to be killed."""
    from pathlib import Path

    from dtc_tui import db
    from dtc_tui.services.importers import pipeline

    real = pipeline.apply_ops

    def apply_and_stall(connection, ops, rollups=None):  # type: ignore[no-untyped-def]
        real(connection, ops, rollups)
        print("IN-APPLY", flush=True)  # the write lock is held from here on
        time.sleep(120)

    pipeline.apply_ops = apply_and_stall
    engine = db.make_engine(url)
    pipeline.run_import(engine, "zendesk", Path(path), now=datetime(2026, 11, 20, 14, 0, tzinfo=UTC), actor=actor)


if __name__ == "__main__":
    command, payload = sys.argv[1], json.loads(sys.argv[2])
    if command == "stress":
        print(json.dumps(stress(**payload)), flush=True)
    elif command == "race":
        print(json.dumps(race(**payload)), flush=True)
    elif command == "import":
        print(json.dumps(import_file(**payload)), flush=True)
    elif command == "stalled_import":
        stalled_import(**payload)
    elif command == "slow_bulk":
        slow_bulk(**payload)
