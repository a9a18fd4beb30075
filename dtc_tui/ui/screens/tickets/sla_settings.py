"""SLA settings: policies in match order (add, edit, activate, reorder), calendars (add, edit:
weekly rows, time zone, holidays), and "test this policy".

Data access goes through ``ui/facades/sla.SlaFacade``; every change is validated, audited and
re-applied to the open tickets in one transaction by ``services/tickets/sla_admin``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from dtc_tui.i18n import N_, _
from dtc_tui.services.common import localefmt, periods
from dtc_tui.services.tickets.sla_admin import CalendarView, PolicyView
from dtc_tui.services.tickets.sla_validation import SlaSettingError
from dtc_tui.ui.facades.sla import SlaFacade
from dtc_tui.ui.safe import safe, safe_block
from dtc_tui.ui.screens.base import TitleBar
from dtc_tui.ui.screens.tickets.sla_forms import CalendarForm, PolicyForm
from dtc_tui.ui.widgets.footer import KeysFooter

METRIC_LABEL = {
    "first_response": N_("First response"),
    "next_response": N_("Next response"),
    "resolution": N_("Resolution"),
}


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal cells (a Chinese character takes two)."""
    return text + " " * max(0, width - cell_len(text))


def _minutes(value: int | None) -> str:
    if value is None:
        return "-"
    hours, minutes = divmod(value, 60)
    return f"{hours}h{minutes:02d}" if hours else f"{minutes}m"


class SlaSettingsScreen(Screen[None]):
    AREA = "tickets"
    AREA_TITLE = N_("SLA settings")
    DEFAULT_CSS = """
    SlaSettingsScreen .sla-heading { padding: 0 1; text-style: bold; }
    SlaSettingsScreen #policies { height: auto; max-height: 12; }
    SlaSettingsScreen #calendars { height: auto; max-height: 6; }
    SlaSettingsScreen #try-start { margin: 0 1; }
    SlaSettingsScreen #try-result, SlaSettingsScreen #sla-message { padding: 0 1; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back"), id="sla.back"),
        Binding("space", "toggle_active", N_("On/off"), id="sla.toggle"),
        Binding("[", "move(-1)", N_("Up"), id="sla.up"),
        Binding("]", "move(1)", N_("Down"), id="sla.down"),
        Binding("t", "try_policy", N_("Test policy"), id="sla.try"),
        Binding("a", "add_policy", N_("Add policy"), id="sla.policy.add"),
        Binding("e", "edit", N_("Edit"), id="sla.edit"),
        Binding("C", "add_calendar", N_("Add calendar"), id="sla.calendar.add"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.policies: list[PolicyView] = []
        self.calendar_views: list[CalendarView] = []

    @property
    def facade(self) -> SlaFacade:
        return self.app.facades.sla  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(_("Policies (the first active match wins)"), classes="sla-heading")
        yield DataTable(id="policies", cursor_type="row", zebra_stripes=True)
        yield Static(_("Calendars"), classes="sla-heading")
        yield DataTable(id="calendars", cursor_type="row")
        yield Input(placeholder=_("test the policy: start time, e.g. 2026-03-27T16:00+01:00"), id="try-start")
        yield Static(id="try-result")
        yield Static(id="sla-message")
        yield KeysFooter()

    def on_mount(self) -> None:
        policies = self.query_one("#policies", DataTable)
        policies.add_columns("#", _("Policy"), _("On"), _("Matches"), _("First"), _("Next"), _("Resolve"), _("Clock"))
        calendars = self.query_one("#calendars", DataTable)
        calendars.add_columns(_("Calendar"), _("Time zone"), _("Hours"), _("Holidays"))
        self.reload()
        policies.focus()

    def reload(self, keep: str | None = None) -> None:
        self.policies = self.facade.policies()
        table = self.query_one("#policies", DataTable)
        row = table.cursor_row
        table.clear()
        warnings = []
        for p in self.policies:
            clock = _("business: {calendar}").format(calendar=p.calendar) if p.business_hours else "24/7"
            table.add_row(
                str(p.position),
                safe(p.name),
                Text(_("on") if p.active else _("off"), style="green" if p.active else "dim"),
                safe(p.match_text()),
                _minutes(p.first_response_minutes),
                _minutes(p.next_response_minutes),
                _minutes(p.resolution_minutes),
                safe(clock),
            )
            if p.problem:
                warnings.append(p.problem)
        if keep is not None:
            row = next((i for i, p in enumerate(self.policies) if p.name == keep), row)
        if self.policies:
            table.move_cursor(row=min(max(row, 0), len(self.policies) - 1))
        calendars = self.query_one("#calendars", DataTable)
        calendar_row = calendars.cursor_row
        calendars.clear()
        self.calendar_views = self.facade.calendars()
        if self.calendar_views:
            calendars.move_cursor(row=min(max(calendar_row, 0), len(self.calendar_views) - 1))
        for c in self.calendar_views:
            calendars.add_row(
                safe(c.name), c.timezone, safe(c.weekly_text or _("closed")), localefmt.number(len(c.holidays))
            )
            warnings += [w for w in ([c.problem] if c.problem else []) + c.notes]
        self.query_one("#sla-message", Static).update(
            safe_block("\n".join(_("WARNING: {warning}").format(warning=w) for w in warnings))
        )

    def current(self) -> PolicyView | None:
        table = self.query_one("#policies", DataTable)
        if not self.policies:
            return None
        return self.policies[min(table.cursor_row, len(self.policies) - 1)]

    def say(self, message: str) -> None:
        self.query_one("#sla-message", Static).update(safe_block(message))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_active(self) -> None:
        policy = self.current()
        if policy is None:
            return
        try:
            self.facade.set_active(policy.name, not policy.active)
        except SlaSettingError as exc:
            self.say(str(exc))
            return
        self.reload(keep=policy.name)
        now_on = not policy.active
        self.say(
            (_("{name}: on; open tickets re-applied") if now_on else _("{name}: off; open tickets re-applied")).format(
                name=policy.name
            )
        )

    def action_move(self, step: int) -> None:
        policy = self.current()
        if policy is None:
            return
        index = self.policies.index(policy)
        self.facade.move_policy(policy.name, max(0, index + step))
        self.reload(keep=policy.name)
        self.say(_("{name} moved; open tickets re-applied").format(name=policy.name))

    def current_calendar(self) -> CalendarView | None:
        table = self.query_one("#calendars", DataTable)
        if not self.calendar_views:
            return None
        return self.calendar_views[min(table.cursor_row, len(self.calendar_views) - 1)]

    def _after_form(self, keep: str | None) -> Callable[[bool | None], None]:
        def done(saved: bool | None) -> None:
            self.reload(keep=keep)
            if saved:
                self.say(_("saved; open tickets re-applied"))

        return done

    def action_add_policy(self) -> None:
        names = [c.name for c in self.calendar_views]
        self.app.push_screen(PolicyForm(self.facade, None, names), self._after_form(None))

    def action_edit(self) -> None:
        """Edit the policy under the cursor, or the calendar when the calendars table has focus."""
        if self.query_one("#calendars", DataTable).has_focus:
            calendar = self.current_calendar()
            if calendar is not None:
                self.app.push_screen(CalendarForm(self.facade, calendar), self._after_form(None))
            return
        policy = self.current()
        if policy is not None:
            names = [c.name for c in self.calendar_views]
            self.app.push_screen(PolicyForm(self.facade, policy, names), self._after_form(policy.name))

    def action_add_calendar(self) -> None:
        self.app.push_screen(CalendarForm(self.facade, None), self._after_form(None))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_try_policy(self) -> None:
        self.query_one("#try-start", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        policy = self.current()
        if policy is None or event.input.id != "try-start":
            return
        try:
            start = periods.parse_moment(event.value, self.app.clock.now())  # type: ignore[attr-defined]
        except periods.PeriodError as exc:
            self.query_one("#try-result", Static).update(safe(str(exc)))
            return
        try:
            dues = self.facade.try_policy(policy.name, start)
        except SlaSettingError as exc:
            self.query_one("#try-result", Static).update(safe(str(exc)))
            return
        lines = [_("{name} from {start} UTC:").format(name=policy.name, start=localefmt.weekday_iso_moment(start))] + [
            "  "
            + _pad(_(METRIC_LABEL[metric]) if metric in METRIC_LABEL else metric, 15)
            + f" {_minutes(target):>6}  "
            + _("due {when} UTC").format(when=localefmt.weekday_iso_moment(due))
            for metric, target, due in dues
        ]
        self.query_one("#try-result", Static).update(safe_block("\n".join(lines)))
