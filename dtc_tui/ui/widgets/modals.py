"""Small modal dialogs shared by the screens: pick one of several values, or type some text."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from dtc_tui.i18n import N_, _
from dtc_tui.ui.safe import safe
from dtc_tui.ui.widgets.vim import VimOptionList


class ChoiceModal(ModalScreen[str | None]):
    """Pick one value with j/k or arrows and Enter; Esc cancels. Returns the option id."""

    DEFAULT_CSS = """
    ChoiceModal { align: center middle; }
    ChoiceModal > Vertical { width: 50; max-width: 95%; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1; }
    ChoiceModal OptionList { height: auto; max-height: 20; border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="modal.cancel"),
        Binding("j", "down", N_("Down"), show=False, id="modal.down"),
        Binding("k", "up", N_("Up"), show=False, id="modal.up"),
    ]

    def __init__(self, title: str, options: list[tuple[str, str]], current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe(self.title_text, style="bold"))
            yield VimOptionList(*[Option(safe(label), id=value) for value, label in self.options])

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        ids = [value for value, _label in self.options]
        option_list.highlighted = ids.index(self.current) if self.current in ids else 0
        option_list.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmLine(ModalScreen[bool]):
    """One line at the bottom: "set priority low on 20 tickets? y/n". ``y`` confirms; ``n``, Esc cancel."""

    DEFAULT_CSS = """
    ConfirmLine { align: left bottom; background: $background 0%; }
    ConfirmLine > Label { width: 100%; height: 1; background: $warning 30%; color: $text; padding: 0 1;
        text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", N_("Yes"), id="confirm.yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        yield Label(safe(_("{question} y/n").format(question=self.question)), id="confirm-question")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class TextModal(ModalScreen[str | None]):
    """Type text: one line (Enter saves) or several (ctrl+s saves). Esc cancels."""

    DEFAULT_CSS = """
    TextModal { align: center middle; }
    TextModal > Vertical { width: 80; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1; }
    TextModal TextArea { height: 10; }
    TextModal .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="modal.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="modal.save"),
    ]

    def __init__(
        self, title: str, initial: str = "", *, multiline: bool = False, hint: str = "", append: bool = False
    ) -> None:
        super().__init__()
        self.title_text = title
        self.initial = initial
        self.multiline = multiline
        self.hint = hint
        # append: the cursor waits after the text, nothing selected, so typing adds (tags) instead of replacing.
        self.append = append

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe(self.title_text, style="bold"))
            if self.multiline:
                yield TextArea(self.initial, id="text", soft_wrap=True, show_line_numbers=False)
                yield Label(Text(self.hint or _("ctrl+s saves, Esc cancels")), classes="hint")
            else:
                yield Input(self.initial, id="text", select_on_focus=not self.append)
                yield Label(Text(self.hint or _("Enter saves, Esc cancels")), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#text").focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_save(self) -> None:
        widget = self.query_one("#text")
        self.dismiss(widget.text if isinstance(widget, TextArea) else self.query_one("#text", Input).value)

    def action_cancel(self) -> None:
        self.dismiss(None)
