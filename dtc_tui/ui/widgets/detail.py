"""A detail area under a table (the overview's recommendation, the ads row detail...).

It grows with its text up to ``max_lines`` instead of a fixed height that cut the end off ("USD
1,341 at stake" never showed at 80x24). When the text still needs more lines, the last one shown
ends in "…" and a hint saying where the rest is, never in the middle of a sentence with nothing said.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

ELLIPSIS = "…"


class DetailPanel(Widget):
    DEFAULT_CSS = """
    DetailPanel { height: auto; padding: 0 1; }
    """

    def __init__(self, *, max_lines: int = 6, hint: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.max_lines = max_lines
        self.hint = hint
        self.text = Text()
        self.cut = False  # the last render left lines out (and showed the hint)

    def update(self, text: Text | str) -> None:
        self.text = text if isinstance(text, Text) else Text(text)
        self.refresh(layout=True)

    def _lines(self, width: int) -> list[Text]:
        if not self.text.plain:
            return []
        text = self.text.copy()
        text.no_wrap = False
        return list(text.wrap(self.app.console, max(width, 1)))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(min(len(self._lines(width)), self.max_lines), 1)

    def render(self) -> Text:
        width = self.content_size.width
        lines = self._lines(width)
        self.cut = len(lines) > self.max_lines
        if self.cut:
            lines = lines[: self.max_lines]
            tail = f" {ELLIPSIS} {self.hint}".rstrip() if self.hint else f" {ELLIPSIS}"
            last = lines[-1]
            last.rstrip()
            last.truncate(max(width - cell_len(tail), 0))
            last.append(tail, style="dim")
            lines[-1] = last
        for line in lines:
            line.end = ""
        return Text("\n").join(lines)
