"""Import problems, reported as ``file:line: column: problem`` (the shape editors and CI jump to)."""

from __future__ import annotations

from dataclasses import dataclass

from dtc_tui.errors import UserError
from dtc_tui.i18n import N_

# A 0-byte or blank file (only spaces, line ends, byte-order marks): said as such, never as an
# unknown header or a missing column.
EMPTY_FILE = N_("empty file (no header and no rows)")  # translated with _() where raised


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.problem}"


class ImportFailed(UserError):
    """The file cannot be imported at all: unreadable, empty, no header, required columns missing."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


class ValueProblem(ValueError):
    """A cell that does not parse; the message is the ``problem`` part of a RowError."""


class NoData(ImportFailed):
    """The export says it holds no data for its period (Meta's ``No data available.``)."""
