"""Macros in the app: the picker of the reply editor (fuzzy search by name, the ticket's language
first) and the list where they are added, edited and deleted (``Macros...`` in the palette)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from dtc_tui.i18n import N_, _
from dtc_tui.services.tickets import macros as macro_rules
from dtc_tui.ui.safe import safe, safe_block
from dtc_tui.ui.screens.base import TitleBar
from dtc_tui.ui.widgets.footer import KeysFooter
from dtc_tui.ui.widgets.modals import ChoiceModal

if TYPE_CHECKING:
    from dtc_tui.ui.app import DtcApp
    from dtc_tui.ui.facades.replies import MacroView


def _option(macro: MacroView, language: str) -> Option:
    label = safe(macro.name, style="bold" if macro.language == language else "")
    label.append(f"  [{macro.language}]", style="" if macro.language == language else "dim")
    if macro.actions():
        label.append("  ")
        label.append_text(safe(macro.actions(), style="dim"))
    return Option(label, id=str(macro.id))


class MacroPicker(ModalScreen["MacroView | None"]):
    """Type part of a macro's name (letters in order: "wism" finds "Where is my order"); Enter picks."""

    DEFAULT_CSS = """
    MacroPicker { align: center middle; }
    MacroPicker > Vertical { width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1; }
    MacroPicker OptionList { height: auto; max-height: 12; border: none; }
    MacroPicker #macro-preview { height: auto; max-height: 6; color: $text-muted; }
    MacroPicker .hint { color: $text-muted; width: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="macro_picker.cancel"),
        Binding("down", "down", N_("Down"), show=False, id="macro_picker.down"),
        Binding("up", "up", N_("Up"), show=False, id="macro_picker.up"),
    ]

    def __init__(self, macros: list[MacroView], language: str, values: dict[str, str | None] | None = None) -> None:
        super().__init__()
        self.macros = macros
        self.language = language
        self.values = values or {}  # the ticket's: the preview shows the text as it will be inserted
        self.shown: list[MacroView] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                Text(_("Insert a macro (ticket language: {language})").format(language=self.language), style="bold")
            )
            yield Input(placeholder=_("type part of a name"), id="macro-query")
            yield OptionList(id="macro-options")
            yield Static(id="macro-preview")
            yield Label(Text(_("↑/↓ choose · Enter inserts · Esc cancels")), classes="hint")

    def on_mount(self) -> None:
        self.show("")
        self.query_one("#macro-query", Input).focus()

    def show(self, query: str) -> None:
        self.shown = macro_rules.rank(self.macros, query, self.language)
        options = self.query_one("#macro-options", OptionList)
        options.clear_options()
        options.add_options([_option(m, self.language) for m in self.shown])
        if self.shown:
            options.highlighted = 0
        self.preview()

    def preview(self) -> None:
        options = self.query_one("#macro-options", OptionList)
        index = options.highlighted
        if index is not None and index < len(self.shown):
            text = macro_rules.fill(self.shown[index].body, self.values).text
        else:
            text = _("No macro matches.")
        self.query_one("#macro-preview", Static).update(safe_block(text))

    @on(Input.Changed, "#macro-query")
    def _changed(self, event: Input.Changed) -> None:
        self.show(event.value)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self.preview()

    @on(Input.Submitted, "#macro-query")
    def _submitted(self) -> None:
        index = self.query_one("#macro-options", OptionList).highlighted
        if index is not None and index < len(self.shown):
            self.dismiss(self.shown[index])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.shown[event.option_index])

    def action_down(self) -> None:
        self.query_one("#macro-options", OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one("#macro-options", OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class MacroForm(ModalScreen[bool]):
    """Add or change one macro; ctrl+s saves (a mistake is a warning and the form stays), Esc cancels."""

    DEFAULT_CSS = """
    MacroForm { align: center middle; }
    MacroForm > Vertical { width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1; }
    MacroForm Horizontal { height: auto; }
    MacroForm .field { width: 1fr; }
    MacroForm Input { width: 1fr; }
    MacroForm TextArea { height: 8; }
    MacroForm .hint { color: $text-muted; height: auto; width: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="macro_form.save"),
        Binding("escape", "cancel", N_("Cancel"), id="macro_form.cancel"),
    ]
    FIELDS = ("name", "language", "set_status", "set_priority", "add_tags", "remove_tags")

    def __init__(self, macro: MacroView | None = None) -> None:
        super().__init__()
        self.macro = macro

    @property
    def dtc(self) -> DtcApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        m = self.macro
        with Vertical():
            yield Label(safe(_("Macro: {name}").format(name=m.name) if m else _("New macro"), style="bold"))
            with Horizontal():
                yield Input(m.name if m else "", placeholder=_("name"), id="name", classes="field")
                yield Input(m.language if m else "en", placeholder=_("language (en, de...)"), id="language")
            with Horizontal():
                yield Input(m.set_status if m else "", placeholder=_("set status (empty: leave)"), id="set_status")
                yield Input(
                    m.set_priority if m else "", placeholder=_("set priority (empty: leave)"), id="set_priority"
                )
            with Horizontal():
                yield Input(m.add_tags if m else "", placeholder=_("add tags"), id="add_tags")
                yield Input(m.remove_tags if m else "", placeholder=_("remove tags"), id="remove_tags")
            yield TextArea(m.body if m else "", id="body", soft_wrap=True, show_line_numbers=False)
            names = " ".join(f"{{{name}}}" for name in macro_rules.PLACEHOLDERS)
            yield Label(Text(_("Placeholders: {names}").format(names=names)), classes="hint")
            yield Label(Text(_("ctrl+s saves · Esc cancels · Tab next field")), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def action_save(self) -> None:
        fields = {name: self.query_one(f"#{name}", Input).value for name in self.FIELDS}
        fields["body"] = self.query_one("#body", TextArea).text
        with self.dtc.user_errors(title=_("Macro not saved")):
            saved = self.dtc.facades.replies.save_macro(self.macro.id if self.macro else None, **fields)
            self.dtc.notify_safe(_("macro {name} ({language}) saved").format(name=saved.name, language=saved.language))
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class MacroScreen(Screen[None]):
    """Every macro: a add, e or Enter edit, d delete (asks), Esc back."""

    AREA = "tickets"
    AREA_TITLE = N_("Macros")
    DEFAULT_CSS = """
    MacroScreen DataTable { height: 1fr; }
    MacroScreen #macro-body { height: auto; max-height: 8; padding: 0 1; border-top: solid $panel; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", N_("Add"), id="macros.add"),
        Binding("e,enter", "edit", N_("Edit"), id="macros.edit"),
        Binding("d", "delete", N_("Delete"), id="macros.delete"),
        Binding("j", "down", N_("Down"), show=False, id="macros.down"),
        Binding("k", "up", N_("Up"), show=False, id="macros.up"),
        Binding("escape", "back", N_("Back"), id="macros.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[MacroView] = []

    @property
    def dtc(self) -> DtcApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title-bar")
        yield DataTable(id="macro-table", cursor_type="row", zebra_stripes=False)
        yield Static(id="macro-body")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(TitleBar).update(Text(_("Macros: canned replies"), style="bold"))
        table = self.query_one(DataTable)
        table.add_columns(_("Name"), _("Lang"), _("On send"))
        self.reload_data()
        table.focus()

    def reload_data(self) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        self.rows = self.dtc.facades.replies.macros()
        table.clear()
        for macro in self.rows:
            table.add_row(safe(macro.name), Text(macro.language), safe(macro.actions() or "-"), key=str(macro.id))
        if self.rows:
            table.move_cursor(row=min(keep, len(self.rows) - 1))
        self.show_body()

    def current(self) -> MacroView | None:
        table = self.query_one(DataTable)
        return self.rows[table.cursor_row] if self.rows and 0 <= table.cursor_row < len(self.rows) else None

    def show_body(self) -> None:
        macro = self.current()
        text = macro.body if macro else _("No macros yet: a adds one.")
        self.query_one("#macro-body", Static).update(safe_block(text))

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.show_body()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()

    def _after_form(self, saved: bool | None) -> None:
        if saved:
            self.dtc.mark_seen()
            self.reload_data()

    def action_add(self) -> None:
        self.app.push_screen(MacroForm(), self._after_form)

    def action_edit(self) -> None:
        macro = self.current()
        if macro is not None:
            self.app.push_screen(MacroForm(macro), self._after_form)

    def action_delete(self) -> None:
        macro = self.current()
        if macro is None:
            return

        def chosen(value: str | None) -> None:
            if value != "delete":
                return
            with self.dtc.user_errors(title=_("Not deleted")):
                self.dtc.facades.replies.delete_macro(macro.id)
                self.dtc.notify_safe(
                    _("macro {name} ({language}) deleted").format(name=macro.name, language=macro.language)
                )
            self._after_form(True)

        self.app.push_screen(
            ChoiceModal(
                _("Delete the macro {name} ({language})?").format(name=macro.name, language=macro.language),
                [("keep", _("No, keep it")), ("delete", _("Yes, delete it"))],
                "keep",
            ),
            chosen,
        )

    def action_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_back(self) -> None:
        self.app.pop_screen()
