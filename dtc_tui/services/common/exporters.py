"""``dtc-tui export KIND``: one table as CSV or JSON, streamed, in the shape the importers read back.

CSV: a header of column names, one row per record, UTF-8, ``,``-delimited. Empty cell = NULL.
Times are ISO 8601 in UTC (``2026-11-20T14:00:00+00:00``), booleans ``true``/``false``.

Formula injection: a *text* cell that begins with ``=``, ``+``, ``-``, ``@`` (or tab / carriage
return) is prefixed with ``'`` so a spreadsheet shows it as text instead of running it. Number
columns are never touched, so a negative amount stays a number (``-12.5``); only the column
type decides, not the look of the value (a SKU code ``-12`` is text and is guarded). A text
cell that itself begins with ``'`` gets one more, so the importer, which removes one leading
``'`` from text cells, gives back exactly what was exported.

JSON: ``{"format": "dtc-tui", "table": ..., "rows": [...]}`` with one row per line; values keep
their JSON types and are not guarded (JSON is not opened by spreadsheets).

Both formats strip terminal control characters from text: an export may be ``cat``-ed.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from sqlalchemy import Engine, select

from dtc_tui.errors import UserError
from dtc_tui.services.common.text import clean_text, neutralise_formula
from dtc_tui.services.importers import EXPORT_KINDS, TABLE_KINDS
from dtc_tui.services.importers.tables import kind_of, table

FORMATS = ("csv", "json")


class ExportError(UserError, ValueError):
    """An export that cannot be made as asked (unknown kind or format)."""


@dataclass(frozen=True)
class ExportResult:
    kind: str
    table: str
    format: str
    rows: int


def guard_cell(value: str) -> str:
    """A text cell made safe for spreadsheets, reversibly (see the module docstring)."""
    if value.startswith("'"):
        return "'" + value
    return neutralise_formula(value)


def _csv_cell(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "str":
        return guard_cell(clean_text(value))
    if kind == "bool":
        return "true" if value else "false"
    if kind in ("date", "datetime"):
        return value.isoformat()
    if kind == "float":
        return repr(float(value))
    return str(value)


def _json_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "str":
        return clean_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_table(engine: Engine, kind: str, out: IO[str], *, fmt: str = "csv", now: datetime) -> ExportResult:
    if kind not in TABLE_KINDS:
        raise ExportError(f"unknown export kind {kind!r}; choose one of {', '.join(EXPORT_KINDS)}")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose csv or json")
    tbl = table(TABLE_KINDS[kind])
    columns = list(tbl.columns)
    kinds = [kind_of(col) for col in columns]
    query = select(tbl).order_by(*tbl.primary_key.columns)
    count = 0
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=1000).execute(query)
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow([col.name for col in columns])
            for row in result:
                writer.writerow([_csv_cell(k, v) for k, v in zip(kinds, row, strict=True)])
                count += 1
        else:
            head = {"format": "dtc-tui", "version": 1, "table": tbl.name, "kind": kind, "exported_at": now.isoformat()}
            out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')
            for row in result:
                record = {col.name: _json_value(k, v) for col, k, v in zip(columns, kinds, row, strict=True)}
                out.write(("\n" if count == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
                count += 1
            out.write("\n]}\n")
    return ExportResult(kind=kind, table=tbl.name, format=fmt, rows=count)
