"""Small modal dialogs of the ads screen: a campaign's targets, a custom period, and the list of
alerts and budget suggestions."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from dtc_tui.i18n import N_, _
from dtc_tui.services.ads.metrics import Period, custom
from dtc_tui.services.common import periods
from dtc_tui.ui.safe import safe

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 60; max-width: 95%; height: auto; max-height: 90%;
    border: round $accent; background: $surface; padding: 0 1; }}
{name} Input {{ height: 3; }}
{name} .ads-form-error {{ color: $error; height: auto; }}
{name} .ads-form-hint {{ color: $text-muted; height: auto; }}
"""


class TargetsForm(ModalScreen[tuple[float | None, float | None] | None]):
    """Target ROAS and target CPA of one campaign; blank means "use the default"."""

    DEFAULT_CSS = FORM_CSS.format(name="TargetsForm")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="ads_form.cancel"),
    ]

    def __init__(
        self,
        campaign: str,
        target_roas: float | None,
        target_cpa: float | None,
        default_roas: float,
        currency: str = "USD",
    ) -> None:
        super().__init__()
        self.campaign = campaign
        self.currency = currency
        self.initial = (target_roas, target_cpa)
        self.default_roas = default_roas

    def compose(self) -> ComposeResult:
        roas, cpa = self.initial
        with Vertical():
            title = Text(_("Targets: "), style="bold")
            title.append_text(safe(self.campaign, style="bold"))
            yield Label(title)
            yield Label(_("Target ROAS (revenue / spend)"))
            yield Input(
                value="" if roas is None else f"{roas:g}",
                placeholder=_("blank = default {roas}").format(roas=f"{self.default_roas:g}"),
                id="ads-target-roas",
            )
            yield Label(_("Target CPA ({currency} per conversion)").format(currency=self.currency))
            yield Input(
                value="" if cpa is None else f"{cpa:g}", placeholder=_("blank = no CPA alert"), id="ads-target-cpa"
            )
            yield Static("", classes="ads-form-error", id="ads-form-error")
            yield Static(
                _("Enter saves, Esc cancels. The change is logged in the audit trail."), classes="ads-form-hint"
            )

    def on_mount(self) -> None:
        self.query_one("#ads-target-roas", Input).focus()

    @on(Input.Submitted)
    def _submit(self) -> None:
        from dtc_tui.services.ads.report import TargetError, parse_target  # the report module: after the first frame

        try:
            roas = parse_target(self.query_one("#ads-target-roas", Input).value, _("target ROAS"))
            cpa = parse_target(self.query_one("#ads-target-cpa", Input).value, _("target CPA"))
        except TargetError as exc:
            self.query_one("#ads-form-error", Static).update(safe(str(exc)))
            return
        self.dismiss((roas, cpa))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PeriodForm(ModalScreen[Period | None]):
    """A custom period: first and last day, both included."""

    DEFAULT_CSS = FORM_CSS.format(name="PeriodForm")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="ads_form.cancel"),
    ]

    def __init__(self, current: Period) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(_("Custom period"), style="bold"))
            yield Label(_("From (YYYY-MM-DD, yesterday, 7d ago...)"))
            yield Input(value=self.current.start.isoformat(), id="ads-period-from")
            yield Label(_("To, included (YYYY-MM-DD)"))
            yield Input(value=self.current.end.isoformat(), id="ads-period-to")
            yield Static("", classes="ads-form-error", id="ads-form-error")
            yield Static(
                _("Enter applies, Esc cancels. Compared with the period of equal length before it."),
                classes="ads-form-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#ads-period-from", Input).focus()

    @on(Input.Submitted)
    def _submit(self) -> None:
        try:
            now = self.app.clock.now()  # type: ignore[attr-defined]
            start = _parse_day(self.query_one("#ads-period-from", Input).value, _("From"), now)
            end = _parse_day(self.query_one("#ads-period-to", Input).value, _("To"), now)
            period = custom(start, end)
        except ValueError as exc:
            self.query_one("#ads-form-error", Static).update(safe(str(exc)))
            return
        self.dismiss(period)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _parse_day(value: str, what: str, now: datetime) -> date:
    """A day in the shared period language (2026-10-31, yesterday, 7d ago), named for the form."""
    try:
        return periods.parse_day(value, now)
    except periods.PeriodError as exc:
        raise periods.PeriodError(f"{what}: {exc}") from exc


class AdviceScreen(ModalScreen[None]):
    """The period's alerts and the budget suggestions, in words. Nothing here is applied."""

    DEFAULT_CSS = """
    AdviceScreen { align: center middle; }
    AdviceScreen > VerticalScroll { width: 100; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,b", "close", N_("Close"), id="ads_advice.close"),
    ]

    def __init__(self, title: str, alerts: list[tuple[str, str]], moves: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.alerts = alerts
        self.moves = moves

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(safe(self.title_text, style="bold"))
            yield Static(Text(_("Alerts"), style="bold underline"))
            if not self.alerts:
                yield Static(Text(_("none"), style="dim"))
            for subject, message in self.alerts:
                line = Text("• ", style="red")
                line.append_text(safe(subject, style="bold"))
                line.append(": ")
                line.append_text(safe(message))
                yield Static(line)
            yield Static(
                Text(_("Budget suggestions (never applied: change budgets in the ad platform)"), style="bold underline")
            )
            if not self.moves:
                yield Static(
                    Text(_("none: no campaign is below break-even while another is above target"), style="dim")
                )
            for move in self.moves:
                yield Static(Text("• ").append_text(safe(move)))
            yield Static(Text(_("Esc closes"), style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
