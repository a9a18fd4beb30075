"""Untrusted text (ticket subjects, names from CSV files) made safe to store and show.

Control characters could drive the operator's terminal (OSC 52 writes the clipboard, OSC 8
makes links, CSI moves the cursor), so C0 controls except tab and newline, DEL and the C1
range are removed on import and again at display. Markup is never parsed from such text:
the UI always wraps it in ``rich.text.Text`` (see ``dtc_tui.ui.safe``), never a markup string.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
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
    """Spreadsheet formula injection: a cell that starts with = + - @ is prefixed with '."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
