"""State -> glyph + style, one table for every screen, so a colour never carries a meaning alone.

A breached timer, a failing number or a coverage gap is red *and* marked with a glyph that
survives ``NO_COLOR``, a 16-colour terminal and colour blindness:

====================  =======  =====  ==========================================
state                 glyph    ASCII  used for
====================  =======  =====  ==========================================
``breached``          ``!``    ``!``  SLA breached, a value off its target, a failed check, stock out
``at_risk``           ``~``    ``~``  SLA at risk, a value near its limit, a warning, reorder soon
``met``               ``✓``    ``+``  a value on target, an SLA met, a check that passes
``signal``            ``◆``    ``*``  a cross-area signal on the overview
``draft``             ``✎``    ``d``  an unsent reply draft of yours on the ticket
====================  =======  =====  ==========================================

The Linux console's font has no ``✓``/``◆``/``✎``: with ``TERM=linux`` (or the ``glyphs = "ascii"``
setting) the ASCII column is used. With ``NO_COLOR`` the styles drop their colours (Textual turns
colours into greys by brightness, so red became dark grey on black) and use bold / reverse instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from rich.text import Text

from dtc_tui.i18n import _

State = Literal["breached", "at_risk", "met", "signal", "draft", "neutral"]


@dataclass(frozen=True)
class Look:
    glyph: str
    ascii: str
    style: str  # in colour
    plain: str  # with NO_COLOR: no colour, so that Textual's grey filter cannot make it dark


LOOKS: dict[str, Look] = {
    "breached": Look("!", "!", "bold red", "bold reverse"),
    "at_risk": Look("~", "~", "bold yellow", "bold underline"),
    "met": Look("✓", "+", "green", ""),
    "signal": Look("◆", "*", "bold red", "bold"),
    "draft": Look("✎", "d", "bold", "bold"),
    "neutral": Look(" ", " ", "", ""),
}


@dataclass
class _Mode:
    ascii: bool = False
    no_color: bool = False


MODE = _Mode()


def wants_ascii(setting: str = "auto", term: str | None = None) -> bool:
    """``glyphs`` setting: "unicode", "ascii", or "auto" (ASCII on the Linux console)."""
    if setting == "ascii":
        return True
    if setting == "unicode":
        return False
    return (os.environ.get("TERM", "") if term is None else term) == "linux"


def configure(*, ascii: bool, no_color: bool) -> None:
    """Called once by the app (it knows NO_COLOR: Textual takes it out of the environment)."""
    MODE.ascii = ascii
    MODE.no_color = no_color


def glyph(state: str) -> str:
    look = LOOKS.get(state, LOOKS["neutral"])
    return look.ascii if MODE.ascii else look.glyph


def style(state: str, colour: str | None = None) -> str:
    """The state's style; ``colour`` replaces the colour style (a screen's own shade), never the
    NO_COLOR one."""
    look = LOOKS.get(state, LOOKS["neutral"])
    if MODE.no_color:
        return look.plain
    return look.style if colour is None else colour


def mark(state: str, text: str | Text = "", *, sep: str = " ", after: bool = False, colour: str | None = None) -> Text:
    """``text`` with the state's glyph before it (or after it), all in the state's style."""
    body = text if isinstance(text, Text) else Text(text)
    sign = glyph(state)
    out = Text(style=style(state, colour), no_wrap=body.no_wrap)
    if after:
        out.append_text(body)
        out.append(sep + sign)
    else:
        out.append(sign + sep)
        out.append_text(body)
    return out


def flag(state: str, text: str | Text, *, colour: str | None = None, pad: bool = True) -> Text:
    """A number in a table cell: ``1.20 !`` / ``2.40 ~`` (glyph after it, so the numbers of a
    right-aligned column stay aligned); any other state keeps an empty glyph slot and no glyph."""
    if state in ("breached", "at_risk"):
        return mark(state, text, after=True, colour=colour)
    body = text if isinstance(text, Text) else Text(text)
    out = Text(style=style(state, colour) if state != "neutral" else (colour or ""), no_wrap=body.no_wrap)
    out.append_text(body)
    if pad:
        out.append(" " * (len(glyph("breached")) + 1))
    return out


def verdict(ok: bool | None, text: str | Text, *, after: bool = True) -> Text:
    """A number against its target: ``16.1% !`` when off, ``79.8% ✓`` when on, plain when unjudged."""
    if ok is None:
        body = text if isinstance(text, Text) else Text(text)
        return Text.assemble(body, " " * (len(glyph("met")) + 1))
    return mark("met" if ok else "breached", text, after=after)


def legend_row() -> tuple[str, str]:
    """The glyphs as a row of the key help (``?``)."""
    signs = " ".join(glyph(s) for s in ("breached", "at_risk", "met", "signal"))
    return signs, _("Breached or off target / at risk / met or on target / cross-area signal")


def legend() -> str:
    """One line for the help screens."""
    return _("{breached} breached / off target, {at_risk} at risk, {met} met / on target").format(
        breached=glyph("breached"), at_risk=glyph("at_risk"), met=glyph("met")
    )
