"""Streaming a CSV export row by row: encoding, BOM, delimiter, preamble lines, header.

Nothing here holds more than one row (plus a 64 KB sample read once to find the header):
a file of any size streams. Encoding: UTF-8 with or without BOM, UTF-16 with BOM (Excel's
"Unicode text"). The delimiter (``,`` ``;`` tab ``|``) and the header row are chosen together:
the row among the first lines that names the most known columns wins, so report titles and
date-range lines above the header (Google Ads) are kept aside as the preamble.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from dtc_tui.i18n import _
from dtc_tui.services.importers.columns import Columns, Header
from dtc_tui.services.importers.errors import EMPTY_FILE, ImportFailed, NoData, RowError
from dtc_tui.services.importers.spreadsheet import SheetFolder, is_spreadsheet, to_csv

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
HEADER_SEARCH_LINES = 10

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long HTML bodies in product exports


class Row:
    """One data row: its first physical line in the file and its cells."""

    __slots__ = ("cells", "header", "index", "line")

    def __init__(self, line: int, cells: list[str], header: Header) -> None:
        self.line = line
        self.cells = cells
        self.header = header
        self.index = header.index

    def get(self, name: str) -> str:
        index = self.index.get(name)
        try:
            return "" if index is None else self.cells[index]
        except IndexError:  # a short row: refused in the pipeline (``short``) before any field is read
            return ""

    @property
    def short(self) -> str:
        """Why a row cut short is refused: missing trailing cells are not given, never "empty"
        (an empty stock, price or time zone would overwrite what is stored)."""
        have, want = len(self.cells), len(self.header.cells)
        if have >= want:
            return ""
        return f"{have} cells where the header has {want}: the row is cut short (missing cells are not read as empty)"

    def has(self, name: str) -> bool:
        return name in self.header.index

    def label(self, name: str) -> str:
        return self.header.label(name)

    def raw(self) -> list[str]:
        return self.cells


_BLANK = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"


def is_empty(path: Path) -> bool:
    """0 bytes, or only blanks and byte-order marks: no header to read (said as such, not as an
    unknown header)."""
    with open(path, "rb") as handle:
        return not handle.read(SAMPLE_BYTES).strip(_BLANK) and path.stat().st_size <= SAMPLE_BYTES


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"  # utf-8-sig also reads plain UTF-8


class CsvSource:
    """A CSV file opened for importing; ``rows()`` may be called once per pass."""

    def __init__(self, path: Path, columns: Columns, *, name: str) -> None:
        if is_spreadsheet(path):
            self._sheet = SheetFolder()  # the first sheet as CSV, removed with this source
            path = to_csv(path, name, self._sheet.path)
        self.path = path
        self.name = name
        self.columns = columns
        self.size = path.stat().st_size
        self.position = 0
        self.encoding = "utf-8-sig"
        self.delimiter = ","
        self.preamble: list[list[str]] = []
        self.header = Header(line=1, cells=[])
        self._header_end = 1
        self._inspect()

    @property
    def decimal_comma(self) -> bool:
        """Semicolon-delimited files come from locales that write 12,50."""
        return self.delimiter == ";"

    def _fail(self, line: int, column: str, problem: str) -> ImportFailed:
        return ImportFailed([RowError(self.name, line, column, problem)])

    def _inspect(self) -> None:
        with open(self.path, "rb") as handle:
            raw = handle.read(SAMPLE_BYTES)
        if not raw.strip(_BLANK):
            raise self._fail(1, "file", _(EMPTY_FILE))
        self.encoding = detect_encoding(raw[:4])
        try:
            sample = codecs.getincrementaldecoder(self.encoding)().decode(raw, final=len(raw) < SAMPLE_BYTES)
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            problem = _("not UTF-8 text (byte 0x{byte}); save it as UTF-8 CSV").format(byte=f"{raw[exc.start]:02x}")
            raise self._fail(line, "file", problem) from exc
        best: tuple[int, int, int, int, int, list[str], list[list[str]]] | None = None
        for order, delimiter in enumerate(DELIMITERS):
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            previous: list[list[str]] = []
            last_line = 0
            for _line in range(HEADER_SEARCH_LINES):
                try:
                    cells = next(reader)
                except (StopIteration, csv.Error):
                    break
                start, last_line = last_line + 1, reader.line_num
                score = self.columns.score(cells)
                rank = (score, len(cells), -order)
                if score and (best is None or rank > best[:3]):
                    best = (score, len(cells), -order, start, last_line, cells, list(previous))
                previous.append(cells)
        if best is None and "no data available" in sample.lower():
            raise NoData(
                [RowError(self.name, 1, "file", _("no data in this export (the platform wrote 'No data available.')"))]
            )
        if best is None:
            examples = ", ".join(f.shown for f in self.columns.fields if f.required) or "the export's own header"
            raise self._fail(
                1,
                "header",
                _("no header row found in the first {count} lines; expected columns such as {examples}").format(
                    count=HEADER_SEARCH_LINES, examples=examples
                ),
            )
        _score, _cells, negative_order, start, end, cells, preamble = best
        self.delimiter = DELIMITERS[-negative_order]
        self.header = self.columns.match(cells, start)
        self._header_end = end
        self.preamble = preamble
        if self.header.missing:
            raise ImportFailed(
                [
                    RowError(
                        self.name,
                        start,
                        "header",
                        _("missing column {column!r} (accepted names, any case: {names})").format(
                            column=spec.shown, names=self.columns.accepted_names(spec)
                        ),
                    )
                    for spec in self.header.missing
                ]
            )

    def rows(self) -> Iterator[Row]:
        header = self.header
        with open(self.path, encoding=self.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            last = 0
            try:
                while last < self._header_end:
                    next(reader)
                    last = reader.line_num
                for cells in reader:
                    start, last = last + 1, reader.line_num
                    if not "".join(cells).strip():  # no cells, or only blank ones (one C call)
                        continue
                    self.position = cast(io.BufferedReader, handle.buffer).tell()  # open() in text mode reads a file
                    yield Row(start, cells, header)
            except UnicodeDecodeError as exc:
                raise self._fail(
                    last + 1,
                    "file",
                    _("not UTF-8 text near this line ({reason}); save it as UTF-8 CSV").format(reason=exc.reason),
                ) from exc
            except csv.Error as exc:
                raise self._fail(last + 1, "file", _("broken CSV: {reason}").format(reason=exc)) from exc
        self.position = self.size
