"""Database maintenance for a shared box: integrity check, backup, restore, shared set-up."""

from __future__ import annotations

import grp
import os
import sqlite3
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, text

from dtc_tui import db


@dataclass
class CheckResult:
    ok: bool
    messages: list[str] = field(default_factory=list)


def check(engine: Engine) -> CheckResult:
    """SQLite: integrity_check and foreign_key_check. PostgreSQL: reachable and schema current."""
    result = CheckResult(ok=True)
    revision = db.current_revision(engine)
    head = db.head_revision()
    if revision != head:
        result.ok = False
        result.messages.append(f"schema is at {revision}, code expects {head}: run 'dtc-tui db upgrade'")
    if db.is_sqlite(engine):
        raw = engine.raw_connection()
        try:
            rows = [r[0] for r in raw.driver_connection.execute("PRAGMA integrity_check")]  # type: ignore[union-attr]
            fk = list(raw.driver_connection.execute("PRAGMA foreign_key_check"))  # type: ignore[union-attr]
        finally:
            raw.close()
        if rows != ["ok"]:
            result.ok = False
            result.messages += [f"integrity: {r}" for r in rows[:20]]
        if fk:
            result.ok = False
            result.messages += [f"foreign key: table {r[0]} row {r[1]} points at missing {r[2]}" for r in fk[:20]]
    else:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    if result.ok:
        result.messages.append("ok")
    return result


def checkpoint(engine: Engine) -> None:
    """Fold the WAL back into the database file while the app is idle (PASSIVE: never blocks)."""
    if db.is_sqlite(engine):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def backup(engine: Engine, destination: Path) -> Path:
    if not db.is_sqlite(engine):
        raise db.DatabaseError("for PostgreSQL use pg_dump / pg_restore; 'db backup' copies SQLite files")
    return db.backup_sqlite(engine, destination)


@dataclass(frozen=True)
class RestorePlan:
    source: Path
    target: Path
    source_revision: str | None
    safety_copy: Path


def plan_restore(engine: Engine, source: Path, now: datetime) -> RestorePlan:
    """Check the backup before anything is touched: it must be a sound dtc-tui database this code knows."""
    path = db.sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is None:
        raise db.DatabaseError("restore works on SQLite databases; for PostgreSQL use pg_restore")
    source = source.expanduser().resolve()
    if not source.is_file():
        raise db.DatabaseError(f"backup file {source} does not exist")
    revision = _validate_backup(source)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    return RestorePlan(source, path, revision, path.with_name(f"{path.name}.before-restore-{stamp}.bak"))


def _validate_backup(source: Path) -> str:
    """Integrity, schema version and the expected tables of a backup, checked read-only; its revision."""
    try:
        with open(source, "rb") as handle:
            if handle.read(len(db.SQLITE_MAGIC)) != db.SQLITE_MAGIC:
                raise db.DatabaseError(f"{source} is not a SQLite database")
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            row = (
                conn.execute("SELECT version_num FROM alembic_version").fetchone()
                if "alembic_version" in tables
                else None
            )
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        raise db.DatabaseError(f"{source} cannot be read as a dtc-tui database: {exc}") from exc
    if integrity != "ok":
        raise db.DatabaseError(f"{source} fails its integrity check: {integrity}")
    if row is None or row[0] is None:
        raise db.DatabaseError(f"{source} has no schema version: it is {db.NOT_OURS}")
    missing = sorted(db.CORE_TABLES - tables)
    if missing:
        raise db.DatabaseError(f"{source} lacks the tables {', '.join(missing)}: it is {db.NOT_OURS}")
    revision = str(row[0])
    if revision not in db.known_revisions():
        raise db.DatabaseError(f"{source} has schema {revision}, newer than this dtc-tui")
    return revision


def restore(engine: Engine, plan: RestorePlan) -> None:
    """Replace the live database with the backup, page by page, under SQLite's locks.

    The current database is first copied to ``plan.safety_copy``; the result is then upgraded to
    the code's schema. Other sessions see the restored data at their next read.
    """
    db.backup_sqlite(engine, plan.safety_copy)
    source = sqlite3.connect(f"file:{plan.source}?mode=ro", uri=True)
    raw = engine.raw_connection()
    try:
        source.backup(raw.driver_connection)  # type: ignore[arg-type]
    finally:
        raw.close()
        source.close()
    engine.dispose()
    db.upgrade(engine)


@dataclass(frozen=True)
class SharedSetup:
    directory: Path
    database: Path
    group: str


def init_shared(path: Path, group: str) -> SharedSetup:
    """Set up a database the whole team can write: setgid group directory, files mode 0660.

    The setgid bit makes the -wal/-shm files SQLite creates belong to the team's group too.
    Nothing is world-readable.
    """
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError as exc:
        raise db.DatabaseError(f"no group named {group!r}; create it with 'groupadd {group}' and add the team") from exc
    path = path.expanduser().resolve()
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        os.chown(directory, -1, gid)
        os.chmod(directory, 0o2770)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o660)
            os.close(fd)
        for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if candidate.exists():
                os.chown(candidate, -1, gid)
                os.chmod(candidate, 0o660)
    except PermissionError as exc:
        raise db.DatabaseError(f"cannot set up {exc.filename}: permission denied (run as its owner or root)") from exc
    return SharedSetup(directory, path, group)


def world_readable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IROTH)
