"""``db.write_connection``, the ORM-free write of the cron paths (``sla check``), keeps the promises
``write_session`` makes: the write lock at BEGIN, commit on success, rollback on error, and the
refusal once the database file went away."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from dtc_tui import db


@pytest.fixture
def sqlite_engine(tmp_path: Path):
    path = tmp_path / "t.db"
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE note (body TEXT)"))
    yield engine, path
    engine.dispose()


def test_the_write_lock_is_taken_at_begin(sqlite_engine) -> None:
    engine, path = sqlite_engine
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with db.write_connection(engine) as connection:
            connection.execute(text("SELECT 1"))  # a read: a deferred BEGIN would hold no write lock yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


def test_commits_on_success_and_rolls_back_on_error(sqlite_engine) -> None:
    engine, _ = sqlite_engine
    with db.write_connection(engine) as connection:
        connection.execute(text("INSERT INTO note VALUES ('kept')"))
    with pytest.raises(RuntimeError), db.write_connection(engine) as connection:
        connection.execute(text("INSERT INTO note VALUES ('lost')"))
        raise RuntimeError("the write fails half way")
    with db.read_connection(engine) as connection:
        assert [r[0] for r in connection.execute(text("SELECT body FROM note"))] == ["kept"]


def test_refused_once_writes_are_blocked(sqlite_engine) -> None:
    engine, _ = sqlite_engine
    db.block_writes(engine, "the database file was deleted")
    with pytest.raises(db.DatabaseUnavailable, match="deleted"), db.write_connection(engine):
        pass
