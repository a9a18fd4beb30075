"""The one filter language of every filter box and ``--filter`` option.

    prio:high,urgent -status:pending lang:de refund "blue shirt" name:"gift card"

- ``field:value`` keeps rows whose field is one of the comma-separated values; the same field twice
  adds values (``prio:high prio:urgent`` = ``prio:high,urgent``);
- ``-field:value`` leaves those rows out;
- quotes keep spaces and commas in one value (``name:"blue shirt"``) or one phrase of free text;
- every other word is free text: a row matches when it contains every word (each screen says where
  it looks: subject, SKU name...). A word whose part before ``:`` is not a name, such as ``10:30``,
  is free text too; ``since:10:30`` is the value ``10:30``.

Each user declares its fields (``FilterField``) and, for an enumeration, the values it accepts; an
unknown field or value is a ``FilterError`` naming what is allowed. The parser knows no rows: the
queue turns the result into SQL, the board into a list comprehension, the audit log into both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from dtc_tui.errors import InvalidInput
from dtc_tui.i18n import _


class FilterError(InvalidInput):
    """A filter that does not parse; the message says what is allowed."""


@dataclass(frozen=True)
class FilterField:
    """One ``name:`` a filter understands.

    ``key`` is what the code reads (``priority``); ``words`` what the operator may type, the first
    one shown back (``prio``, ``priority``). ``choices`` maps each accepted typed value to the
    stored values it stands for (``reorder`` -> ``reorder_now``, ``reorder_soon``); without it any
    value is accepted.
    """

    key: str
    words: tuple[str, ...]
    choices: Mapping[str, tuple[str, ...]] | None = None
    label: str = ""  # "priority" in "unknown priority 'hgh'"; the key when empty
    case: Literal["lower", "upper"] = "lower"
    hint: str = ""  # what a value looks like, for the help text ("a handle", "7d or a date")
    pattern: str | None = None  # a regular expression every value must match in full (ids: r"\d+")

    @property
    def shown(self) -> str:
        return self.words[0]

    @property
    def what(self) -> str:
        return self.label or self.key.replace("_", " ")


def choices(values: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """An enumeration where each value stands for itself."""
    return {value: (value,) for value in values}


@dataclass(frozen=True)
class Term:
    key: str
    values: tuple[str, ...]  # stored values (choices expanded)
    typed: tuple[str, ...]  # as typed (normalised case), for describe()
    negated: bool = False


@dataclass(frozen=True)
class ParsedFilter:
    terms: tuple[Term, ...] = ()
    words: tuple[str, ...] = ()  # free text, lower case; a quoted phrase is one word
    shown: Mapping[str, str] = field(default_factory=dict, compare=False)  # key -> the word shown back

    @property
    def empty(self) -> bool:
        return not (self.terms or self.words)

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def fields(self) -> tuple[str, ...]:
        """The keys of the fields the filter names, in the order first named."""
        return tuple(dict.fromkeys(term.key for term in self.terms))

    def include(self, key: str) -> tuple[str, ...]:
        """The values ``key`` must be one of (empty: no condition)."""
        return _union(term.values for term in self.terms if term.key == key and not term.negated)

    def exclude(self, key: str) -> tuple[str, ...]:
        """The values ``key`` must not be."""
        return _union(term.values for term in self.terms if term.key == key and term.negated)

    def describe(self) -> str:
        """The filter written back in the language (canonical names, quotes where needed)."""
        parts = []
        for term in self.terms:
            name = self.shown.get(term.key, term.key)
            parts.append(f"{'-' if term.negated else ''}{name}:{','.join(_quote(v) for v in term.typed)}")
        parts += [_quote(word) for word in self.words]
        return " ".join(parts)


def _union(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for group in groups for value in group))


def _quote(value: str) -> str:
    return f'"{value}"' if re.search(r"[\s,]", value) else value


# A token: an optional "-", then name:value (value quoted or up to the next space), a quoted phrase,
# or a plain word. The name starts with a letter, so 10:30 is a word, not the field "10".
_TOKEN = re.compile(
    r"""(?P<neg>-)?(?:
        (?P<name>[A-Za-z_][A-Za-z0-9_]*):(?P<value>"[^"]*"|'[^']*'|\S*)
      | (?P<phrase>"[^"]*"|'[^']*')
      | (?P<word>\S+)
    )""",
    re.VERBOSE,
)


class FilterLanguage:
    """The fields one screen or command filters on, and the parser for them."""

    def __init__(self, subject: str, fields: Sequence[FilterField], text_hint: str = "") -> None:
        self.subject = subject  # "tickets", "stock positions", "changes": for the help text
        self.fields = tuple(fields)
        self.text_hint = text_hint  # where free text looks ("subject, order or customer")
        self._by_word = {word.lower(): f for f in self.fields for word in f.words}
        if len(self._by_word) != sum(len(f.words) for f in self.fields):
            raise ValueError(f"{subject}: two fields share a word")

    def field_names(self) -> str:
        return ", ".join(f"{f.shown}:" for f in self.fields)

    def parse(self, raw: str) -> ParsedFilter:
        terms: list[Term] = []
        words: list[str] = []
        for match in _TOKEN.finditer(raw):
            negated = bool(match["neg"])
            if match["phrase"] is not None:
                phrase = match["phrase"][1:-1].strip().lower()
                if phrase:
                    words.append(("-" if negated else "") + phrase)
                continue
            if match["word"] is not None:
                words.append(("-" if negated else "") + match["word"].lower())
                continue
            name, value = match["name"], match["value"]
            spec = self._by_word.get(name.lower())
            if spec is None:
                raise FilterError(
                    _("unknown field {name!r}; fields: {fields} or plain text").format(
                        name=name, fields=self.field_names()
                    )
                )
            terms.append(self._term(spec, name, value, negated))
        return ParsedFilter(tuple(terms), tuple(words), {f.key: f.shown for f in self.fields})

    def _term(self, spec: FilterField, name: str, value: str, negated: bool) -> Term:
        if value[:1] in "\"'" and len(value) >= 2 and value[-1] == value[0]:
            typed = [value[1:-1].strip()]
        else:
            typed = [part.strip() for part in value.split(",")]
        typed = [v.upper() if spec.case == "upper" else v.lower() for v in typed if v]
        if not typed:
            raise FilterError(
                _("{name}: needs a value (e.g. {name}:{example})").format(name=name, example=self._example(spec))
            )
        if spec.pattern is not None:
            for v in typed:
                if not re.fullmatch(spec.pattern, v):
                    raise FilterError(
                        _("{name}: {value!r} is not {what}").format(
                            name=name, value=v, what=_(spec.hint) if spec.hint else _("a valid value")
                        )
                    )
        if spec.choices is None:
            return Term(spec.key, tuple(typed), tuple(typed), negated)
        allowed = {k.lower(): k for k in spec.choices}
        stored: list[str] = []
        for v in typed:
            if v.lower() not in allowed:
                raise FilterError(
                    _("unknown {what} {value!r}; one of: {choices}").format(
                        what=_(spec.what), value=v, choices=", ".join(spec.choices)
                    )
                )
            stored.extend(spec.choices[allowed[v.lower()]])
        return Term(spec.key, tuple(dict.fromkeys(stored)), tuple(typed), negated)

    @staticmethod
    def _example(spec: FilterField) -> str:
        return next(iter(spec.choices)) if spec.choices else "something"

    def help_lines(self) -> list[tuple[str, str]]:
        """(syntax, meaning) pairs for the help screen (``?``) of a screen with a filter box."""
        lines = []
        for f in self.fields:
            names = "/".join(f.words)
            values = ", ".join(f.choices) if f.choices else (_(f.hint) if f.hint else _("any value"))
            lines.append((f"{names}:", values))
        lines.append((_("-field:value"), _("leave those out")))
        lines.append((_('"two words"'), _("a value or phrase with spaces")))
        free = _("free text: {hint}").format(hint=_(self.text_hint)) if self.text_hint else _("free text")
        lines.append((_("other words"), free))
        return lines
