"""Re-imports keep the team's work: a three-way merge per record and field, for every importer.

Each import keeps the values it wrote per record and field (``import_baseline``: kind, the
record's natural key, the values as JSON). On the next import of that record a field takes the
file's value only where the file changed it since the last import:

- file == last import: the team's value stays (whatever the team did with it);
- file changed, stored == last import: the file's value is taken;
- file changed and the team changed it too (to something else): a **conflict**, the team's
  value is kept and the summary lists it.

A record with no baseline (new, or imported before baselines existed) takes the file's values as
before. Every record an import changes gets its own audit row (entity = the table, action
``import``, before/after of the changed fields); inserts are covered by the run's audit entry.
The ticket importer (``ticket_writer``) does the same with its own derivations.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session

from dtc_tui.i18n import _
from dtc_tui.models.base import table_of
from dtc_tui.models.system import AuditLog, ImportBaseline
from dtc_tui.services.common import audit
from dtc_tui.services.importers.upsert import UpsertOutcome, bulk_insert, fetch_existing, upsert

BASELINE = table_of(ImportBaseline)
AUDIT = table_of(AuditLog)
CONFLICTS_SHOWN = 10
CHUNK = 500


_AS_IS = frozenset((str, int, bool, type(None)))  # what JSON keeps as it is (no subclasses)


def plain(value: Any) -> Any:
    """A value as JSON keeps it, so a stored baseline compares equal to a fresh one."""
    if type(value) in _AS_IS:  # most values (text): one set lookup
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def _same(a: Any, b: Any) -> bool:
    if type(a) is str and type(b) is str:  # the common case, in short
        return a == b
    if (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))
    return bool(a == b)


class Baselines:
    """The three-way merge of one import run (``kind`` names the records' origin)."""

    def __init__(self, kind: str, *, actor: str, now: datetime, label: str = "") -> None:
        self.kind = kind[:30]
        self.actor = actor
        self.now = now
        self.label = label or kind
        self.conflicts: list[str] = []
        self.conflict_count = 0
        self.kept = 0  # fields where the team's value stayed because the file had not changed it

    def record_key(self, key: tuple[Any, ...]) -> str:
        parts = [plain(part) for part in key]
        text = str(parts[0]) if len(parts) == 1 else json.dumps(parts, separators=(",", ":"))
        return text[:100]

    def warning(self) -> str | None:
        if not self.conflict_count:
            return None
        shown = "; ".join(self.conflicts)
        more = self.conflict_count - len(self.conflicts)
        from dtc_tui.services.importers.base import number_text

        return _(
            "{count} fields changed both here and in the file since the last import; "
            "the team's value was kept: {fields}{more}"
        ).format(
            count=number_text(self.conflict_count),
            fields=shown,
            more=_("; and {count} more").format(count=number_text(more)) if more > 0 else "",
        )

    def upsert_merged(
        self,
        session: Session,
        table: Table,
        key: Sequence[str],
        rows: list[dict[str, Any]],
        *,
        compare: Sequence[str],
        describe: Callable[[dict[str, Any]], str] | None = None,
        where: dict[str, Any] | None = None,
        prepare: Callable[[dict[str, Any], dict[str, Any] | None], None] | None = None,
        insert_defaults: dict[str, Any] | None = None,
    ) -> UpsertOutcome:
        """``upsert`` with the merge: rows are changed in place to keep the team's values."""
        fields = [name for name in compare if name not in key and name in table.c]
        keyed = [(self.record_key(tuple(row[n] for n in key)), row) for row in rows]
        imported = {rk: {n: plain(row[n]) for n in fields if n in row} for rk, row in keyed}
        bases = _baselines(session, self.kind, list(imported))
        stored: dict[tuple[Any, ...], dict[str, Any]] = {}
        with_base = [tuple(row[n] for n in key) for rk, row in keyed if rk in bases]
        if with_base:
            stored = fetch_existing(session, table, key, with_base, where)
        for rk, row in keyed:
            base = bases.get(rk)
            current = stored.get(tuple(row[n] for n in key))
            if base is None or current is None:
                continue  # new, or never imported with a baseline: the file's values apply
            for name in fields:
                if name not in row or name not in base:
                    continue
                file_value, mine = plain(row[name]), plain(current[name])
                if _same(file_value, base[name]):
                    if not _same(mine, file_value):
                        self.kept += 1
                    row[name] = current[name]  # the file did not change it: the team's value stays
                elif not _same(mine, base[name]) and not _same(mine, file_value):
                    row[name] = current[name]
                    self.conflict_count += 1
                    if len(self.conflicts) < CONFLICTS_SHOWN:
                        what = describe(row) if describe else f"{table.name} {rk}"
                        self.conflicts.append(f"{what} {name} (here {mine!r}, file {file_value!r})")
        # The audit needs the stored values of every row that may change, not only the merged ones.
        others = [tuple(row[n] for n in key) for rk, row in keyed if rk not in bases]
        if others:
            stored.update(fetch_existing(session, table, key, others, where))
        outcome = upsert(
            session,
            table,
            key,
            rows,
            compare=compare,
            where=where,
            prepare=prepare,
            insert_defaults=insert_defaults,
        )
        self._audit(session, table, key, fields, outcome, stored)
        # A field the file does not carry keeps its last imported value in the baseline.
        merged = {rk: {**bases.get(rk, {}), **values} for rk, values in imported.items()}
        changed = {rk: values for rk, values in merged.items() if bases.get(rk) != values}
        self._save(session, changed)
        return outcome

    def _audit(
        self,
        session: Session,
        table: Table,
        key: Sequence[str],
        fields: list[str],
        outcome: UpsertOutcome,
        stored: dict[tuple[Any, ...], dict[str, Any]],
    ) -> None:
        pk = next(iter(table.primary_key.columns)).name
        entries = []
        for row in outcome.updated:
            old = stored.get(tuple(row[n] for n in key))
            if old is None:
                continue
            changed = [n for n in fields if n in row and not _same(plain(row[n]), plain(old[n]))]
            if not changed:
                continue
            entity_id = (
                row.get(pk)
                if len(table.primary_key.columns) == 1
                else self.record_key(tuple(row[c.name] for c in table.primary_key.columns))
            )
            entries.append(
                audit.entry_row(
                    actor=self.actor,
                    now=self.now,
                    entity=table.name,
                    entity_id=entity_id,
                    action="import",
                    before={n: plain(old[n]) for n in changed},
                    after={n: plain(row[n]) for n in changed},
                )
            )
        if entries:
            bulk_insert(session, AUDIT, entries)

    def _save(self, session: Session, imported: dict[str, dict[str, Any]]) -> None:
        rows = [
            {"kind": self.kind, "record_key": rk, "values": json.dumps(values, sort_keys=True), "imported_at": self.now}
            for rk, values in imported.items()
        ]
        for start in range(0, len(rows), 2000):
            upsert(session, BASELINE, ("kind", "record_key"), rows[start : start + 2000], compare=("values",))


def _baselines(session: Session, kind: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), CHUNK):
        query = select(BASELINE.c.record_key, BASELINE.c["values"]).where(
            BASELINE.c.kind == kind, BASELINE.c.record_key.in_(keys[start : start + CHUNK])
        )
        found.update({rk: json.loads(values) for rk, values in session.execute(query)})
    return found
