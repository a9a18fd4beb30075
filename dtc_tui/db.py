"""Engine, sessions, SQLite pragmas and migrations.

SQLite choices (why):
- WAL: readers never block the writer, so several operators' sessions can share one file.
- ``synchronous=FULL``: in WAL mode NORMAL may lose the last commits on power loss; a change
  the screen reports as saved must survive a machine crash, so we pay one fsync per commit.
- ``busy_timeout``: a writer waits for the lock instead of failing with "database is locked".
- Write sessions start with ``BEGIN IMMEDIATE`` so the write lock is taken up front; a deferred
  transaction that later upgrades to a writer can fail with SQLITE_BUSY without waiting.
- ``trusted_schema=OFF``: views and triggers in a file someone else handed us cannot call
  application functions.

PostgreSQL choices: every session sets ``lock_timeout`` to the same ``BUSY_TIMEOUT_MS`` as
SQLite's busy timeout, so a writer blocked behind another transaction's row locks (an import's)
gets "the database is busy: an import by ana ... is running" after 10 s instead of waiting
forever, and ``statement_timeout`` (``STATEMENT_TIMEOUT_MS``) as a backstop against a statement
that never ends. Maintenance that may legitimately run long (migrations, ``db rebuild-rollups``)
lifts the statement timeout for its own transaction (``no_statement_timeout``).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, make_url

if TYPE_CHECKING:  # imported where used: the cron paths run on Connections, without the ORM
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 10_000
STATEMENT_TIMEOUT_MS = 600_000  # PostgreSQL: a statement running 10 minutes is stuck, not busy
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseError(Exception):
    """A problem the operator can fix (wrong path, newer schema...): shown as one line."""


class DatabaseUnavailable(DatabaseError):
    """The database named cannot be used as it is (missing, not SQLite, another application's,
    newer schema, unreadable, locked): the CLI exits 3 on it, the app says so and stops."""


SQLITE_MAGIC = b"SQLite format 3\x00"
# Tables every dtc-tui schema has had since 0001: a file without them is not ours.
CORE_TABLES = frozenset({"alembic_version", "ticket", "person", "audit_log", "change_counter", "sla_policy"})
NOT_OURS = "not a dtc-tui database; use db init on a new path"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred-only).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA trusted_schema=OFF")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        # ``sqlite_synchronous="NORMAL"``: this transaction's commit does not fsync (the caller
        # fsyncs the WAL itself right after, see importers/pipeline.py); the level may only be
        # changed outside a transaction, so here, and set back to FULL at the next plain begin.
        synchronous = options.get("sqlite_synchronous")
        info = connection.connection.info
        if synchronous == "NORMAL":
            connection.exec_driver_sql("PRAGMA synchronous = NORMAL")
            info["dtc_synchronous"] = "NORMAL"
        elif info.get("dtc_synchronous") == "NORMAL":
            connection.exec_driver_sql("PRAGMA synchronous = FULL")
            info["dtc_synchronous"] = "FULL"
        mode = options.get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _install_postgres_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Values read at connect time, so a test or the bench may lower/raise them for its engine.
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET lock_timeout = {int(BUSY_TIMEOUT_MS)}")
        cursor.execute(f"SET statement_timeout = {int(STATEMENT_TIMEOUT_MS)}")
        cursor.close()
        dbapi_connection.commit()  # psycopg opened a transaction for the SETs; they stay for the session


def no_statement_timeout(connection: Any) -> None:
    """Inside a transaction: no statement timeout until it ends (PostgreSQL; nothing on SQLite)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")


def check_sqlite_file(path: Path, *, create: bool) -> None:
    """Refuse, in one line, a path that is not a SQLite file (or is missing when we may not create it)."""
    if not path.exists():
        if not create:
            raise DatabaseUnavailable(f"no database at {path}; create one with 'dtc-tui --db {path} db upgrade'")
        return
    if path.is_dir():
        raise DatabaseUnavailable(f"{path} is a directory, not a database file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseUnavailable(f"cannot read database {path}: {exc.strerror}") from exc
    if head and head != SQLITE_MAGIC:
        raise DatabaseUnavailable(f"{path} is not a SQLite database")
    if not head and not create:
        raise DatabaseUnavailable(f"{path} is an empty file, not a database yet; run 'dtc-tui --db {path} db upgrade'")


def check_schema(engine: Engine, *, create: bool) -> None:
    """Refuse another application's database (never migrate it) and, unless creating, an empty one.

    A SQLite file is looked at through a read-only connection first: opening it the usual way
    would switch it to WAL, which already changes another application's file.
    """
    label = engine.url.render_as_string(hide_password=True)
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    try:
        if path is not None and path.exists() and path.stat().st_size:
            tables, revision = _sqlite_schema_read_only(path)
        else:
            with engine.connect() as conn:
                tables = set(inspect(conn).get_table_names())
                revision = None
                if "alembic_version" in tables:
                    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # not a database, unreadable, connection refused: one line
        raise DatabaseUnavailable(f"cannot open database {label}: {_one_line(exc)}") from exc
    if "alembic_version" in tables and revision is None:
        raise DatabaseUnavailable(f"{label} has an empty schema version table: {NOT_OURS}")
    if tables and not tables >= CORE_TABLES:
        raise DatabaseUnavailable(f"{label} is {NOT_OURS}")
    if not tables and not create:
        raise DatabaseUnavailable(f"{label} holds no dtc-tui schema yet; run 'dtc-tui --db ... db upgrade'")


def _sqlite_schema_read_only(path: Path) -> tuple[set[str], str | None]:
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        tables = {name for name in tables if not name.startswith("sqlite_")}
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return tables, revision
    finally:
        conn.close()


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" (after the busy timeout) or PostgreSQL's lock timeout."""
    from sqlalchemy.exc import OperationalError

    detail = str(getattr(exc, "orig", None) or exc).lower()
    return isinstance(exc, OperationalError) and ("locked" in detail or "busy" in detail or "lock timeout" in detail)


def busy_line() -> str:
    """What a busy database is when nothing says who holds it (see services/common/activity.py)."""
    seconds = f"{BUSY_TIMEOUT_MS / 1000:g}"
    from dtc_tui.i18n import _

    return _("the database is busy: another process held its write lock for more than {seconds} s; try again").format(
        seconds=seconds
    )


def describe_failure(exc: BaseException) -> str | None:
    """One line naming a database failure (busy, gone, unreadable); None when ``exc`` is not one."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    if isinstance(exc, DatabaseUnavailable):
        return str(exc)
    if is_busy(exc):
        return busy_line()
    from dtc_tui.i18n import _

    if isinstance(exc, DBAPIError) and type(exc).__name__ in ("OperationalError", "DatabaseError", "InterfaceError"):
        return _("database unavailable: {reason}").format(reason=_one_line(exc))
    if isinstance(exc, ArgumentError):
        return _("cannot open database: {reason}").format(reason=exc)
    return None


def _one_line(exc: BaseException) -> str:
    detail = getattr(exc, "orig", None) or exc
    lines = str(detail).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def open_engine(url: str, *, create: bool) -> Engine:
    """The engine of a checked database at the newest schema. Only commands that create pass
    ``create=True`` (db init / upgrade, demo, import, the app's first start)."""
    path = sqlite_path(url)
    if path is not None:
        check_sqlite_file(path, create=create)
    try:
        engine = make_engine(url)
    except Exception as exc:
        if isinstance(exc, DatabaseError):
            raise DatabaseUnavailable(str(exc)) from exc
        raise DatabaseUnavailable(f"cannot open database {url}: {_one_line(exc)}") from exc
    check_schema(engine, create=create)
    try:
        ensure_current(engine)
    except DatabaseError as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    return engine


def make_engine(url: str, *, echo: bool = False) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        directory = path.parent
        if not directory.exists():
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"cannot create directory {directory}: {exc.strerror}") from exc
        if path.exists() and not _writable(path):
            raise DatabaseError(
                f"database {path} (or its directory {directory}) is not writable by this user; ask its owner "
                f"to run 'dtc-tui --db {path} db init --group TEAM' or 'chmod g+w' on both, and add you to the group"
            )
        if not path.exists():
            _create_private_file(path)
        engine = create_engine(url, echo=echo, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _install_sqlite_hooks(engine)
        _checkpoint_at_exit(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_pre_ping=True)
    if engine.dialect.name == "postgresql":
        _install_postgres_hooks(engine)
    return engine


EXIT_CHECKPOINT_BUSY_MS = 500


def checkpoint_truncate(engine: Engine) -> None:
    """Fold the whole WAL into the database file and empty it, so ``X.db`` alone is complete.

    Waits at most ``EXIT_CHECKPOINT_BUSY_MS`` for other sessions (a busy box keeps its WAL; the
    next quiet exit folds it). Then the pool is closed.
    """
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is None or not path.exists():  # connecting would create an empty file in its place
        engine.dispose()
        return
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={EXIT_CHECKPOINT_BUSY_MS}")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except Exception:
        pass
    engine.dispose()


def _checkpoint_at_exit(engine: Engine) -> None:
    """When the process exits cleanly, checkpoint (TRUNCATE) every SQLite engine it still holds."""
    import atexit
    import weakref

    ref = weakref.ref(engine)

    def _at_exit() -> None:
        alive = ref()
        if alive is not None:
            checkpoint_truncate(alive)

    atexit.register(_at_exit)


def _create_private_file(path: Path, mode: int = 0o660) -> None:
    """Create the database file readable by owner and group only, never by everyone.

    SQLite gives its -wal and -shm files the database file's permissions, so they follow.
    """
    import os

    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode & ~0o007)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseError(f"cannot create database {path}: {exc.strerror}") from exc


def _writable(path: Path) -> bool:
    import os

    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A short read transaction (deferred on SQLite)."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """``read_session`` without the ORM: a Core connection in a short read transaction."""
    with engine.connect() as connection:
        yield connection


def file_identity(engine: Engine) -> tuple[int, int] | None:
    """(device, inode) of a SQLite database file; None for other backends or a missing file."""
    import os

    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is None:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def block_writes(engine: Engine, reason: str) -> None:
    """From now on every ``write_session`` on ``engine`` refuses with ``reason`` (the file went away)."""
    engine._dtc_blocked = reason  # type: ignore[attr-defined]


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A write transaction that takes the write lock at BEGIN and commits on success."""
    from sqlmodel import Session

    with Session(_write_bind(engine), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """``write_session`` without the ORM (the cron paths): the same lock at BEGIN, commit on success."""
    with _write_bind(engine).begin() as connection:
        yield connection


@contextmanager
def write_connection_nowait(engine: Engine, wait_ms: int) -> Iterator[Connection]:
    """``write_connection`` for a write that may be skipped (a cache): it waits at most
    ``wait_ms`` for the write lock, where others wait ``BUSY_TIMEOUT_MS``; the caller catches the
    busy error and goes on without it."""
    with _write_bind(engine).connect() as connection:
        # On SQLite a setting of the connection, set on the driver's own connection (a statement
        # through SQLAlchemy would begin a transaction, IMMEDIATE here: the very wait to avoid),
        # and put back before the connection goes back to the pool.
        raw = connection.connection.driver_connection if is_sqlite(engine) else None
        if raw is not None:
            raw.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
        try:
            with connection.begin():
                if raw is None:
                    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(wait_ms)}")
                yield connection
        finally:
            if raw is not None:
                raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _write_bind(engine: Engine) -> Engine:
    """The engine a write transaction runs on; refuses once writes are blocked (``block_writes``)."""
    blocked = getattr(engine, "_dtc_blocked", None) or getattr(getattr(engine, "_proxied", None), "_dtc_blocked", None)
    if blocked:
        raise DatabaseUnavailable(blocked)
    return engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine


# --- migrations -------------------------------------------------------------------------------


def _alembic_config(engine: Engine, connection: Any | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # configparser treats % as interpolation: escape it (URL-encoded passwords, options).
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    heads = script.get_heads()
    if len(heads) != 1:
        raise DatabaseError(f"migrations have {len(heads)} heads; merge them ({', '.join(heads)})")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=(.*)$", re.MULTILINE)


def _head_from_files() -> str | None:
    """The single head read from the version files' text, or None when unsure (Alembic decides then).

    Same answer as ``head_revision()`` for the plain ``revision = "..."`` / ``down_revision = ...``
    lines Alembic writes, without importing Alembic and every migration module.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return {rev.revision for rev in script.walk_revisions()}


@dataclass
class MigrationResult:
    before: str | None
    after: str
    backup: Path | None


def backup_sqlite(engine: Engine, destination: Path) -> Path:
    """A consistent copy of a live SQLite database (VACUUM INTO), synced to disk.

    Written to a temporary name in the same directory, fsynced, then renamed: a killed backup
    never leaves a partial or empty file under the final name.
    """
    import os

    destination = destination.expanduser().resolve()
    if destination.exists():
        raise DatabaseError(f"{destination} already exists; choose another name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    from dtc_tui.services.common.files import private_mode

    # VACUUM INTO accepts an empty file; ours is 0600 (0660 in the team's setgid directory)
    _create_private_file(partial, private_mode(partial.parent))
    try:
        raw = engine.raw_connection()  # VACUUM cannot run inside the transaction SQLAlchemy opens
        try:
            raw.driver_connection.execute("VACUUM INTO ?", (str(partial),))  # type: ignore[union-attr]
        finally:
            raw.close()
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        if destination.exists():
            raise DatabaseError(f"{destination} appeared while the backup was written; choose another name")
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    directory = os.open(destination.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
    return destination


def upgrade(engine: Engine) -> MigrationResult:
    """Bring the database to the newest schema; back up an existing SQLite file first.

    Refuses a database whose revision this code does not know (it is newer than the code).
    """
    before = current_revision(engine)
    if before is not None and before == _head_from_files():
        # Up to date, the common case: answered without importing Alembic (~0.3 s of every start).
        return MigrationResult(before, before, None)
    from alembic import command

    head = head_revision()
    if before is None:
        check_schema(engine, create=True)  # never migrate another application's tables in place
    if before is not None and before not in known_revisions():
        raise DatabaseError(
            f"database schema {before} is newer than this dtc-tui knows (head {head}); "
            "upgrade dtc-tui before opening it"
        )
    if before == head:
        return MigrationResult(before, head, None)
    backup = None
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if before is not None and path is not None and path.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        backup = backup_sqlite(engine, path.with_name(f"{path.name}.before-{head}-{stamp}.bak"))
    with engine.begin() as connection:
        no_statement_timeout(connection)
        command.upgrade(_alembic_config(engine, connection), "head")
        from dtc_tui.models import rollups, ticket_search

        if not rollups.triggers_present(connection):  # a batch migration re-created ticket (SQLite drops triggers)
            rollups.restore(connection)
        if not ticket_search.present(connection):  # the same for the queue's indexes and full-text triggers
            ticket_search.restore(connection)
    return MigrationResult(before, head, backup)


def ensure_current(engine: Engine) -> MigrationResult:
    """Called by the app and every CLI command before they touch data."""
    return upgrade(engine)


def copy_file_database(source: Path, destination: Path) -> None:
    shutil.copy2(source, destination)
