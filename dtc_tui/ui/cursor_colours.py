"""The cursor row's colours for every theme, as CSS variables (``$dtc-cursor-*``).

Textual's themes put the cursor on ``$accent`` (orange in textual-dark) under the normal text
colour: about 1.5:1, and in ansi-dark a green bar under red "breached" text. Here the cursor
takes the theme's own block-cursor background, and the text on it is black or white, whichever
reaches the higher WCAG contrast (at least 4.58:1 on any colour). 16-colour themes (whose colours
are the terminal's, so cannot be measured) get a fixed pair that is never red or green.
"""

from __future__ import annotations

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter, monochrome_style

MIN_CONTRAST = 4.5
ANSI_CURSOR = {
    "dtc-cursor-background": "ansi_white",
    "dtc-cursor-foreground": "ansi_black",
    "dtc-cursor-blurred-background": "ansi_bright_black",
    "dtc-cursor-blurred-foreground": "ansi_bright_white",
}
BLACK, WHITE = Color(0, 0, 0), Color(255, 255, 255)


def luminance(colour: Color) -> float:
    """WCAG 2 relative luminance."""

    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)


def contrast(a: Color, b: Color) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def best_text(background: Color) -> Color:
    return BLACK if contrast(BLACK, background) >= contrast(WHITE, background) else WHITE


def cursor_variables(variables: dict[str, str]) -> dict[str, str]:
    """``$dtc-cursor-background/-foreground`` (focused) and ``-blurred-`` ones from a theme's variables."""
    raw = variables.get("block-cursor-background") or variables.get("primary", "")
    try:
        background = Color.parse(raw)
        base = Color.parse(variables.get("background", "#000000"))
    except Exception:
        return dict(ANSI_CURSOR)
    if background.ansi is not None or base.ansi is not None:
        return {**ANSI_CURSOR, **_blurred_for_widgets(ANSI_CURSOR)}
    background = base.blend(background.with_alpha(1.0), background.a)  # an alpha cursor, as drawn
    blurred = base.blend(background, 0.55)
    ours = {
        "dtc-cursor-background": background.hex,
        "dtc-cursor-foreground": best_text(background).hex,
        "dtc-cursor-blurred-background": blurred.hex,
        "dtc-cursor-blurred-foreground": best_text(blurred).hex,
    }
    # Textual's own lists (DataTable, OptionList: orders, SLA settings, pickers) use the block cursor.
    return {
        **ours,
        "block-cursor-background": ours["dtc-cursor-background"],
        "block-cursor-foreground": ours["dtc-cursor-foreground"],
        **_blurred_for_widgets(ours),
    }


def _blurred_for_widgets(ours: dict[str, str]) -> dict[str, str]:
    return {
        "block-cursor-blurred-background": ours["dtc-cursor-blurred-background"],
        "block-cursor-blurred-foreground": ours["dtc-cursor-blurred-foreground"],
    }


class ReadableMonochrome(LineFilter):
    """NO_COLOR: Textual's Monochrome filter turns each colour into the grey of its brightness, so
    red text became grey 237 on grey 233 (about 1.3:1). This one does the same, then moves any text
    grey that is under 4.5:1 on its background towards black or white until it reaches it."""

    def __init__(self, enabled: bool = True) -> None:
        super().__init__(enabled=enabled)
        self._cache: dict[tuple[object, object], Style] = {}

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(text, self._fix(style, background), None) for text, style, _ in segments]

    def _fix(self, style: Style | None, background: Color) -> Style | None:
        if style is None:
            return None
        key = (style, background)
        fixed = self._cache.get(key)
        if fixed is None:
            fixed = monochrome_style(style)
            if fixed.color is not None and fixed.color.triplet is not None:
                fg = Color(*fixed.color.triplet)
                bg_rich = fixed.bgcolor
                bg = Color(*bg_rich.triplet) if bg_rich is not None and bg_rich.triplet is not None else background
                if contrast(fg, bg) < MIN_CONTRAST:
                    target = best_text(bg)
                    for share in (0.25, 0.5, 0.75, 1.0):
                        candidate = fg.blend(target, share)
                        if contrast(candidate, bg) >= MIN_CONTRAST:
                            break
                    fixed = fixed + Style(color=RichColor.from_rgb(*candidate.rgb))
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = fixed
        return fixed
