"""Bulk upsert on a natural key: one SELECT per batch, executemany INSERT and UPDATE.

A row whose compared columns all equal what is stored is left alone ("unchanged"), so
importing the same file twice writes nothing the second time. Updates set only the columns
that changed (grouped by column set, one executemany per group) and bump ``version`` where
the table has one, so a screen holding the old version refuses its stale edit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, tuple_
from sqlmodel import Session

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


def fetch_existing(session: Session, table: Table, key: Sequence[str], keys: list[tuple[Any, ...]],
                   where: Any = None) -> dict[tuple[Any, ...], dict[str, Any]]:
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    key_cols = [table.c[name] for name in key]
    target = key_cols[0] if len(key_cols) == 1 else tuple_(*key_cols)
    for start in range(0, len(keys), CHUNK):
        part = keys[start:start + CHUNK]
        values = [k[0] for k in part] if len(key_cols) == 1 else part
        query = select(table).where(target.in_(values))
        if where is not None:
            query = query.where(where)
        for row in session.execute(query).mappings():
            found[tuple(row[name] for name in key)] = dict(row)
    return found


def upsert(session: Session, table: Table, key: Sequence[str], rows: list[dict[str, Any]], *,
           compare: Sequence[str] | None = None, where: Any = None,
           prepare: Callable[[dict[str, Any], dict[str, Any] | None], None] | None = None,
           insert_defaults: dict[str, Any] | None = None) -> UpsertOutcome:
    """Insert new rows, update changed ones, count unchanged ones.

    ``compare`` lists the columns the file owns (default: every column the row carries).
    ``prepare(row, existing)`` adds derived columns (an SLA summary) to rows about to be
    written; on update it receives the merged row. ``where`` narrows the lookup (a source).
    """
    outcome = UpsertOutcome()
    if not rows:
        return outcome
    keys = [tuple(row[name] for name in key) for row in rows]
    existing = fetch_existing(session, table, key, keys, where)
    pk = next(iter(table.primary_key.columns)).name
    versioned = "version" in table.c
    inserts: list[dict[str, Any]] = []
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row, row_key in zip(rows, keys, strict=True):
        old = existing.get(row_key)
        if old is None:
            if prepare is not None:
                prepare(row, None)
            inserts.append(row)
            continue
        names = compare if compare is not None else [c for c in row if c not in key]
        changed = [name for name in names if name in row and not same(row[name], old[name])]
        if not changed:
            outcome.unchanged += 1
            continue
        merged = {**old, **{name: row[name] for name in changed}}
        before = set(changed)
        if prepare is not None:
            prepare(merged, old)
            changed += [name for name in merged if name not in before and name in table.c
                        and not same(merged[name], old[name])]
        updates.setdefault(tuple(sorted(changed)), []).append(merged)
        outcome.updated.append(merged)
    if inserts:
        _insert(session, table, inserts, insert_defaults or {})
        outcome.inserted = inserts
    for names, group in updates.items():
        values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in names}
        if versioned and "version" not in names:
            values["version"] = table.c.version + 1
        statement = table.update().where(table.c[pk] == bindparam("k_pk")).values(values)
        session.execute(statement, [{"k_pk": row[pk], **{f"v_{name}": row[name] for name in names}}
                                    for row in group])
    return outcome


def _insert(session: Session, table: Table, rows: list[dict[str, Any]], defaults: dict[str, Any]) -> None:
    """executemany needs the same keys on every row: fill gaps with the column defaults."""
    names: set[str] = set()
    for row in rows:
        names.update(name for name in row if name in table.c)
    fills = {name: defaults.get(name, column_default(table, name)) for name in names}
    payload = [{name: row.get(name, fills[name]) for name in names} for row in rows]
    for start in range(0, len(payload), 5000):
        session.execute(table.insert(), payload[start:start + 5000])
