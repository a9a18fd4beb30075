"""Which kind a file is, from its header: ``dtc-tui import FILE`` without a kind.

Every third-party format and every table of this app's own export is scored on the header it
would find (how many columns it knows); a kind missing a required column is out. The best
score wins and is reported with the columns that decided it; a tie or no match is an error
that lists what to pass instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dtc_tui.i18n import _
from dtc_tui.services.importers import FORMAT_KINDS, IMPORT_KINDS, importer_class
from dtc_tui.services.importers.columns import normalise
from dtc_tui.services.importers.errors import ImportFailed, RowError
from dtc_tui.services.importers.jsonstream import header_members
from dtc_tui.services.importers.reader import EMPTY_FILE, CsvSource, is_empty
from dtc_tui.services.importers.spreadsheet import SheetFolder, is_spreadsheet, to_csv
from dtc_tui.services.importers.tickets import looks_like_json


@dataclass(frozen=True)
class Detected:
    kind: str
    reason: str


def detect_kind(path: Path, name: str | None = None) -> Detected:
    shown = name or str(path)
    if is_empty(path):
        raise ImportFailed([RowError(shown, 1, "file", _(EMPTY_FILE))])
    if looks_like_json(path):
        return _json_kind(path, shown)
    if is_spreadsheet(path):
        folder = SheetFolder()  # convert once, not once per kind tried
        path = to_csv(path, shown, folder.path)
        if is_empty(path):
            raise ImportFailed(
                [RowError(shown, 1, "file", _("{empty}: its first sheet has no cells").format(empty=_(EMPTY_FILE)))]
            )
    scores: list[tuple[int, int, int, str]] = []
    for kind in IMPORT_KINDS:
        columns = importer_class(kind).columns
        try:
            header = CsvSource(path, columns, name=shown).header
        except ImportFailed:
            continue  # no header, or a required column missing: not this kind
        if kind not in FORMAT_KINDS and (header.unknown or 2 * len(header.index) < len(columns.fields)):
            continue  # this app's own export names every cell after a column of its table
        # On a tie, the kind whose own spelling the header uses ("Created at" is Zendesk's
        # first name for it, "Created time" Freshdesk's), then a tool's format over a table.
        own = sum(
            1
            for spec in columns.fields
            if header.has(spec.name) and normalise(header.cells[header.index[spec.name]]) == spec.aliases[0]
        )
        scores.append((len(header.index), own, 1 if kind in FORMAT_KINDS else 0, kind))
    if not scores:
        raise ImportFailed([RowError(shown, 1, "header", _("no import kind knows this header; name the kind"))])
    scores.sort(reverse=True)
    best = scores[0]
    if len(scores) > 1 and scores[1][:3] == best[:3]:
        raise ImportFailed(
            [
                RowError(
                    shown,
                    1,
                    "header",
                    _("the header fits both {one} and {other}; name the kind").format(one=best[3], other=scores[1][3]),
                )
            ]
        )
    return Detected(best[3], _("detected from the header ({count} known columns)").format(count=best[0]))


def _json_kind(path: Path, shown: str) -> Detected:
    from dtc_tui.services.importers import TABLE_KINDS

    table = header_members(path, shown).get("table")
    for kind, name in TABLE_KINDS.items():
        if name == table:
            return Detected(kind, _("a dtc-tui export of the {table} table").format(table=table))
    return Detected("zendesk", _("JSON records without a dtc-tui table name: Zendesk tickets API"))
