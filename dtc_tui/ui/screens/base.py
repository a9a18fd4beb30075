"""What every area screen shares: the app's services handle, a title bar, the footer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from dtc_tui.i18n import N_, _
from dtc_tui.ui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from dtc_tui.ui.app import DtcApp


class TitleBar(Static):
    """One line: area name, what is shown, operator and database (no clock: snapshots stay stable)."""

    DEFAULT_CSS = """
    TitleBar { height: 1; background: $primary; color: $text; padding: 0 1; }
    """
    shown = ""  # the markup of the title set by set_title_text (the composed one: "")


def area_tabs(app: DtcApp, current: str) -> Text:
    """' 1 Tickets  2 Stock ...' built from the app's area keys: the tabs double as key help."""
    text = Text()
    for key, area, label in app.AREA_TABS:
        style = "bold reverse" if area == current else ""
        text.append(f" {key} {_(label)} ", style=style)
    text.append(" │")
    return text


class AreaScreen(Screen[Any]):
    """Base of the four area screens (and the overview).

    Subclasses set ``AREA`` and ``AREA_TITLE``, compose their body in ``compose_body`` and
    reload their data in ``reload_data`` (called on show and when another operator changed
    the area: see ``DtcApp.check_for_changes``).
    """

    AREA: ClassVar[str] = ""
    AREA_TITLE: ClassVar[str] = ""
    RELOAD_ON_FIRST_SHOW: ClassVar[bool] = True

    @property
    def dtc(self) -> DtcApp:
        return self.app  # type: ignore[return-value]

    BINDINGS: ClassVar[list[BindingType]] = [
        # First in every footer, so even at 80 columns the operator sees where the keys are listed.
        Binding("question_mark", "app.help", N_("Keys"), id="screen.help"),
    ]

    def compose(self) -> ComposeResult:
        yield TitleBar(self._title(""), id="title-bar")
        yield from self.compose_body()
        yield KeysFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def set_title_text(self, detail: str = "") -> None:
        # One line high, the screen's width (CSS): a new title is a repaint, not a relayout; the
        # same title (a board's sort or view changed) not even that.
        title = self._title(detail)
        bar = self.query_one(TitleBar)
        if bar.shown != title.markup:
            bar.shown = title.markup
            bar.update(title, layout=False)

    def _title(self, detail: str) -> Text:
        """Area tabs with their keys (the current one highlighted), a detail, operator@database."""
        text = area_tabs(self.dtc, self.AREA)
        if detail:
            text.append("  ")
            text.append(detail)
        text.append(f"   {self.dtc.operator}@{self.dtc.database_label}", style="dim")
        return text

    def on_mount(self) -> None:
        """Nothing to do: the title is composed. (Textual dispatches on_mount to every class in the
        MRO, so subclasses calling super().on_mount() would run a base body twice.)"""

    def on_screen_suspend(self) -> None:
        self._was_suspended = True

    def on_screen_resume(self) -> None:
        # Coming back (another area, a closed dialog): re-read. Textual also resumes a new screen
        # (twice) right after on_mount: screens whose first read is a worker started in on_mount
        # set RELOAD_ON_FIRST_SHOW = False, or each resume starts another full computation.
        if self.RELOAD_ON_FIRST_SHOW or getattr(self, "_was_suspended", False):
            self.reload_data()

    def reload_data(self) -> None:
        """Re-read what the screen shows (cheap: windowed tables fetch one page)."""
