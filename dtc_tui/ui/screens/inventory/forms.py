"""Small modal dialogs of the inventory screens: a one-line prompt, a yes/no question, a SKU's
reorder parameters and a PO receipt (full or partial)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from dtc_tui.i18n import N_, _
from dtc_tui.services.common import localefmt
from dtc_tui.services.inventory.purchasing import PoLine
from dtc_tui.services.inventory.stock_state import InventoryError, SkuParameters, validate_changes
from dtc_tui.ui.safe import safe

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; max-width: 95%; height: auto; max-height: 95%;
    border: round $accent; background: $surface; padding: 0 1; }}
{name} Input {{ height: 3; }}
{name} .inv-form-error {{ color: $error; height: auto; }}
{name} .inv-form-hint {{ color: $text-muted; height: auto; }}
{name} .inv-form-row {{ height: 3; }}
{name} .inv-form-row > Label {{ width: 1fr; padding: 1 1 0 0; }}
{name} .inv-form-row > Input {{ width: 20; }}
{name} VerticalScroll {{ height: auto; max-height: 70vh; }}
"""


class PromptForm(ModalScreen[Any]):
    """One value: ``parse`` turns the text into the result or raises ValueError with a message."""

    DEFAULT_CSS = FORM_CSS.format(name="PromptForm")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"), id="inventory_form.cancel")]

    def __init__(
        self,
        title: Text | str,
        label: str,
        value: str,
        parse: Callable[[str], Any],
        *,
        hint: str = N_("Enter saves, Esc cancels."),
    ) -> None:
        super().__init__()
        self.title_text = title if isinstance(title, Text) else Text(title, style="bold")
        self.label, self.value, self.parse, self.hint = label, value, parse, hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Label(self.label)
            yield Input(value=self.value, id="inv-prompt")
            yield Static("", classes="inv-form-error", id="inv-form-error")
            yield Static(_(self.hint), classes="inv-form-hint")

    def on_mount(self) -> None:
        self.query_one("#inv-prompt", Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        try:
            result = self.parse(event.value)
        except ValueError as exc:
            self.query_one("#inv-form-error", Static).update(safe(str(exc)))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmForm(ModalScreen[bool]):
    DEFAULT_CSS = FORM_CSS.format(name="ConfirmForm")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", N_("Yes"), id="inventory_form.yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="inventory_form.no"),
    ]

    def __init__(self, question: Text | str) -> None:
        super().__init__()
        self.question = question if isinstance(question, Text) else Text(question)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Static(_("y / Enter: yes    n / Esc: no"), classes="inv-form-hint")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


PARAM_FIELDS = [
    ("lead_time_days", N_("Lead time (days)"), "supplier_lead_time_days"),
    ("moq", N_("Minimum order quantity"), "supplier_moq"),
    ("case_pack", N_("Case pack"), "supplier_case_pack"),
    ("buffer_days", N_("Buffer days"), None),
    ("review_cycle_days", N_("Review cycle (days)"), None),
    ("safety_method", N_("Safety stock: rule or stat"), None),
    ("abc_override", N_("Class override (A-D)"), None),
]


class SkuParamsForm(ModalScreen[dict[str, object] | None]):
    """Lead time, MOQ, case pack (blank: the supplier's), buffer days and review cycle of one SKU."""

    DEFAULT_CSS = FORM_CSS.format(name="SkuParamsForm")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"), id="inventory_form.cancel")]

    def __init__(self, code: str, params: SkuParameters) -> None:
        super().__init__()
        self.code, self.params = code, params

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text(_("Reorder parameters: "), style="bold")
            title.append_text(safe(self.code, style="bold"))
            yield Label(title)
            with VerticalScroll():
                for key, label, supplier_key in PARAM_FIELDS:
                    value = getattr(self.params, key)
                    placeholder = _("blank: computed") if key == "abc_override" else ""
                    if supplier_key is not None:
                        supplier_value = getattr(self.params, supplier_key)
                        placeholder = (
                            _("{value} (supplier)").format(value=supplier_value)
                            if supplier_value is not None
                            else _("blank")
                        )
                    with Horizontal(classes="inv-form-row"):
                        yield Label(_(label))
                        yield Input(value="" if value is None else str(value), placeholder=placeholder, id=f"inv-{key}")
            yield Static("", classes="inv-form-error", id="inv-form-error")
            yield Static(
                _(
                    "Blank lead time, MOQ or case pack = the supplier's; blank class = by revenue. "
                    "Enter saves, Esc cancels."
                ),
                classes="inv-form-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#inv-lead_time_days", Input).focus()

    @on(Input.Submitted)
    def _submit(self) -> None:
        changes: dict[str, object] = {}
        for key, _label, _supplier in PARAM_FIELDS:
            raw = self.query_one(f"#inv-{key}", Input).value.strip()
            current = getattr(self.params, key)
            if raw != ("" if current is None else str(current)):
                changes[key] = raw.lower() if key == "safety_method" else (raw or None)
        try:
            clean = validate_changes(changes)
        except InventoryError as exc:
            self.query_one("#inv-form-error", Static).update(safe(str(exc)))
            return
        self.dismiss(clean)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReceiveForm(ModalScreen[dict[str, int] | None]):
    """How many units of each open line arrived (prefilled with the open quantity: Enter = all)."""

    DEFAULT_CSS = FORM_CSS.format(name="ReceiveForm")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"), id="inventory_form.cancel")]

    def __init__(self, number: str, lines: Sequence[PoLine]) -> None:
        super().__init__()
        self.number = number
        self.lines = [line for line in lines if line.open_qty > 0]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(_("Receive {number}").format(number=self.number), style="bold"))
            with VerticalScroll():
                for index, line in enumerate(self.lines):
                    with Horizontal(classes="inv-form-row"):
                        label = safe(line.code)
                        label.append(
                            "  " + _("open {count}").format(count=localefmt.number(line.open_qty)), style="dim"
                        )
                        yield Label(label)
                        yield Input(value=str(line.open_qty), id=f"inv-receive-{index}")
            yield Static("", classes="inv-form-error", id="inv-form-error")
            yield Static(
                _("Units that arrived per line (0 = none yet). Stock rises at once. Enter saves, Esc cancels."),
                classes="inv-form-hint",
            )

    def on_mount(self) -> None:
        if self.lines:
            self.query_one("#inv-receive-0", Input).focus()

    @on(Input.Submitted)
    def _submit(self) -> None:
        result: dict[str, int] = {}
        for index, line in enumerate(self.lines):
            raw = self.query_one(f"#inv-receive-{index}", Input).value.strip() or "0"
            if not raw.isdigit():
                self.query_one("#inv-form-error", Static).update(
                    safe(_("{sku}: {value!r} is not a whole number").format(sku=line.code, value=raw))
                )
                return
            qty = int(raw)
            if qty > line.open_qty:
                self.query_one("#inv-form-error", Static).update(
                    safe(
                        _("{sku}: {qty} is more than the {open} still open").format(
                            sku=line.code, qty=qty, open=line.open_qty
                        )
                    )
                )
                return
            if qty:
                result[line.code] = qty
        if not result:
            self.query_one("#inv-form-error", Static).update(_("Nothing to receive: every quantity is 0."))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
