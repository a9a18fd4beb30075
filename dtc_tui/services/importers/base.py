"""What every importer shares: the row checker, the importer base class and the summary.

An importer turns a row into a record (a dict) in ``parse`` without touching the database,
names the record's natural key in ``key`` (duplicates inside the file are caught with it), may
check a batch of records against the database in ``check_batch`` (references), and writes
batches in ``write`` / ``finish``. ``pipeline.run_import`` drives the two passes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any, ClassVar, Protocol

from sqlmodel import Session

from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.common.text import clean_text, one_line
from dtc_tui.services.importers.columns import Columns, Header
from dtc_tui.services.importers.errors import RowError, ValueProblem
from dtc_tui.services.importers.reader import CsvSource
from dtc_tui.services.importers.values import parse_bool, parse_date, parse_int, parse_local_datetime, parse_number

MAX_LINES_SHOWN = 10
ERROR_LINES_SHOWN = 5
_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|\d+(?:[.,:]\d+)*")


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


# What an importer writes, as the summary names it ("tickets: 8 inserted"); a table of this
# app's own export is named as the table ("ticket_message") and not translated.
ENTITY_PLURALS: dict[str, str] = {
    "row": N_("rows"),
    "ticket": N_("tickets"),
    "sku": N_("skus"),
    "stock record": N_("stock records"),
    "order line": N_("order lines"),
    "store day": N_("store days"),
    "ad stat day": N_("ad stat days"),
}


def created_count(name: str, count: int) -> str:
    """``3 customers`` / ``3 个客户``: a record an import created on the way."""
    shown = number_text(count)
    forms = {
        "order": ngettext("{count} order", "{count} orders", count),
        "customer": ngettext("{count} customer", "{count} customers", count),
        "sku": ngettext("{count} sku", "{count} skus", count),
        "channel": ngettext("{count} channel", "{count} channels", count),
        "campaign": ngettext("{count} campaign", "{count} campaigns", count),
        "warehouse": ngettext("{count} warehouse", "{count} warehouses", count),
    }
    form = forms.get(name)
    return form.format(count=shown) if form is not None else plural(count, name)


def number_text(value: float | int, decimals: int = 0) -> str:
    from dtc_tui.services.common.localefmt import number

    return number(value, decimals)


class RowLike(Protocol):
    line: int

    def get(self, name: str) -> str: ...
    def has(self, name: str) -> bool: ...
    def label(self, name: str) -> str: ...


class Source(Protocol):
    name: str
    size: int
    position: int

    @property
    def decimal_comma(self) -> bool: ...

    def rows(self) -> Iterator[Any]: ...


class RowCheck:
    """Reads typed values from one row and collects every problem (not only the first)."""

    __slots__ = ("decimal_comma", "naive", "orders", "problems", "row", "tz")

    def __init__(
        self, row: RowLike, tz: tzinfo, decimal_comma: bool = False, orders: dict[str, str] | None = None
    ) -> None:
        self.row = row
        self.tz = tz
        self.decimal_comma = decimal_comma
        self.orders = orders or {}  # field -> "dmy" / "mdy", decided once per file (dateorder)
        self.naive = False  # a time without an offset was read in ``tz``
        self.problems: list[tuple[str, str]] = []

    def problem(self, name: str, message: str) -> None:
        self.problems.append((self.row.label(name), message))

    def raw(self, name: str) -> str:
        return self.row.get(name).strip()

    def text(
        self,
        name: str,
        *,
        required: bool = False,
        limit: int | None = None,
        max_length: int | None = None,
        multiline: bool = False,
    ) -> str:
        """Untrusted text, control characters removed; ``limit`` shortens, ``max_length`` refuses."""
        value = self.row.get(name)
        if value.isprintable():  # no control characters, tabs or line breaks: nothing to clean
            cleaned = value.strip()
        else:
            cleaned = clean_text(value).strip() if multiline else one_line(value)
        if required and not cleaned:
            self.problem(name, _("empty; a value is required"))
        if max_length is not None and len(cleaned) > max_length:
            self.problem(name, _("longer than {limit} characters").format(limit=max_length))
        if limit is not None and len(cleaned) > limit:
            cleaned = one_line(cleaned, limit) if not multiline else cleaned[:limit]
        return cleaned

    def _typed(self, name: str, parser: Any, required: bool, *args: Any, **kwargs: Any) -> Any:
        value = self.row.get(name)
        try:
            result = parser(value, *args, **kwargs)
        except ValueProblem as exc:
            self.problem(name, str(exc))
            return None
        if result is None and required:
            self.problem(name, _("empty; a value is required"))
        return result

    def number(self, name: str, *, required: bool = False) -> float | None:
        try:  # the common cell, a plain finite number: one C call (what parse_number tries first too)
            number = float(self.row.get(name))
        except ValueError:
            return self._typed(name, parse_number, required, decimal_comma=self.decimal_comma)
        return (
            number
            if math.isfinite(number)
            else self._typed(name, parse_number, required, decimal_comma=self.decimal_comma)
        )

    def integer(self, name: str, *, required: bool = False) -> int | None:
        try:  # the common cell, plain digits: one C call; int() takes no cell parse_int would refuse
            return int(self.row.get(name))
        except ValueError:
            return self._typed(name, parse_int, required, decimal_comma=self.decimal_comma)

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        return self._typed(name, parse_bool, required)

    def day(self, name: str, *, required: bool = False) -> date | None:
        return self._typed(name, parse_date, required, self.orders.get(name))

    def moment(self, name: str, *, required: bool = False) -> datetime | None:
        try:  # the common case, ISO 8601 as written by help desks: one C call (parse_local_datetime tries it first too)
            moment = datetime.fromisoformat(self.row.get(name))
        except ValueError:
            moment = self._typed(name, parse_local_datetime, required, self.orders.get(name))
            if moment is None:
                return None
        if moment.tzinfo is None:
            self.naive = True
            moment = moment.replace(tzinfo=self.tz)
        return moment.astimezone(UTC)


@dataclass
class ImportSummary:
    kind: str
    file: str
    entity: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    ignored: int = 0
    created: dict[str, int] = field(default_factory=dict)
    ignored_reasons: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what was derived or assumed, said once
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    rejects_file: str | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """Errors and no rejects file: nothing was written."""
        return bool(self.errors) and not self.written and not self.rejects_file

    def counts(self) -> dict[str, int]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "ignored": self.ignored,
        }

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [str(error) for error in self.errors]
        return data

    def lines(self, *, timing: bool = True) -> list[str]:
        """The closing summary, as plain lines (CLI and in-app dialog), in the active language."""
        n = number_text
        took = _(" in {seconds} s").format(seconds=n(self.seconds, 2)) if timing else ""
        entity = _(ENTITY_PLURALS.get(self.entity, self.entity + "s"))
        counts = {
            "entities": entity,
            "inserted": n(self.inserted),
            "updated": n(self.updated),
            "unchanged": n(self.unchanged),
            "rejected": n(self.rejected),
            "ignored": n(self.ignored),
        }
        out = [
            ngettext(
                "{file} ({kind}): {count} row read{took}", "{file} ({kind}): {count} rows read{took}", self.rows
            ).format(file=self.file, kind=self.kind, count=n(self.rows), took=took),
            "  "
            + (
                _(
                    "{entities}: {inserted} would be inserted, {updated} would be updated, {unchanged} unchanged; "
                    "rows rejected: {rejected}, ignored: {ignored}"
                )
                if self.dry_run
                else _(
                    "{entities}: {inserted} inserted, {updated} updated, {unchanged} unchanged; "
                    "rows rejected: {rejected}, ignored: {ignored}"
                )
            ).format(**counts),
        ]
        out.extend("  " + _("note: {note}").format(note=note) for note in self.notes)
        if self.ignored_reasons:
            out.append(
                "  "
                + _("ignored: {reasons}").format(
                    reasons="; ".join(
                        _("{reason}: {count}").format(reason=_(reason), count=n(count))
                        for reason, count in self.ignored_reasons.items()
                    )
                )
            )
        if self.created:
            out.append(
                "  "
                + _("created: {what}").format(
                    what=", ".join(created_count(name, count) for name, count in self.created.items())
                )
            )
        out.extend("  " + _("warning: {warning}").format(warning=warning) for warning in self.warnings)
        if self.rejects_file and self.rejected:
            out.append("  " + _("rejected rows written to {file}").format(file=self.rejects_file))
        if self.rows == 0 and not self.notes:
            out.append("  " + _("the file holds no data rows"))
        if self.dry_run and not self.failed:
            out.append("  " + _("dry run: nothing was written"))
        elif self.failed:
            count = len(self.errors)
            out.append(
                "  "
                + ngettext(
                    "{count} problem: nothing was written", "{count} problems: nothing was written", count
                ).format(count=n(count))
            )
        elif self.written:
            out.append("  " + _("written in one transaction"))
        return out


def grouped_errors(errors: list[RowError], shown: int = ERROR_LINES_SHOWN) -> list[str]:
    """One line per cause (column + problem with its values left out): count and first lines."""
    groups: dict[tuple[str, str, str, int], list[RowError]] = {}
    seen: set[tuple[str, int, str, str]] = set()
    on_line: Counter[tuple[str, str, str, int]] = Counter()
    for error in errors:
        key = (error.file, error.line, error.column, error.problem)
        if key in seen:  # the same problem on the same line said twice (e.g. a header checked per pass)
            continue
        seen.add(key)
        cause = (error.file, error.column, _VARYING.sub("…", error.problem))
        # A group folds rows: a second problem of this cause on a line already in the group (five
        # missing columns, all on the header line) is a group of its own, so each one is named.
        nth = on_line[(*cause, error.line)]
        on_line[(*cause, error.line)] += 1
        groups.setdefault((*cause, nth), []).append(error)
    out = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            out.append(str(first))
            continue
        lines = ", ".join(str(error.line) for error in group[:shown])
        where = (
            _("{count} rows: lines {lines} and {more} more").format(
                count=number_text(len(group)), lines=lines, more=number_text(len(group) - shown)
            )
            if len(group) > shown
            else _("{count} rows: lines {lines}").format(count=number_text(len(group)), lines=lines)
        )
        out.append(f"{first.file}: {first.column}: {first.problem} ({where})")
    return out


class Importer:
    """Base class; subclasses set the class attributes and implement ``parse`` and ``write``."""

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""
    entity: ClassVar[str] = "row"
    area: ClassVar[str] = ""
    columns: ClassVar[Columns] = Columns(())
    tables: ClassVar[tuple[str, ...]] = ()  # tables written, analysed after a big import on PostgreSQL

    def __init__(self, *, tz: tzinfo, now: datetime, actor: str) -> None:
        self.tz = tz
        self.now = now
        self.actor = actor
        self.writing = False
        self.inserted = self.updated = self.unchanged = 0
        self.touched = 0  # related records updated (a campaign's status...): counts as a change
        self.created: Counter[str] = Counter()
        self.ignored_reasons: Counter[str] = Counter()
        self._warnings: dict[str, list[Any]] = {}
        self.notes: dict[str, None] = {}
        self.source: Any = None
        self.mappings: dict[str, dict[str, str]] = {}  # --map field:"file value"=value
        self.date_orders: dict[str, str] = {}
        self.tz_given = True
        self.naive_times = 0  # rows with a time written without an offset

    # --- reading ---------------------------------------------------------------------------

    def open(self, path: Path, name: str) -> CsvSource:
        return CsvSource(path, self.columns, name=name)

    def begin(self, source: Any, *, writing: bool) -> None:
        """Called before each pass; reset any state carried from row to row."""
        self.source = source
        self.writing = writing
        self._field_merge: Any = None  # a write pass worked out again starts its merge afresh

    @property
    def baselines(self) -> Any:
        """The run's three-way merge (``merge.Baselines``): re-imports keep the team's edits."""
        if getattr(self, "_field_merge", None) is None:
            from dtc_tui.services.importers.merge import Baselines

            self._field_merge = Baselines(self.kind, actor=self.actor, now=self.now)
        return self._field_merge

    def parse(self, row: Any, check: RowCheck) -> dict[str, Any] | None:
        raise NotImplementedError

    def key(self, record: dict[str, Any]) -> Hashable | None:
        return None

    def describe_key(self, key: Hashable) -> str:
        return str(key)

    def repeated(self, line: int, first_line: int) -> None:
        """A row identical in every value to an earlier one: counted once, reported."""
        self.ignore(N_("repeated rows (identical to an earlier row)"))

    def merge_duplicate(self, line: int, first_line: int, key: Hashable) -> bool:
        """A second row with the key of ``first_line`` and other values: True keeps the first (a
        warning says so), False refuses the row as a duplicate."""
        return False

    def note_lines(self) -> list[str]:
        return list(self.notes)

    def check_batch(
        self, session: Session, items: list[tuple[int, dict[str, Any]]]
    ) -> dict[int, list[tuple[str, str]]]:
        """Checks against the database (references); returns problems by line."""
        return {}

    # --- writing ---------------------------------------------------------------------------

    def prepare(self, session: Session) -> None:
        """Start of the write pass: load lookups once."""

    def write(self, session: Session, batch: list[tuple[int, dict[str, Any]]]) -> None:
        raise NotImplementedError

    def finish(self, session: Session) -> None:
        """End of the write pass (importers that aggregate write here)."""

    # --- reporting -------------------------------------------------------------------------

    def ignore(self, reason: str) -> None:
        """A row that carries nothing this app stores (image rows, totals...)."""
        if not self.writing:
            self.ignored_reasons[reason] += 1

    def note(self, message: str) -> None:
        """A line for the summary about the whole file: what was derived, summed or assumed."""
        self.notes.setdefault(message, None)

    def warn(self, message: str, *, line: int | None = None) -> None:
        """A warning; the same message on many rows is reported once with its lines."""
        if self.writing and line is not None:
            return  # row warnings are collected in the checking pass only
        if line is None and message in self._warnings:
            return  # a file-level warning is reported once
        entry = self._warnings.setdefault(message, [0, []])
        entry[0] += 1
        if line is not None and len(entry[1]) < MAX_LINES_SHOWN:
            entry[1].append(line)

    def warning_lines(self) -> list[str]:
        lines = []
        merge = getattr(self, "_field_merge", None)
        conflicts = merge.warning() if merge is not None else None
        if conflicts and conflicts not in self._warnings:
            lines.append(conflicts)
        for message, (count, where) in self._warnings.items():
            if not where:
                lines.append(message)
                continue
            shown = ", ".join(str(line) for line in where)
            if count > len(where):
                at = _("lines {lines} and {more} more").format(lines=shown, more=number_text(count - len(where)))
            else:
                at = ngettext("line {lines}", "lines {lines}", count).format(lines=shown)
            lines.append(_("{message} ({where})").format(message=message, where=at))
        return lines

    @property
    def warning_count(self) -> int:
        return sum(count for count, _lines in self._warnings.values())

    @property
    def header(self) -> Header | None:
        return getattr(self.source, "header", None)
