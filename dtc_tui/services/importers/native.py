"""This app's own CSV / JSON export, one table per file: what ``dtc-tui export KIND`` writes.

Rows are keyed on the table's primary key (ids are kept), so an export imports back into the
same database as "unchanged", and a set of exports imported in dependency order (channels
before campaigns, tickets before messages) rebuilds another database. References are checked
before writing (``ticket_id: no ticket with id 7``), and so are unique values held by another
row. Columns missing from the file are left alone on update and take their defaults on insert.

Text is cleaned of control characters like any import. A CSV cell the exporter protected
against formula injection (a leading ``'``) has that quote removed. A ticket's SLA summary is
recomputed with the current policies rather than trusted from the file.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Table, select, text
from sqlmodel import Session

from dtc_tui.i18n import N_, _
from dtc_tui.services.common.text import clean_text
from dtc_tui.services.importers.base import Importer, RowCheck
from dtc_tui.services.importers.columns import Columns, field
from dtc_tui.services.importers.errors import ImportFailed, RowError
from dtc_tui.services.importers.jsonstream import header_members
from dtc_tui.services.importers.tables import DERIVED, TABLE_AREAS, kind_of, table
from dtc_tui.services.importers.tickets import JsonRow, JsonSource, looks_like_json
from dtc_tui.services.importers.upsert import column_default, key_lookups, upsert

_BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False}


def table_importer(kind: str, table_name: str) -> type[Importer]:
    tbl = table(table_name)
    fields = tuple(field(col.name, col.name, required=_required(col)) for col in tbl.columns)
    # Derived columns (a ticket's SLA summary) are computed on import, never asked for.
    return type(
        f"{table_name.title().replace('_', '')}Import",
        (TableImporter,),
        {
            "kind": kind,
            "title": f"dtc-tui {table_name} export",
            "entity": table_name,
            "area": TABLE_AREAS.get(table_name, ""),
            "columns": Columns(fields),
            "table_name": table_name,
            "tables": (table_name,),
        },
    )


def _required(col: Column) -> bool:
    derived = DERIVED.get(col.table.name, frozenset())
    return bool(col.primary_key) or (
        not col.nullable
        and column_default(col.table, col.name) is None
        and col.name != "version"
        and col.name not in derived
    )


class TableImporter(Importer):
    table_name = ""

    @property
    def tbl(self) -> Table:
        return table(self.table_name)

    def open(self, path: Path, name: str) -> Any:
        if looks_like_json(path):
            members = header_members(path, name)
            found = members.get("table")
            if found is not None and found != self.table_name:
                raise ImportFailed(
                    [
                        RowError(
                            name,
                            1,
                            "table",
                            _("this file holds the {found!r} table, not {expected!r}").format(
                                found=found, expected=self.table_name
                            ),
                        )
                    ]
                )
            self.from_json = True
            return JsonSource(path, name, {col.name: (col.name,) for col in self.tbl.columns})
        self.from_json = False
        source = super().open(path, name)
        if self.table_name == "store_daily" and not source.header.has("revenue"):
            # Shopify's "Sales over time" report matches Day and Orders: its revenue would be read as 0.
            raise ImportFailed(
                [
                    RowError(
                        name,
                        source.header.line,
                        "header",
                        "no 'revenue' column; for Shopify's Sales over time "
                        "report (Day, Orders, ..., Total sales) use the kind 'shopify-sales'",
                    )
                ]
            )
        return source

    def _present(self) -> list[Column]:
        if self.from_json:
            return list(self.tbl.columns)
        header = self.source.header
        return [col for col in self.tbl.columns if header.has(col.name)]

    def begin(self, source: Any, *, writing: bool) -> None:
        super().begin(source, writing=writing)
        self.present = self._present()
        self.pk = [col.name for col in self.tbl.primary_key.columns]

    def parse(self, row: Any, check: RowCheck) -> dict[str, Any] | None:
        if isinstance(row, JsonRow) and not isinstance(row.obj, dict):
            check.problems.append(("record", "not a JSON object"))
            return None
        record: dict[str, Any] = {}
        derived = DERIVED.get(self.table_name, frozenset())
        for col in self.present:
            if col.name in derived:
                continue  # computed on write (the SLA summary), whatever the file says
            if isinstance(row, JsonRow):
                if col.name not in row.obj:
                    if col.primary_key or _required(col):
                        check.problem(col.name, _("missing; a value is required"))
                    continue
                value = self._from_json(check, col, row.obj[col.name])
            else:
                value = self._from_text(check, col, row.get(col.name))
            if value is None and not col.nullable and not col.primary_key:
                default = column_default(self.tbl, col.name)
                if default is None and kind_of(col) != "str":
                    check.problem(col.name, _("empty; a value is required"))
                    continue
                value = default if default is not None else ""
            record[col.name] = value
        pk_missing = any(record.get(name) is None for name in self.pk)
        if pk_missing and not any(column in self.pk for column, _ in check.problems):
            check.problem(self.pk[0], _("empty; a value is required"))
        if self.table_name == "ticket" and "status" in record and "is_open" not in record:
            record["is_open"] = record["status"] not in ("solved", "closed")  # derived when the file leaves it out
        if self.table_name in SLA_CHECKS:
            for name, message in SLA_CHECKS[self.table_name](record):
                check.problem(name, message)
        return record

    def _from_text(self, check: RowCheck, col: Column, raw: str) -> Any:
        kind = kind_of(col)
        if kind == "str":
            value = raw[1:] if raw.startswith("'") else raw  # undo the exporter's formula guard
            if value == "" and col.nullable:
                return None
            return self._text(check, col, value)
        value = raw.strip()
        if value == "":
            return None
        try:
            if kind == "int":
                return int(value)
            if kind == "float":
                return float(value)
            if kind == "bool":
                return _BOOL_TEXT[value.lower()]
            if kind == "date":
                return date.fromisoformat(value)
            return _utc(datetime.fromisoformat(value), self.tz)
        except (ValueError, KeyError):
            check.problem(col.name, _(_NOT_A[kind]).format(value=value))
            return None

    def _from_json(self, check: RowCheck, col: Column, raw: Any) -> Any:
        if raw is None:
            return None
        kind = kind_of(col)
        ok = {
            "str": isinstance(raw, str),
            "int": isinstance(raw, int) and not isinstance(raw, bool),
            "float": isinstance(raw, int | float) and not isinstance(raw, bool),
            "bool": isinstance(raw, bool),
            "date": isinstance(raw, str),
            "datetime": isinstance(raw, str),
        }[kind]
        if not ok:
            check.problem(col.name, _(_NOT_A[kind]).format(value=raw))
            return None
        if kind == "str":
            return self._text(check, col, raw)
        if kind in ("date", "datetime"):
            return self._from_text(check, col, raw)
        return float(raw) if kind == "float" else raw

    def _text(self, check: RowCheck, col: Column, value: str) -> str:
        cleaned = clean_text(value)
        limit = getattr(col.type, "length", None)
        if limit and len(cleaned) > limit:
            check.problem(col.name, _("longer than {limit} characters").format(limit=limit))
        return cleaned

    def key(self, record: dict[str, Any]) -> Hashable | None:
        return tuple(record.get(name) for name in self.pk)

    def describe_key(self, key: Any) -> str:
        return f"{self.table_name} {', '.join(str(part) for part in key)}"

    # --- checks against the database ---------------------------------------------------------

    def check_batch(
        self, session: Session, items: list[tuple[int, dict[str, Any]]]
    ) -> dict[int, list[tuple[str, str]]]:
        problems: dict[int, list[tuple[str, str]]] = {}
        for col in self.present:
            for foreign in col.foreign_keys:
                target = foreign.column
                values = {record[col.name] for _line, record in items if record.get(col.name) is not None}
                if not values:
                    continue
                found = set(session.execute(select(target).where(target.in_(list(values)))).scalars())
                for line, record in items:
                    value = record.get(col.name)
                    if value is not None and value not in found:
                        problems.setdefault(line, []).append(
                            (col.name, f"no {target.table.name} with {target.name} {value!r}")
                        )
        for names in self._unique_sets():
            self._check_unique(session, names, items, problems)
        return problems

    def _unique_sets(self) -> list[tuple[str, ...]]:
        present = {col.name for col in self.present}
        sets = [(col.name,) for col in self.tbl.columns if col.unique and not col.primary_key]
        for constraint in self.tbl.constraints:
            names = tuple(col.name for col in getattr(constraint, "columns", []))
            if constraint.__class__.__name__ == "UniqueConstraint" and names:
                sets.append(names)
        return [names for names in dict.fromkeys(sets) if set(names) <= present]

    def _check_unique(
        self,
        session: Session,
        names: tuple[str, ...],
        items: list[tuple[int, dict[str, Any]]],
        problems: dict[int, list[tuple[str, str]]],
    ) -> None:
        wanted = {
            tuple(record[n] for n in names): record
            for _line, record in items
            if all(record.get(n) is not None for n in names)
        }
        if not wanted:
            return
        cols = [self.tbl.c[n] for n in names]
        pk_cols = [self.tbl.c[n] for n in self.pk]
        owners: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for conditions in key_lookups(session, self.tbl, names, list(wanted)):
            for row in session.execute(select(*pk_cols, *cols).where(*conditions)):
                owners[tuple(row[len(pk_cols) :])] = tuple(row[: len(pk_cols)])
        for line, record in items:
            value = tuple(record.get(n) for n in names)
            owner = owners.get(value)
            if owner is not None and owner != tuple(record[n] for n in self.pk):
                shown = ", ".join(str(v) for v in value)
                problems.setdefault(line, []).append(
                    ("+".join(names), f"{shown!r} already belongs to {self.table_name} {', '.join(map(str, owner))}")
                )

    # --- writing ---------------------------------------------------------------------------

    def prepare(self, session: Session) -> None:
        self.sla = None
        if self.table_name == "ticket":
            from dtc_tui.services.importers.ticket_writer import _BulkSla

            self.sla = _BulkSla(session)
            self.customer_tiers = dict(session.execute(text("SELECT id, tier FROM customer")).all())
            self.sla.tiers = self.customer_tiers

    def write(self, session: Session, batch: list[tuple[int, dict[str, Any]]]) -> None:
        derived = DERIVED.get(self.table_name, frozenset())
        compare = [
            col.name
            for col in self.present
            if col.name not in self.pk and col.name != "version" and col.name not in derived
        ]
        rows = [{k: v for k, v in record.items() if k not in derived} for _line, record in batch]
        options: dict[str, Any] = {
            "compare": compare,
            "prepare": self._apply_sla if self.sla is not None else None,
            "insert_defaults": {"version": 1} if "version" in self.tbl.c else None,
        }
        if self.table_name in NO_MERGE:
            outcome = upsert(session, self.tbl, self.pk, rows, **options)
        else:  # re-imports keep the team's edits (three-way merge per field, see ``merge``)
            outcome = self.baselines.upsert_merged(
                session, self.tbl, self.pk, rows, describe=lambda row: self.describe_key(self.key(row)), **options
            )
        self.inserted += len(outcome.inserted)
        self.updated += len(outcome.updated)
        self.unchanged += outcome.unchanged

    def _apply_sla(self, row: dict[str, Any], existing: dict[str, Any] | None) -> None:
        from dtc_tui.services.importers.ticket_writer import SlaView

        if existing is None:  # a new row: columns the file leaves out take their defaults first
            for name in ("priority", "category", "status", "paused_minutes"):
                if row.get(name) is None:
                    row[name] = column_default(self.tbl, name)
        view = SlaView(row)  # id None: breaches belong to sla_breach's own export
        self.sla.apply(view, self.now)  # type: ignore[union-attr, arg-type]
        for name in DERIVED["ticket"]:
            row[name] = getattr(view, name)

    def finish(self, session: Session) -> None:
        if (self.inserted or self.updated) and self.table_name in REAPPLY_AFTER:
            from dtc_tui.services.tickets.sla_admin import reapply

            reapply(session, self.now)  # open tickets follow the imported policies at once
        if self.inserted and session.get_bind().dialect.name == "postgresql" and self.pk == ["id"]:
            name = self.table_name
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {name}))"
                )
            )


def _calendar_checks(record: dict[str, Any]) -> list[tuple[str, str]]:
    from dtc_tui.services.tickets.sla_validation import calendar_problems

    return calendar_problems(record)


def _policy_checks(record: dict[str, Any]) -> list[tuple[str, str]]:
    from dtc_tui.services.tickets.sla_validation import policy_problems

    return policy_problems(record)


def _fx_checks(record: dict[str, Any]) -> list[tuple[str, str]]:
    """A rate converts amounts: codes Babel knows (ISO 4217, in capitals), a positive rate."""
    from babel.numbers import is_currency

    problems = []
    for name in ("base", "quote"):
        code = record.get(name)
        if code is not None and (code != code.upper() or not is_currency(code)):
            problems.append((name, f"{code!r} is not a currency code (ISO 4217 in capitals, e.g. USD, GBP)"))
    if record.get("base") and record.get("base") == record.get("quote"):
        problems.append(("quote", "the same currency as base"))
    rate = record.get("rate")
    if rate is not None and not rate > 0:
        problems.append(("rate", f"{rate!r}: a rate must be above 0 (1 base = rate quote)"))
    return problems


# Bookkeeping the merge itself writes, or that the team never edits: plain upserts.
NO_MERGE = frozenset({"import_baseline", "audit_log"})

# Tables whose import changes SLA due times: open tickets are re-applied in the same transaction.
REAPPLY_AFTER = frozenset({"sla_policy", "business_calendar", "holiday", "setting"})

# Rows that configure the SLA are checked by the same rules as the CLI and the settings screen.
SLA_CHECKS = {"business_calendar": _calendar_checks, "sla_policy": _policy_checks, "fx_rate": _fx_checks}

# "'x' is not an integer" per column type (translated with _() where a cell is refused).
_NOT_A = {
    "int": N_("{value!r} is not an integer"),
    "float": N_("{value!r} is not a number"),
    "bool": N_("{value!r} is not true/false"),
    "date": N_("{value!r} is not a date (YYYY-MM-DD)"),
    "datetime": N_("{value!r} is not a date and time (ISO 8601)"),
    "str": N_("{value!r} is not a text"),
}


def _utc(moment: datetime, tz: Any) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)
