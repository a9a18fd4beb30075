"""Running one import: check every row, then write the good ones in one transaction.

Pass 1 (no write lock) streams the file, parses and checks every row, catches duplicates of a
natural key inside the file and checks references against the database in batches. Every
problem is collected (``file:line: column: problem``), not only the first.

Without a rejects file, any problem means nothing is written. With one, bad rows go to the
rejects file (original cells plus an ``error`` column) and pass 2 writes the others.

Pass 1 also spools the accepted records (pickled, in batches) to an anonymous temporary file;
pass 2 reads them back inside one write transaction (``BEGIN IMMEDIATE`` on SQLite) and hands
batches to the importer's bulk upsert. ``dry_run`` runs pass 2 and rolls it back,
so the counts it reports are exact. One audit entry (entity ``import``) records each run that
changed something; rows carry no audit entry of their own (a 100k-row file would otherwise
write 100k audit rows).

Memory stays flat (between the passes only the natural keys are kept in memory; the records
wait on disk), and the write lock is short: a file with errors never takes it.
"""

from __future__ import annotations

import csv
import gc
import json
import pickle
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from dtc_tui import db
from dtc_tui.errors import UserError
from dtc_tui.i18n import _
from dtc_tui.services.common import activity, audit
from dtc_tui.services.common.files import open_private
from dtc_tui.services.common.memory import return_free_memory
from dtc_tui.services.importers import dateorder
from dtc_tui.services.importers.base import Importer, ImportSummary, RowCheck
from dtc_tui.services.importers.errors import ImportFailed, NoData, RowError
from dtc_tui.services.importers.plan import (
    PLAN_KEY,
    BulkRollups,
    RebuiltIndexes,
    StalePlan,
    WritePlan,
    apply_ops,
    check_ids_unchanged,
    defer_foreign_keys,
    merged_windows,
)

CHECK_BATCH = 500
WRITE_BATCH = 2000
PROGRESS_EVERY = 1000
IMPORT_CACHE_KIB = -64 * 1024  # negative: KiB, as SQLite's cache_size takes it
ANALYZE_AFTER_ROWS = 1000
PLAN_ATTEMPTS = 3

Progress = Callable[[float, str], None]


class UnknownKind(UserError, ValueError):
    """An import kind the importer does not know."""


class _DryRun(Exception):
    """Raised inside the write transaction to roll a dry run back."""


def resolve_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            _("unknown time zone {name!r}; use an IANA name such as UTC or Europe/Berlin").format(name=name)
        ) from exc


def make_importer(
    kind: str, *, tz: str, now: datetime, actor: str, mappings: dict[str, dict[str, str]] | None = None
) -> Importer:
    from dtc_tui.services.importers import importer_class

    importer = importer_class(kind)(tz=resolve_zone(tz), now=now, actor=actor)
    importer.mappings = mappings or {}
    return importer


class _Rejects:
    """The rejects file: the row's original cells, then the error and the source line."""

    def __init__(self, path: Path, header: list[str] | None) -> None:
        self.handle = open_private(path, "w", encoding="utf-8", newline="")  # customer data: 0600
        self.writer = csv.writer(self.handle)
        self.writer.writerow([*(header if header is not None else ["record"]), "error", "source line"])

    def write(self, row: Any, problems: list[tuple[str, str]]) -> None:
        cells = row.raw() if hasattr(row, "raw") else [json.dumps(getattr(row, "obj", None), default=str)]
        message = "; ".join(f"{column}: {problem}" for column, problem in problems)
        self.writer.writerow([*cells, message, row.line])

    def close(self) -> None:
        self.handle.close()


def _record_digest(record: dict[str, Any]) -> int:
    try:
        return hash(tuple(record.values()))
    except TypeError:
        return hash(repr(record))


def run_import(
    engine: Engine,
    kind: str,
    path: Path,
    *,
    now: datetime,
    actor: str,
    tz: str | None = None,
    dry_run: bool = False,
    rejects: Path | None = None,
    progress: Progress | None = None,
    display_name: str | None = None,
    date_order: str | None = None,
    mappings: dict[str, dict[str, str]] | None = None,
) -> ImportSummary:
    """Import ``path`` as ``kind``. Raises ``ImportFailed`` when the file cannot be read at all.

    ``tz`` None: times without an offset are read as UTC and the summary says so (help desks).
    ``date_order`` ("dmy"/"mdy") settles slash dates no value in the file decides.
    ``mappings`` (``--map``): field -> {value in the file: value here}, e.g. status / group.
    """
    started = time.perf_counter()
    importer = make_importer(kind, tz=tz or "UTC", now=now, actor=actor, mappings=mappings)
    importer.tz_given = tz is not None
    name = display_name or str(path)
    summary = ImportSummary(
        kind=kind, file=name, entity=importer.entity, dry_run=dry_run, rejects_file=str(rejects) if rejects else None
    )
    if not path.is_file():
        raise ImportFailed([RowError(name, 0, "file", _("no such file"))])
    try:
        source = importer.open(path, name)
    except NoData as exc:
        importer.note(
            _("{problem}: nothing to import; pick a period with activity").format(problem=exc.errors[0].problem)
        )
        _fill(summary, importer, started)
        return summary
    importer.date_orders = dateorder.decide(source, date_order)
    with tempfile.TemporaryFile() as spool, _gc_paused():
        accepted = _check_pass(engine, importer, source, summary, rejects, progress, spool)
        if summary.errors and rejects is None:
            _fill(summary, importer, started)
            return_free_memory()
            return summary
        spool.seek(0)
        try:
            _write(engine, importer, source, spool, accepted, progress, summary, (kind, path, actor, now))
            summary.written = True
        except _DryRun:
            summary.written = False
        except IntegrityError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ImportFailed(
                [
                    RowError(
                        name,
                        0,
                        "database",
                        _("the database refused the rows ({detail}); nothing was written").format(detail=detail),
                    )
                ]
            ) from exc
    _fill(summary, importer, started)
    # The import's rows and caches are gone; without this the next import in this process (the
    # app, a re-import) would stack on the pages they held (100k rows: ~60 MB more at its peak).
    return_free_memory()
    return summary


def _write(
    engine: Engine,
    importer: Importer,
    source: Any,
    spool: IO[bytes],
    accepted: int,
    progress: Progress | None,
    summary: ImportSummary,
    audit_args: tuple[str, Path, str, datetime],
) -> None:
    """Pass 2: planned and applied briefly (SQLite ticket importers) or in one write transaction."""
    if getattr(importer, "plans", False) and db.is_sqlite(engine):
        _planned_write(engine, importer, source, spool, accepted, progress, summary, audit_args)
        if summary.dry_run:
            raise _DryRun
        return
    with (
        _recorded(engine, summary, audit_args),
        db.write_session(engine) as session,
        _big_page_cache(session),
        _postgres_planning(session, importer),
    ):
        _write_pass(session, importer, source, spool, accepted, progress)
        _audit(session, importer, summary, *audit_args)
        if summary.dry_run:
            raise _DryRun


def _recorded(engine: Engine, summary: ImportSummary, audit_args: tuple[str, Path, str, datetime]) -> Any:
    """While the import writes, ``db_activity`` says so: a busy database names it ("an import by
    ana is running"). A dry run writes nothing, not even this."""
    if summary.dry_run:
        return nullcontext()
    kind, path, actor, now = audit_args
    return activity.running(engine, kind="import", actor=actor, detail=f"{kind} {path.name}", now=now)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The import allocates millions of short-lived dicts and tuples; the cyclic collector's
    passes over them cost ~10% (measured) and free nothing that reference counting does not."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _collect_cycles() -> None:
    """While the collector is paused, what a write batch leaves in reference cycles (SQLAlchemy's
    results and their contexts, with the statements' parameters) would stay until the import ends:
    ~0.2 KB per row. The youngest generation holds only this batch's survivors: a cheap pass."""
    if not gc.isenabled():
        gc.collect(0)


@contextmanager
def _big_page_cache(session: Any) -> Iterator[None]:
    """SQLite's default 2 MB page cache thrashes on the ticket indexes past ~50k rows (measured:
    a 100k-row import spent most of its INSERT time re-reading index pages); 64 MB while writing."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    before = session.execute(text("PRAGMA cache_size")).scalar()
    session.execute(text(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA cache_size = {int(before)}"))


@contextmanager
def _query_only(session: Any) -> Iterator[None]:
    """While planning, a write that slipped past the plan fails loudly instead of being rolled back unseen."""
    session.execute(text("PRAGMA query_only = ON"))
    try:
        yield
    finally:
        session.execute(text("PRAGMA query_only = OFF"))


@contextmanager
def _postgres_planning(session: Any, importer: Importer) -> Iterator[None]:
    """Key lookups on tables that grow inside this transaction, and fresh statistics after.

    Measured on PostgreSQL: without statistics for rows just written, the planner scanned
    the ticket table for every 500-key lookup (0.25 s each; a 20k-row re-import took 11 s,
    1.4 s after ANALYZE). Every lookup here is by key, so sequential scans are switched off
    for this transaction only, and the written tables are analysed at the end.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL enable_seqscan = off"))
    yield
    if importer.inserted + sum(importer.created.values()) >= ANALYZE_AFTER_ROWS:
        for name in importer.tables:
            session.execute(text(f"ANALYZE {name}"))  # names from the importer class, not input


def _audit(
    session: Any, importer: Importer, summary: ImportSummary, kind: str, path: Path, actor: str, now: datetime
) -> None:
    """One audit entry per run that changed something (none per row), and the area's counter."""
    changed = importer.inserted + importer.updated + importer.touched + sum(importer.created.values())
    if not changed:
        return
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="import",
        entity_id=f"{kind}:{path.name}",
        action="import",
        after={
            "kind": kind,
            "file": path.name,
            "rows": summary.rows,
            "inserted": importer.inserted,
            "updated": importer.updated,
            "unchanged": importer.unchanged,
            "rejected": summary.rejected,
            "created": dict(importer.created),
        },
    )
    if importer.area:
        audit.bump(session, importer.area)


def _check_pass(
    engine: Engine,
    importer: Importer,
    source: Any,
    summary: ImportSummary,
    rejects_path: Path | None,
    progress: Progress | None,
    spool: IO[bytes],
) -> int:
    """Parse and check every row; spool the accepted records; return how many were accepted."""
    seen: dict[Any, tuple[int, int]] = {}
    rejects = _Rejects(rejects_path, getattr(getattr(source, "header", None), "cells", None)) if rejects_path else None
    pending: list[tuple[Any, dict[str, Any]]] = []
    accepted = 0

    def reject(row: Any, problems: list[tuple[str, str]]) -> None:
        summary.rejected += 1
        summary.errors.extend(RowError(source.name, row.line, column, problem) for column, problem in problems)
        if rejects is not None:
            rejects.write(row, problems)

    def check_pending(session: Any) -> None:
        nonlocal accepted
        if not pending:
            return
        found = importer.check_batch(session, [(row.line, record) for row, record in pending])
        good = []
        for row, record in pending:
            if row.line in found:
                reject(row, found[row.line])
            else:
                good.append((row.line, record))
        if good:
            pickle.dump(good, spool, protocol=pickle.HIGHEST_PROTOCOL)
            accepted += len(good)
        pending.clear()

    try:
        with db.read_session(engine) as session:
            importer.begin(source, writing=False)
            for count, row in enumerate(source.rows(), 1):
                summary.rows += 1
                if getattr(row, "short", ""):
                    reject(row, [("row", row.short)])
                    continue
                check = RowCheck(row, importer.tz, source.decimal_comma, importer.date_orders)
                record = importer.parse(row, check)
                importer.naive_times += check.naive
                if check.problems:
                    reject(row, check.problems)
                    continue
                if record is None:
                    continue
                key = importer.key(record)
                if key is not None:
                    digest = _record_digest(record)
                    first = seen.get(key)
                    if first is None:
                        seen[key] = (row.line, digest)
                    elif first[1] == digest:
                        importer.repeated(row.line, first[0])
                        continue
                    elif importer.merge_duplicate(row.line, first[0], key):
                        continue
                    else:
                        reject(
                            row,
                            [
                                (
                                    "row",
                                    f"duplicate of line {first[0]} ({importer.describe_key(key)}) "
                                    "with different values",
                                )
                            ],
                        )
                        continue
                pending.append((row, record))
                if len(pending) >= CHECK_BATCH:
                    check_pending(session)
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(0.5 * source.position / max(source.size, 1), "checking")
            check_pending(session)
    finally:
        if rejects is not None:
            rejects.close()
    return accepted


def _write_pass(
    session: Any,
    importer: Importer,
    source: Any,
    spool: IO[bytes],
    accepted: int,
    progress: Progress | None,
    ops: tuple[WritePlan, IO[bytes]] | None = None,
) -> None:
    """Hand the accepted records to the importer in batches. Planned (``ops``): the statements
    each batch recorded are spooled to disk as they come, so memory stays flat."""

    def spool_ops() -> None:
        if ops is not None and ops[0].ops:
            pickle.dump(ops[0].take_ops(), ops[1], protocol=pickle.HIGHEST_PROTOCOL)

    importer.begin(source, writing=True)
    importer.prepare(session)
    spool_ops()
    done = 0
    batch: list[tuple[int, dict[str, Any]]] = []
    while True:
        try:
            batch.extend(pickle.load(spool))
        except EOFError:
            break
        if len(batch) >= WRITE_BATCH:
            importer.write(session, batch)
            spool_ops()
            _collect_cycles()
            done += len(batch)
            batch = []
            if progress is not None:
                progress(0.5 + 0.5 * done / max(accepted, 1), "writing")
    if batch:
        importer.write(session, batch)
    importer.finish(session)
    spool_ops()
    if progress is not None:
        progress(1.0, "writing")


def _planned_write(
    engine: Engine,
    importer: Importer,
    source: Any,
    spool: IO[bytes],
    accepted: int,
    progress: Progress | None,
    summary: ImportSummary,
    audit_args: tuple[str, Path, str, datetime],
) -> None:
    """SQLite: the write pass against a read snapshot (``plan``), then one short write transaction.

    A plan gone stale (rows inserted or edited meanwhile) is worked out again, up to
    ``PLAN_ATTEMPTS`` times; a dry run plans and stops (it never takes the write lock).
    """
    counts = (importer.inserted, importer.updated, importer.unchanged, importer.touched, Counter(importer.created))
    reason = ""
    for _attempt in range(PLAN_ATTEMPTS):
        importer.inserted, importer.updated, importer.unchanged, importer.touched = counts[:4]
        importer.created = Counter(counts[4])
        spool.seek(0)
        with tempfile.TemporaryFile() as ops_spool:
            plan = WritePlan()
            with db.read_session(engine) as session, _big_page_cache(session), _query_only(session):
                session.info[PLAN_KEY] = plan
                _write_pass(session, importer, source, spool, accepted, progress, ops=(plan, ops_spool))
            if summary.dry_run:
                return
            ops_spool.seek(0)
            windows = merged_windows(_spooled(ops_spool))
            first = next(windows, [])  # read back and merged before the write lock is taken
            try:
                with (
                    _recorded(engine, summary, audit_args) if first else nullcontext(),
                    _checkpoint_after_commit(engine) as pause,
                    db.write_session(engine.execution_options(sqlite_synchronous="NORMAL")) as session,
                    _big_page_cache(session),
                ):
                    connection = session.connection()
                    pause(connection)
                    defer_foreign_keys(connection)
                    check_ids_unchanged(connection, plan)
                    rollups = BulkRollups(connection, plan)
                    indexes = RebuiltIndexes()
                    for table in getattr(importer, "rebuilds_indexes", ()):
                        indexes.drop(connection, table, plan.inserts.get(table, 0))
                    apply_ops(connection, first, rollups)
                    first = []  # applied: its rows need not stay while the next windows are read
                    for window in windows:
                        apply_ops(connection, window, rollups)
                    indexes.rebuild(connection)
                    rollups.finish(connection)
                    _audit(session, importer, summary, *audit_args)
                return
            except StalePlan as exc:
                reason = str(exc)
    raise ImportFailed(
        [
            RowError(
                summary.file,
                0,
                "database",
                _(
                    "the data changed while the import was prepared ({reason}), {count} times; "
                    "nothing was written, run the import again"
                ).format(reason=reason, count=PLAN_ATTEMPTS),
            )
        ]
    )


def _spooled(spool: IO[bytes]) -> Iterator[Any]:
    while True:
        try:
            yield pickle.load(spool)
        except EOFError:
            return


@contextmanager
def _checkpoint_after_commit(engine: Engine) -> Iterator[Callable[[Any], None]]:
    """The apply's commit neither checkpoints nor waits for the disk; both happen right after it.

    - No automatic WAL checkpoint at the apply's commit; a PASSIVE one right after it instead.
      SQLite runs its automatic checkpoint inside the COMMIT call (after releasing the write lock,
      but the caller waits for it): a 50k-row re-import's apply wrote ~16k pages, and folding them
      into the file took 0.15-0.25 s that looked like lock hold. Done after the transaction, it
      blocks nobody.
    - The commit runs with ``synchronous = NORMAL`` (no fsync of the WAL inside the write lock;
      set at BEGIN by ``db``'s ``sqlite_synchronous`` option),
      and the WAL file is fsynced as soon as the lock is released, before the import reports
      anything. A 50k-row first import writes ~20k pages to the WAL: the fsync of those ~80 MB is
      the biggest part of the lock hold's wall time on a busy disk. Still all or nothing: the WAL's
      frames are checksummed in a chain, so after a power loss before our fsync the whole import
      is gone, never half of it; and any later commit of another operator (synchronous FULL)
      fsyncs the WAL, ours included, so nothing committed after the import can outlive it.
    ``pause(connection)`` is called inside the write transaction."""
    paused: list[Any] = []

    def pause(connection: Any) -> None:
        raw = connection.connection.dbapi_connection
        raw.execute("PRAGMA wal_autocheckpoint = 0")
        paused.append(raw)

    try:
        yield pause
    finally:
        for raw in paused:  # back in the pool, idle: this process is the only one using it
            _fsync_wal(engine)  # durable before the import says "written"
            try:
                raw.execute("PRAGMA synchronous = FULL")  # (the next begin would set it back too)
                raw.execute("PRAGMA wal_autocheckpoint = 1000")
                raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a checkpoint that cannot run now is done by a later commit
                pass


def _fsync_wal(engine: Engine) -> None:
    import os

    path = db.sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is None:
        return
    try:
        fd = os.open(f"{path}-wal", os.O_RDONLY)
    except FileNotFoundError:  # checkpointed and removed already: the database file holds it
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fill(summary: ImportSummary, importer: Importer, started: float) -> None:
    summary.inserted, summary.updated, summary.unchanged = importer.inserted, importer.updated, importer.unchanged
    summary.created = {name: count for name, count in importer.created.items() if count}
    summary.ignored_reasons = dict(importer.ignored_reasons)
    summary.ignored = sum(importer.ignored_reasons.values())
    summary.notes = importer.note_lines()
    summary.warnings = importer.warning_lines()
    summary.warning_count = importer.warning_count
    summary.seconds = time.perf_counter() - started
