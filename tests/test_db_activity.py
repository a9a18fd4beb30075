"""A busy database names what holds it: imports are recorded while they run (issue 16)."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from bench.imports import NOW, write_tickets
from dtc_tui import db
from dtc_tui.cli import main_group
from dtc_tui.models import DbActivity
from dtc_tui.services.common import activity
from dtc_tui.services.importers import pipeline


def test_an_import_is_recorded_while_it_writes_and_removed_after(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "zendesk.csv"
    write_tickets(file, 30, random.Random(1))
    seen: list[list[activity.Holder]] = []
    said: list[str] = []

    def looking(real):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            found = activity.holders(engine, NOW)
            if found:
                seen.append(found)
                said.append(activity.busy_message(engine, NOW))
            return real(*args, **kwargs)

        return wrapper

    # Inside the write: the apply of a planned import (SQLite), the write pass otherwise (PostgreSQL).
    monkeypatch.setattr(pipeline, "apply_ops", looking(pipeline.apply_ops))
    monkeypatch.setattr(pipeline, "_write_pass", looking(pipeline._write_pass))
    pipeline.run_import(engine, "zendesk", file, now=NOW, actor="ana")
    assert seen, "no activity row while the import wrote"
    assert [(h.kind, h.actor, h.detail) for h in seen[0]] == [("import", "ana", "zendesk zendesk.csv")]
    assert said[0] == (
        "the database is busy: an import by ana (zendesk zendesk.csv) is running since 14:00 UTC; "
        "try again when it is done"
    )
    assert activity.holders(engine, NOW) == []  # removed when it ended
    seen.clear()
    pipeline.run_import(engine, "zendesk", file, now=NOW, actor="ana", dry_run=True)
    assert seen == []  # a dry run writes nothing, not even this


def test_a_failed_import_removes_its_row(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "zendesk.csv"
    write_tickets(file, 10, random.Random(2))

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "_write_pass", boom)
    with pytest.raises(RuntimeError):
        pipeline.run_import(engine, "zendesk", file, now=NOW, actor="ana")
    assert activity.holders(engine, NOW) == []


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_rows_of_dead_or_old_processes_are_stale_and_cleaned(engine: Engine) -> None:
    import os
    import socket

    with db.write_session(engine) as session:
        session.add(DbActivity(kind="import", actor="gone", host=socket.gethostname(), pid=_dead_pid(), started_at=NOW))
        session.add(DbActivity(kind="import", actor="old", host="elsewhere", pid=1, started_at=NOW - timedelta(days=2)))
        session.add(DbActivity(kind="import", actor="far", host="elsewhere", pid=1, started_at=NOW))
    assert [h.actor for h in activity.holders(engine, NOW)] == ["far"]  # another host's fresh row counts
    with activity.running(engine, kind="import", actor="ana", detail="x", now=NOW):
        with db.read_session(engine) as session:
            actors = sorted(r.actor for r in session.execute(select(DbActivity)).scalars())
        assert actors == ["ana", "far"]  # the stale rows were removed
        assert os.getpid() in {r.pid for r in db_rows(engine)}
    assert [h.actor for h in activity.holders(engine, NOW)] == ["far"]


def db_rows(engine: Engine) -> list[DbActivity]:
    with db.read_session(engine) as session:
        return list(session.execute(select(DbActivity)).scalars())


def test_a_write_command_on_a_busy_database_names_the_import(
    sqlite_demo_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    path = str(sqlite_demo_engine.url.database)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)
    started = datetime.now(UTC)  # the command reads the real clock: a day-old row would be stale
    with activity.running(sqlite_demo_engine, kind="import", actor="ana", detail="zendesk big.csv", now=started):
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the import's write transaction
        holder.execute("UPDATE ticket SET tags = tags WHERE id = 1")
        try:
            result = CliRunner().invoke(
                main_group, ["--db", path, "settings", "set", "ads.target_roas", "3"], catch_exceptions=False
            )
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert result.exit_code == 3
    assert result.output.strip().splitlines() == [
        f"Error: the database is busy: an import by ana (zendesk big.csv) is running since {started:%H:%M} UTC; "
        "try again when it is done"
    ]


def test_a_postgres_writer_blocked_behind_an_import_gets_the_busy_line_not_a_hang(
    demo_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL has no busy timeout: every session sets ``lock_timeout`` (the same 10 s as
    SQLite's busy timeout; 0.3 s here), so a writer blocked on an import's locks is told who holds
    the database, exit 3, instead of waiting forever."""
    if demo_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL: SQLite's busy timeout is tested above")
    import time
    from datetime import UTC, datetime

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)
    holder_engine = db.make_engine(database_url)  # another process's session, its timeouts set at connect
    with holder_engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "300ms"
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == f"{db.STATEMENT_TIMEOUT_MS // 60_000}min"
    started = datetime.now(UTC)  # the command reads the real clock: a day-old row would be stale
    with activity.running(demo_engine, kind="import", actor="ana", detail="zendesk big.csv", now=started):
        holder = holder_engine.connect()
        transaction = holder.begin()
        holder.exec_driver_sql("LOCK TABLE setting IN EXCLUSIVE MODE")  # the import's write transaction
        try:
            began = time.monotonic()
            result = CliRunner().invoke(
                main_group, ["--db", database_url, "settings", "set", "ads.target_roas", "3"], catch_exceptions=False
            )
            waited = time.monotonic() - began
        finally:
            transaction.rollback()
            holder.close()
            holder_engine.dispose()
    assert result.exit_code == 3, result.output
    assert result.output.strip().splitlines() == [
        f"Error: the database is busy: an import by ana (zendesk big.csv) is running since {started:%H:%M} UTC; "
        "try again when it is done"
    ]
    assert waited < 60  # it gave up (without lock_timeout it waited until the holder let go)
    after = CliRunner().invoke(main_group, ["--db", database_url, "settings", "set", "ads.target_roas", "3"])
    assert after.exit_code == 0, after.output  # free again: the same write goes through
