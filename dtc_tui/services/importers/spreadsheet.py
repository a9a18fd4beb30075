"""Spreadsheet downloads (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``: Freshdesk and TikTok hand these
out) read directly with python-calamine: the first sheet becomes a UTF-8 CSV the usual reader
streams, so header detection, line numbers and every check are the same as for a CSV.

Cells come back typed: a whole number stays whole (``25970``, not ``25970.0``), dates and
times become ISO 8601 (no day/month question), booleans ``true``/``false``.
"""

from __future__ import annotations

import csv
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from dtc_tui.i18n import _
from dtc_tui.services.importers.errors import ImportFailed, RowError

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})


def is_spreadsheet(path: Path) -> bool:
    return path.suffix.lower() in SPREADSHEET_SUFFIXES


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def to_csv(path: Path, name: str, folder: Path) -> Path:
    """The first sheet of ``path`` as ``folder/<stem>.csv``."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken or encrypted files
        raise ImportFailed(
            [RowError(name, 0, "file", _("cannot read this spreadsheet ({reason})").format(reason=exc))]
        ) from exc
    target = folder / f"{path.stem}.csv"
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow([cell_text(value) for value in row])
    return target


class SheetFolder:
    """Keeps the converted CSV alive as long as the source that reads it."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="dtc-import-")
        self.path = Path(self._dir.name)
