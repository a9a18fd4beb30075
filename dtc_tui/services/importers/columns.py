"""Column matching through an alias map, case- and space-insensitive.

A field lists the header names it accepts, in order of preference: the first alias present in
the file wins (e.g. ``Link clicks`` before ``Clicks (all)``). An alias may be a regular
expression whose named groups are captured from the header (``Amount spent (GBP)`` gives the
currency). Headers are compared after lower-casing, folding runs of spaces, dropping a BOM and
Shopify's `` (not editable)`` suffix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field

_SPACES = re.compile(r"\s+")
_SUFFIXES = (" (not editable)",)


def normalise(name: str) -> str:
    text = _SPACES.sub(" ", name.replace("\ufeff", "").strip().lower())
    for suffix in _SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)].rstrip()
    return text


@dataclass(frozen=True)
class Field:
    name: str
    aliases: tuple[str | re.Pattern[str], ...]
    required: bool = False
    shown: str = ""  # the first alias as the export writes it, for messages

    def matches(self, header: str) -> re.Match[str] | bool:
        for alias in self.aliases:
            if isinstance(alias, re.Pattern):
                found = alias.fullmatch(header)
                if found:
                    return found
            elif alias == header:
                return True
        return False


def field(name: str, *aliases: str | re.Pattern[str], required: bool = False) -> Field:
    """A field; plain aliases are normalised, so write them as they appear in the export."""
    written = aliases or (name,)
    cleaned = tuple(a if isinstance(a, re.Pattern) else normalise(a) for a in written)
    shown = next((a for a in written if isinstance(a, str)), name)
    return Field(name, cleaned, required, shown)


@dataclass
class Header:
    """Where each known field sits in a file's header row."""

    line: int
    cells: list[str]
    index: dict[str, int] = dc_field(default_factory=dict)
    labels: dict[str, str] = dc_field(default_factory=dict)
    captures: dict[str, str] = dc_field(default_factory=dict)
    unknown: list[str] = dc_field(default_factory=list)
    missing: list[Field] = dc_field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.index

    def label(self, name: str) -> str:
        return self.labels.get(name, name)


@dataclass(frozen=True)
class Columns:
    fields: tuple[Field, ...]

    def score(self, cells: list[str]) -> int:
        """How many cells name a known field: picks the header row and the delimiter."""
        names = [normalise(cell) for cell in cells]
        return sum(1 for name in names if name and any(f.matches(name) for f in self.fields))

    def match(self, cells: list[str], line: int) -> Header:
        header = Header(line=line, cells=cells)
        names = [normalise(cell) for cell in cells]
        claimed: set[int] = set()
        for spec in self.fields:
            found = self._find(spec, names, claimed)
            if found is None:
                if spec.required:
                    header.missing.append(spec)
                continue
            position, match = found
            claimed.add(position)
            header.index[spec.name] = position
            header.labels[spec.name] = cells[position].replace("\ufeff", "").strip()
            if isinstance(match, re.Match):
                header.captures.update({k: v for k, v in match.groupdict().items() if v})
        header.unknown = [cells[i] for i in range(len(cells)) if i not in claimed and names[i]]
        return header

    @staticmethod
    def _find(spec: Field, names: list[str], claimed: set[int]) -> tuple[int, re.Match[str] | bool] | None:
        for alias in spec.aliases:  # alias order is preference order
            for position, name in enumerate(names):
                if position in claimed:
                    continue
                if isinstance(alias, re.Pattern):
                    found = alias.fullmatch(name)
                    if found:
                        return position, found
                elif alias == name:
                    return position, True
        return None

    def accepted_names(self, spec: Field) -> str:
        return ", ".join(repr(a.pattern if isinstance(a, re.Pattern) else a) for a in spec.aliases)
