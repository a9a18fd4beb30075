"""Small modal forms of the Team screen: a person, a duty, a routing rule.

One line per field (compact widgets) so a form fits 80x24. The form does not save by itself:
it hands its values to ``submit``, which returns an error message (the form stays open and
shows it) or None (the form closes with True).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from dtc_tui.i18n import N_, _
from dtc_tui.ui.safe import safe


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text | select | checkbox
    value: Any = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # select: (label, value)
    placeholder: str = ""
    suggestions: tuple[str, ...] = ()  # text: completions offered as you type (time zones)


Submit = Callable[[dict[str, Any]], str | None]


class TeamForm(ModalScreen[bool]):
    DEFAULT_CSS = """
    TeamForm { align: center middle; }
    TeamForm > Vertical { width: 64; max-width: 98%; height: auto; max-height: 98%;
        border: round $accent; background: $surface; padding: 0 1; }
    TeamForm .form-title { text-style: bold; margin-bottom: 1; }
    TeamForm .form-row { height: 1; margin-bottom: 1; }
    TeamForm .form-label { width: 12; color: $text-muted; }
    TeamForm .form-row Input, TeamForm .form-row Select { width: 1fr; }
    TeamForm .form-error { color: $text-error; height: auto; }
    TeamForm .form-hint { color: $text-muted; height: auto; }
    TeamForm .form-buttons { height: 1; align-horizontal: right; }
    TeamForm .form-buttons Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="team.form.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="team.form.save"),
    ]

    def __init__(self, title: str, fields: list[FormField], submit: Submit, *, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.submit = submit
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe(self.title_text), classes="form-title")
            for spec in self.fields:
                with Horizontal(classes="form-row"):
                    yield Label(spec.label, classes="form-label")
                    yield self._widget(spec)
            yield Static("", id="form-error", classes="form-error")
            yield Static(
                Text(self.hint or _("Enter or ctrl+s saves, Esc cancels"), style="italic"), classes="form-hint"
            )
            with Horizontal(classes="form-buttons"):
                yield Button(_("Save"), id="form-save", variant="primary", compact=True)
                yield Button(_("Cancel"), id="form-cancel", compact=True)

    def _widget(self, spec: FormField) -> Input | Select[str] | Checkbox:
        widget_id = f"field-{spec.name}"
        if spec.kind == "select":
            return Select(spec.options, value=spec.value, allow_blank=False, compact=True, id=widget_id)
        if spec.kind == "checkbox":
            return Checkbox("", value=bool(spec.value), compact=True, id=widget_id)
        suggester = SuggestFromList(spec.suggestions, case_sensitive=False) if spec.suggestions else None
        return Input(
            str(spec.value or ""), placeholder=spec.placeholder, compact=True, suggester=suggester, id=widget_id
        )

    def on_mount(self) -> None:
        first = self.query(".form-row > Input, .form-row > Select, .form-row > Checkbox").first()
        first.focus()

    def values(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for spec in self.fields:
            widget = self.query_one(f"#field-{spec.name}")
            result[spec.name] = widget.value  # type: ignore[attr-defined]
        return result

    def action_save(self) -> None:
        error = self.submit(self.values())
        if error:
            self.query_one("#form-error", Static).update(safe(error))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
