"""Untrusted text (ticket subjects, names from CSV files) made safe to store and show.

Control characters could drive the operator's terminal (OSC 52 writes the clipboard, OSC 8
makes links, CSI moves the cursor), so C0 controls except tab and newline, DEL and the C1
range are removed on import and again at display. Markup is never parsed from such text:
the UI always wraps it in ``rich.text.Text`` (see ``dtc_tui.ui.safe``), never a markup string.
"""

from __future__ import annotations

import re

# C0/C1 controls; bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the
# direction marks, which can make a cell read backwards or leak past its column ("Trojan
# Source"); invisible zero-width characters (U+200B, U+2060, U+FEFF, U+180E). ZWJ and ZWNJ
# (U+200C, U+200D) stay: emoji sequences and Persian or Indic words need them.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u180e]")
_LINE_BREAKS = re.compile(r"[\t\r\n]+")


def clean_text(value: str | None) -> str:
    """Drop terminal control characters; keep tab and newline."""
    if not value:
        return ""
    return _CONTROL.sub("", value.replace("\r\n", "\n"))


def one_line(value: str | None, limit: int | None = None) -> str:
    """Clean text folded onto one line, for table cells."""
    text = _LINE_BREAKS.sub(" ", clean_text(value)).strip()
    if limit is not None and len(text) > limit:
        return text[: max(limit - 1, 0)] + "…"
    return text


def neutralise_formula(value: str) -> str:
    """Spreadsheet formula injection: a cell that starts with = + - @ (or their full-width forms,
    which spreadsheets also read as formulas) is prefixed with '."""
    if value and value[0] in "=+-@\t\r\uff1d\uff0b\uff0d\uff20":
        return "'" + value
    return value
