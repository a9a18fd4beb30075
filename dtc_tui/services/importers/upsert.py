"""Bulk upsert on a natural key: one SELECT per batch, executemany INSERT and UPDATE.

A row whose compared columns all equal what is stored is left alone ("unchanged"), so
importing the same file twice writes nothing the second time. On SQLite and PostgreSQL the
lookup and the INSERT skip SQLAlchemy's per-value processing (see ``rawsql``). Updates set only the columns
that changed (grouped by column set, one executemany per group) and bump ``version`` where
the table has one, so a screen holding the old version refuses its stale edit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, column, select, text, tuple_
from sqlmodel import Session

from dtc_tui.services.importers.plan import WritePlan, plan_of
from dtc_tui.services.importers.rawsql import Codec, codec_for

CHUNK = 500


@dataclass
class UpsertOutcome:
    inserted: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)  # merged rows, with their id
    unchanged: int = 0


def same(new: Any, old: Any) -> bool:
    if new is None or old is None:
        return new is old
    if isinstance(new, bool) or isinstance(old, bool):
        return bool(new) == bool(old)
    if isinstance(new, int | float) and isinstance(old, int | float):
        return abs(float(new) - float(old)) <= 1e-9 * max(1.0, abs(float(old)))
    if isinstance(new, datetime) and isinstance(old, datetime):
        return new == old
    if isinstance(new, date) and isinstance(old, date):
        return new == old
    return new == old


def column_default(table: Table, name: str) -> Any:
    default = table.c[name].default
    if default is not None and getattr(default, "is_scalar", False):
        return default.arg  # type: ignore[attr-defined]
    return None


def _values_select(columns: Sequence[Any], rows: list[tuple[Any, ...]]) -> Any:
    """``SELECT column1, ... FROM (VALUES (...), ...)`` with each value bound as its column's type
    (SQLite names a VALUES list's columns itself and takes no ``AS v (a, b)``)."""
    width = len(columns)
    names = ", ".join(f"column{n + 1}" for n in range(width))
    marks = ", ".join("(" + ", ".join(f":v{r}_{n}" for n in range(width)) + ")" for r in range(len(rows)))
    binds = [
        bindparam(f"v{r}_{n}", value, type_=columns[n].type)
        for r, row in enumerate(rows)
        for n, value in enumerate(row)
    ]
    return (
        text(f"SELECT {names} FROM (VALUES {marks})")
        .bindparams(*binds)
        .columns(*(column(f"column{n + 1}", c.type) for n, c in enumerate(columns)))
    )


def key_lookups(session: Session, table: Table, key: Sequence[str], keys: list[tuple[Any, ...]]) -> Iterator[list[Any]]:
    """The WHERE conditions that find these keys' stored rows, a chunk of keys at a time.

    SQLite scans the whole table for a row-value IN, ``(a, b) IN (VALUES ...)`` (measured: every
    batch of an orders import read every stored order, so an import slowed as the table grew). A key
    column with one value in the batch (the source of every order) is compared on its own, so the
    lookup is ``a = ? AND b IN (...)``, and what stays composite goes through a VALUES subquery,
    which SQLite reads through the key's index (as ``rawsql`` does). A NULL in a key matches
    nothing, as in the row-value IN.
    """
    if not keys:
        return
    pinned = {i: keys[0][i] for i in range(len(key)) if all(k[i] == keys[0][i] for k in keys)}
    if any(value is None for value in pinned.values()):
        return
    free = [i for i in range(len(key)) if i not in pinned] or [len(key) - 1]
    pinned.pop(free[0], None)  # every column pinned (one key): the last one stays in the IN
    free_cols = [table.c[key[i]] for i in free]
    sqlite = session.get_bind().dialect.name == "sqlite"
    fixed = [table.c[key[i]] == value for i, value in pinned.items()]
    distinct = list(dict.fromkeys(tuple(k[i] for i in free) for k in keys))
    for start in range(0, len(distinct), CHUNK):
        part = distinct[start : start + CHUNK]
        if len(free) == 1:
            yield [free_cols[0].in_([k[0] for k in part]), *fixed]
        elif sqlite:
            yield [tuple_(*free_cols).in_(_values_select(free_cols, part)), *fixed]
        else:
            yield [tuple_(*free_cols).in_(part), *fixed]


def fetch_existing(
    session: Session, table: Table, key: Sequence[str], keys: list[tuple[Any, ...]], where: dict[str, Any] | None = None
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The stored rows of these keys (and ``where``), by key (``key_lookups``)."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    extra = [table.c[name] == value for name, value in (where or {}).items()]
    for conditions in key_lookups(session, table, key, keys):
        for row in session.execute(select(table).where(*conditions, *extra)).mappings():
            found[tuple(row[name] for name in key)] = dict(row)
    return found
    pinned = {i: keys[0][i] for i in range(len(key)) if all(k[i] == keys[0][i] for k in keys)}
    if any(value is None for value in pinned.values()):
        return found  # a NULL never matched the row-value IN: no stored row has this key
    free = [i for i in range(len(key)) if i not in pinned] or [len(key) - 1]
    pinned.pop(free[0], None)  # every column pinned (one key): the last one stays in the IN
    free_cols = [table.c[key[i]] for i in free]
    sqlite = session.get_bind().dialect.name == "sqlite"
    conditions = [table.c[key[i]] == value for i, value in pinned.items()]
    conditions += [table.c[name] == value for name, value in (where or {}).items()]
    distinct = list(dict.fromkeys(tuple(k[i] for i in free) for k in keys))
    for start in range(0, len(distinct), CHUNK):
        part = distinct[start : start + CHUNK]
        if len(free) == 1:
            match = free_cols[0].in_([k[0] for k in part])
        elif sqlite:
            match = tuple_(*free_cols).in_(_values_select(free_cols, part))
        else:
            match = tuple_(*free_cols).in_(part)
        for row in session.execute(select(table).where(match, *conditions)).mappings():
            found[tuple(row[name] for name in key)] = dict(row)
    return found


def upsert(
    session: Session,
    table: Table,
    key: Sequence[str],
    rows: list[dict[str, Any]],
    *,
    compare: Sequence[str] | None = None,
    where: dict[str, Any] | None = None,
    prepare: Callable[[dict[str, Any], dict[str, Any] | None], None] | None = None,
    insert_defaults: dict[str, Any] | None = None,
) -> UpsertOutcome:
    """Insert new rows, update changed ones, count unchanged ones.

    ``compare`` lists the columns the file owns (default: every column the row carries).
    ``prepare(row, existing)`` adds derived columns (an SLA summary) to rows about to be
    written; on update it receives the merged row. ``where`` narrows the lookup (a source).
    """
    outcome = UpsertOutcome()
    if not rows:
        return outcome
    pk = next(iter(table.primary_key.columns)).name
    names = list(compare) if compare is not None else sorted({c for row in rows for c in row if c not in key})
    names = [name for name in names if name in table.c and name not in key]
    keys = [tuple(row[name] for name in key) for row in rows]
    codec = codec_for(session, table)
    if codec is not None:
        stored = codec.fetch(names, key, keys, where)
        encoded = [codec.encode_key(key, k) for k in keys]
        found = [stored.get(k) for k in encoded]
        wanted = set(names)
        quick_by_id: dict[int, tuple[Any, ...]] = {}
        stored_rows = [row for row, old in zip(rows, found, strict=True) if old is not None]
        if names and stored_rows and all(wanted <= row.keys() for row in stored_rows):
            # Every stored row's record carries every compared column: encode them all at once
            # (C-level getters); rows not stored yet (a first import: all of them) are not encoded here.
            quick = codec.encode_rows(stored_rows, names, {})
            quick_by_id = {id(row): values for row, values in zip(stored_rows, quick, strict=True)}

        def differs(row: dict[str, Any], old: tuple[Any, ...]) -> bool:
            values = quick_by_id.get(id(row)) or codec.encode_values(row, names, old)
            if values == old:  # the common case: one tuple comparison
                return False
            return any(
                name in row and not codec.same(name, row[name], value) for name, value in zip(names, old, strict=True)
            )
    else:
        typed = fetch_existing(session, table, key, keys, where)
        found_typed = [typed.get(k) for k in keys]
        found = [None if old is None else tuple(old[name] for name in names) for old in found_typed]

        def differs(row: dict[str, Any], old: tuple[Any, ...]) -> bool:
            return any(name in row and not same(row[name], value) for name, value in zip(names, old, strict=True))

    inserts: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    for row, old in zip(rows, found, strict=True):
        if old is None:
            if prepare is not None:
                prepare(row, None)
            inserts.append(row)
        elif differs(row, old):
            changed_rows.append(row)
        else:
            outcome.unchanged += 1
    if inserts:
        _insert(session, table, inserts, insert_defaults or {}, codec, ids=True)
        outcome.inserted = inserts
    if changed_rows:
        outcome.updated = _update(session, table, key, pk, names, changed_rows, where, prepare)
    return outcome


def _update(
    session: Session,
    table: Table,
    key: Sequence[str],
    pk: str,
    names: list[str],
    rows: list[dict[str, Any]],
    where: dict[str, Any] | None,
    prepare: Callable[[dict[str, Any], dict[str, Any] | None], None] | None,
) -> list[dict[str, Any]]:
    """Changed rows (few, usually): read back typed, merge, set only what changed."""
    existing = fetch_existing(session, table, key, [tuple(row[n] for n in key) for row in rows], where)
    versioned = "version" in table.c
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    merged_rows = []
    for row in rows:
        old = existing[tuple(row[n] for n in key)]
        changed = [name for name in names if name in row and not same(row[name], old[name])]
        merged = {**old, **{name: row[name] for name in changed}}
        for extra in row:
            if extra not in table.c:
                merged[extra] = row[extra]  # helper values for the caller (breaches, messages)
        before = set(changed)
        if prepare is not None:
            prepare(merged, old)
            changed += [
                name for name in merged if name not in before and name in table.c and not same(merged[name], old[name])
            ]
        updates.setdefault(tuple(sorted(changed)), []).append(merged)
        merged_rows.append(merged)
    plan = plan_of(session)
    if plan is not None:
        _plan_updates(session, table, pk, updates, plan)
        return merged_rows
    for columns, group in updates.items():
        values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in columns}
        if versioned and "version" not in columns:
            values["version"] = table.c.version + 1
        statement = table.update().where(table.c[pk] == bindparam("k_pk")).values(values)
        session.execute(statement, [{"k_pk": row[pk], **{f"v_{name}": row[name] for name in columns}} for row in group])
    return merged_rows


def _plan_updates(
    session: Session, table: Table, pk: str, updates: dict[tuple[str, ...], list[dict[str, Any]]], plan: WritePlan
) -> None:
    """The same UPDATEs, recorded for the apply, each guarded by the version it was planned from."""
    codec = codec_for(session, table)
    assert codec is not None, "planned imports run on backends with a codec"
    versioned = "version" in table.c
    for columns, group in updates.items():
        sets = [f"{codec.quote(name)} = {codec.mark}" for name in columns]
        if versioned and "version" not in columns:
            sets.append(f"{codec.quote('version')} = {codec.quote('version')} + 1")
        where = f"{codec.quote(pk)} = {codec.mark}"
        if versioned:
            where += f" AND {codec.quote('version')} = {codec.mark}"
        sql = f"UPDATE {codec.name} SET {', '.join(sets)} WHERE {where}"
        params = [
            (
                *(codec.encode[name](row[name]) for name in columns),
                row[pk],
                *((row["version"],) if versioned else ()),
            )
            for row in group
        ]
        plan.record(sql, params, expect=len(params))
        plan.updates[table.name] += len(params)


def bulk_insert(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    ids: bool = False,
    unless_exists: Sequence[str] = (),
) -> None:
    """Insert rows in bulk (the fast path where the backend has one).

    Planned imports (see ``plan``): ``ids`` gives the rows their ids up front (the caller reads
    them from the rows); ``unless_exists`` (the columns of a unique constraint) skips a row whose
    values in those columns are stored by the time the plan is applied.
    """
    if rows:
        _insert(session, table, rows, {}, codec_for(session, table), ids=ids, unless_exists=unless_exists)


def _insert(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    defaults: dict[str, Any],
    codec: Codec | None = None,
    *,
    ids: bool = False,
    unless_exists: Sequence[str] = (),
) -> None:
    """executemany needs the same columns on every row: gaps take the column defaults."""
    plan = plan_of(session)
    if plan is not None and ids:
        plan.assign_ids(session, table, next(iter(table.primary_key.columns)).name, rows)
    columns = set(table.c.keys())
    names: set[str] = (set(defaults) | set().union(*rows)) & columns
    if codec is not None:
        # Below SQLAlchemy no default is applied for us: list every column that has one.
        names.update(name for name in columns if column_default(table, name) is not None)
    fills = {name: defaults.get(name, column_default(table, name)) for name in names}
    if codec is not None:
        codec.insert(rows, sorted(names), fills, unless_exists=unless_exists)
        return
    payload = [{name: row.get(name, fills[name]) for name in names} for row in rows]
    for start in range(0, len(payload), 5000):
        session.execute(table.insert(), payload[start : start + 5000])
