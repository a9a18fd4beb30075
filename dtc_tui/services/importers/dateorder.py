"""Day-first or month-first: decided once per date column of a file, from all its values.

``28/01/2025`` proves its column day-first, ``01/28/2025`` month-first. A column that proves
neither takes the order another column of the same file proves (one spreadsheet saved them
all), else the ``--date-order`` the user gave; else the file is refused with one line, never
read cell by cell (which swapped day and month on ``01/02/2025`` but not on ``28/01/2025``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dtc_tui.i18n import _
from dtc_tui.services.importers.errors import ImportFailed, RowError
from dtc_tui.services.importers.values import slash_parts

ORDERS = ("dmy", "mdy")


@dataclass
class _Evidence:
    label: str
    first_line: int = 0
    example: str = ""
    proof: dict[str, tuple[int, str]] | None = None  # order -> (line, value) that proves it
    ambiguous: bool = False


def decide(source: Any, given: str | None) -> dict[str, str]:
    """field -> "dmy" / "mdy" for every column holding slash dates; raises ``ImportFailed``."""
    header = getattr(source, "header", None)
    if header is None or not header.index:
        return {}
    positions = sorted(header.index.items(), key=lambda item: item[1])
    found: dict[str, _Evidence] = {}
    for row in source.rows():
        cells = row.cells
        if "/" not in "\x00".join(cells):  # most rows hold no slash at all: one C-level scan
            continue
        for name, position in positions:
            if position >= len(cells):
                continue
            cell = cells[position]
            if "/" not in cell:
                continue
            parts = slash_parts(cell)
            if parts is None:
                continue
            evidence = found.get(name)
            if evidence is None:
                evidence = found[name] = _Evidence(header.label(name), row.line, cell.strip(), {})
            first, second = parts
            order = "dmy" if first > 12 else "mdy" if second > 12 else None
            if order is None:
                evidence.ambiguous = evidence.ambiguous or first != second
            else:
                evidence.proof.setdefault(order, (row.line, cell.strip()))  # type: ignore[union-attr]
    source.position = 0
    return _orders(source.name, found, given)


def _orders(file: str, found: dict[str, _Evidence], given: str | None) -> dict[str, str]:
    errors: list[RowError] = []
    proven: dict[str, tuple[str, int, str]] = {}
    for evidence in found.values():
        proof = evidence.proof or {}
        if len(proof) > 1:
            (_first, (line_a, a)), (_second, (line_b, b)) = sorted(proof.items())
            errors.append(
                RowError(
                    file,
                    line_b,
                    evidence.label,
                    _("{a!r} (line {line}) is day-first and {b!r} is month-first: one column, two date orders").format(
                        a=a, line=line_a, b=b
                    ),
                )
            )
        for proven_order, (line, value) in proof.items():
            proven.setdefault(proven_order, (evidence.label, line, value))
    if len(proven) > 1 and not errors:
        (_first, (label_a, line_a, a)), (_second, (label_b, line_b, b)) = sorted(proven.items())
        errors.append(
            RowError(
                file,
                line_b,
                label_b,
                _("{b!r} is month-first, {column!r} has {a!r} (line {line}), day-first: two date orders").format(
                    b=b, column=label_a, a=a, line=line_a
                ),
            )
        )
    file_order = next(iter(proven)) if len(proven) == 1 else None
    if given and file_order and given != file_order:
        label, line, value = proven[file_order]
        errors.append(
            RowError(
                file,
                line,
                label,
                _("{value!r} cannot be read with --date-order {order}").format(value=value, order=given),
            )
        )
    if errors:
        raise ImportFailed(errors)
    orders: dict[str, str] = {}
    for name, evidence in found.items():
        proof = evidence.proof or {}
        order = next(iter(proof), None) or file_order or given
        if order is None and evidence.ambiguous:
            raise ImportFailed(
                [
                    RowError(
                        file,
                        evidence.first_line,
                        evidence.label,
                        _(
                            "dates such as {example!r} can be day-first or month-first and no value in the file "
                            "decides; re-run with --date-order dmy (day first) or --date-order mdy (month first)"
                        ).format(example=evidence.example),
                    )
                ]
            )
        orders[name] = order or "mdy"  # only values such as 05/05/2025: either order reads the same
    return orders
