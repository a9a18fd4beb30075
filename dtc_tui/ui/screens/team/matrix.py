"""Team: the RACI grid (duties x people), the failed checks and the routing table.

Keys: arrows move between cells; r/a/c/i set the cell, space/backspace clear it (saved at once,
audited, refused if someone changed the cell meanwhile); Tab reaches the side panel, where Enter
on a check jumps to its cell and Enter on a route edits the rule; v switches the panel between
checks and routing; n/e add and edit duties, N/E people (a form's Active box deactivates).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any, ClassVar
from zoneinfo import available_timezones

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.overview.targets import Target, TeamTarget
from dtc_tui.services.team import ops as team_ops
from dtc_tui.services.team.checks import Check, severity
from dtc_tui.services.team.hours import describe, is_on_duty
from dtc_tui.services.team.matrix import VIA_WORDS, DutyInfo, PersonInfo, RouteRow, function_label
from dtc_tui.services.team.view import TeamView
from dtc_tui.ui import states
from dtc_tui.ui.facades.team import FUNCTIONS
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import AreaScreen
from dtc_tui.ui.screens.team.forms import FormField, TeamForm
from dtc_tui.ui.screens.team.grid import TeamGrid
from dtc_tui.ui.widgets.vim import VimOptionList

ROLE_WORDS = {"R": N_("Responsible"), "A": N_("Accountable"), "C": N_("Consulted"), "I": N_("Informed")}
LEVELS = ("error", "warning", "notice")
CHECK_STYLE = {"error": "bold red", "warning": "bold yellow", "notice": "yellow"}
_TIMEZONES: tuple[str, ...] = ()


def timezones() -> tuple[str, ...]:
    global _TIMEZONES
    if not _TIMEZONES:
        _TIMEZONES = tuple(sorted(available_timezones()))
    return _TIMEZONES


def check_prompt(check: Check) -> Text:
    text = Text()
    level = severity(check.code)
    text.append(
        states.glyph("at_risk" if level == "notice" else "breached") + " ",
        style=states.style("breached", CHECK_STYLE[level]),
    )
    text.append_text(safe(check.message))
    return text


def route_prompt(row: RouteRow) -> Text:
    text = Text(row.category, style="bold")
    text.append(" → ")
    text.append_text(safe(row.duty_code or _("no duty"), style="" if row.duty_code else "red"))
    text.append("\n  " + _("owner") + " ")
    text.append_text(_who(row.owner_handle, row.owner_on_duty))
    text.append("  " + _("backup") + " ")
    text.append_text(_who(row.backup_handle, row.backup_on_duty))
    route = row.route
    text.append("\n  → ")
    if route.via == "none":
        text.append_text(states.mark("breached", _("nobody: {reason}").format(reason=route.reason)))
    elif not route.on_duty:
        text.append_text(states.mark("breached", safe(route.person_handle or "")))
        text.append(_(", nobody on duty"), style=states.style("breached"))
    else:
        text.append_text(safe(route.person_handle or "", style="bold green"))
        text.append(f" ({_(VIA_WORDS.get(route.via, route.via))})", style="dim")
    return text


def _who(handle: str | None, on_duty: bool) -> Text:
    if handle is None:
        return Text("-", style="dim")
    text = safe(handle)
    text.append(" ●" if on_duty else " ○", style="green" if on_duty else "dim")
    return text


class TeamScreen(AreaScreen):
    AREA = "team"
    AREA_TITLE = N_("Team")
    CSS_PATH = "team.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "toggle_panel", N_("Panel"), id="team.panel"),
        Binding("n", "new_duty", N_("New duty"), id="team.new_duty"),
        Binding("e", "edit_duty", N_("Edit duty"), id="team.edit_duty"),
        Binding("N", "new_person", N_("New person"), show=False, id="team.new_person"),
        Binding("E", "edit_person", N_("Edit person"), show=False, id="team.edit_person"),
        Binding("H", "toggle_inactive", N_("Show inactive"), show=False, id="team.inactive"),
        Binding("escape", "focus_grid", N_("Back to grid"), show=False, id="team.focus_grid"),
    ]
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [
        (N_("arrows, j/k"), N_("Move between cells")),
        ("Tab", N_("Go to the side panel (checks or routes)")),
        (N_("Enter (checks)"), N_("Jump to the cell the check points at")),
        (N_("Enter (routes)"), N_("Edit the rule: category -> duty, backup")),
        (N_("! / ~ before a duty"), N_("A failed check (error or warning) / only one holder, no backup")),
        (N_("! in a cell"), N_("Where to fix a failed check (the cell is tinted red too)")),
        ("● / ○", N_("On duty now / off duty (own time zone and hours)")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: TeamView | None = None
        self.panel = "checks"
        self.show_inactive = False
        self._minute: tuple[int, int] | None = None
        self._ready = False  # screen-resume can arrive before the side panel's children are mounted

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="team-body"):
            yield TeamGrid(id="team-grid")
            with Vertical(id="team-side"):
                yield Static(id="team-side-title")
                yield VimOptionList(id="team-checks")
                yield VimOptionList(id="team-routes")
        yield Static(id="team-status", classes="status-line")

    def on_mount(self) -> None:
        super().on_mount()
        self._ready = True
        self.grid.focus()
        self.reload_data()

    @property
    def grid(self) -> TeamGrid:
        return self.query_one("#team-grid", TeamGrid)

    # --- data ---------------------------------------------------------------------------------

    def reload_data(self) -> None:
        if not self._ready:
            return
        view = self.dtc.facades.team.view(include_inactive=self.show_inactive)
        now = view.at
        self.view = view
        self._minute = (now.hour, now.minute)
        m = view.matrix
        marks: dict[int, str] = {}
        for check in view.checks:  # the loudest check of each duty marks its row
            level, current = severity(check.code), marks.get(check.duty_id or 0)
            if check.duty_id and (current is None or LEVELS.index(level) < LEVELS.index(current)):
                marks[check.duty_id] = level
        self.grid.set_data(
            m.people,
            m.duties,
            m.roles,
            flagged_cells={
                (c.duty_id, c.person_id)
                for c in view.checks
                if c.duty_id and c.person_id and severity(c.code) != "notice"
            },
            duty_marks=marks,
            flagged_people={
                c.person_id
                for c in view.checks
                if c.person_id and c.code in ("overloaded", "too_many_functions", "cs_merged", "bad_schedule")
            },
        )
        self._fill(
            self.query_one("#team-checks", OptionList),
            [Option(check_prompt(c), id=str(i)) for i, c in enumerate(view.checks)]
            or [Option(states.mark("met", _("All checks pass.")), id="none", disabled=True)],
        )
        self._fill(
            self.query_one("#team-routes", OptionList), [Option(route_prompt(r), id=r.category) for r in view.routes]
        )
        self._show_panel()
        failed = len(view.checks)
        self.set_title_text(
            ngettext("{count} duty", "{count} duties", len(m.duties)).format(count=len(m.duties))
            + " · "
            + ngettext("{count} person", "{count} people", len(m.people)).format(count=len(m.people))
            + " · "
            + (
                ngettext("{count} check failed", "{count} checks failed", failed).format(count=failed)
                if failed
                else _("all checks pass")
            )
        )
        self.update_status()

    @staticmethod
    def _fill(option_list: OptionList, options: list[Option]) -> None:
        highlighted = option_list.highlighted
        option_list.clear_options()
        option_list.add_options(options)
        if options:
            option_list.highlighted = min(highlighted or 0, len(options) - 1)

    def on_tick(self) -> None:
        # Who is on duty changes by the minute; nothing else here depends on the clock.
        now = self.dtc.clock.now()
        if self._minute != (now.hour, now.minute):
            self.reload_data()

    def _show_panel(self) -> None:
        checks = self.query_one("#team-checks", OptionList)
        routes = self.query_one("#team-routes", OptionList)
        checks.display = self.panel == "checks"
        routes.display = self.panel == "routes"
        view = self.view
        title = Text()
        if self.panel == "checks":
            count = len(view.checks) if view else 0
            title.append(_("Checks: {count} failed").format(count=count) if count else _("Checks"), style="bold")
        else:
            title.append(_("Routing now"), style="bold")
        title.append("  v: " + (_("routing") if self.panel == "checks" else _("checks")), style="dim")
        self.query_one("#team-side-title", Static).update(title)

    def update_status(self) -> None:
        duty, person = self.grid.cursor_duty, self.grid.cursor_person
        text = Text()
        if duty is None:
            text.append(_("No duties yet: n adds one; or run: dtc-tui team template growth"))
        else:
            text.append_text(safe(duty.name, style="bold"))
            text.append(f" ({function_label(duty.function).lower()})", style="dim")
            if person is not None:
                role = self.grid.cursor_role()
                text.append(" · ")
                text.append_text(safe(person.handle, style="bold"))
                text.append(f": {_(ROLE_WORDS[role])}" if role else ": -")
                now = self.dtc.clock.now()
                on = is_on_duty(person, now)
                text.append("  ")
                text.append_text(safe(describe(person), style="dim"))
                text.append(" " + (_("on duty") if on else _("off duty")), style="green" if on else "dim")
            hits = [
                c
                for c in (self.view.checks if self.view else [])
                if c.duty_id == duty.id and (c.person_id is None or person is None or c.person_id == person.id)
            ]
            if hits:
                text.append("  ")
                text.append_text(states.mark("breached", hits[0].code))
        self.query_one("#team-status", Static).update(text)

    @on(TeamGrid.CellMoved)
    def _cell_moved(self) -> None:
        self.update_status()

    # --- editing cells ------------------------------------------------------------------------

    @on(TeamGrid.RoleRequested)
    def _role_requested(self, event: TeamGrid.RoleRequested) -> None:
        if event.role == event.expected:
            return
        try:
            self.dtc.facades.team.set_role(
                duty_id=event.duty.id, person_id=event.person.id, role=event.role, expected=event.expected
            )
        except team_ops.TeamError as exc:
            self.dtc.notify_safe(str(exc), title=_("Not saved"), severity="warning")
        self.dtc.mark_seen()
        self.reload_data()

    # --- side panel ---------------------------------------------------------------------------

    def action_toggle_panel(self) -> None:
        self.panel = "routes" if self.panel == "checks" else "checks"
        self._show_panel()

    def action_focus_grid(self) -> None:
        self.grid.focus()

    @on(OptionList.OptionSelected, "#team-checks")
    def _check_selected(self, event: OptionList.OptionSelected) -> None:
        if self.view is None or event.option.id in (None, "none"):
            return
        check = self.view.checks[int(event.option.id)]
        if check.duty_id is None and check.category is not None:
            self.show_route(check.category)
            return
        self.grid.move_to(check.duty_id, check.person_id)
        self.grid.focus()

    def show_target(self, target: Target) -> None:
        """From the overview: jump to the duty (and person) a check points at, or to a route."""
        if self.view is None:
            return
        if not isinstance(target, TeamTarget):
            return
        if target.duty_code:
            duty = self.view.matrix.duty_by_code(target.duty_code)
            person = next((p for p in self.view.matrix.people if p.handle == target.person_handle), None)
            if duty is not None:
                self.grid.move_to(duty.id, person.id if person else None)
                self.grid.focus()
                return
        if target.category:
            self.show_route(target.category)

    def show_route(self, category: str) -> None:
        self.panel = "routes"
        self._show_panel()
        routes = self.query_one("#team-routes", OptionList)
        with suppress(OptionDoesNotExist):  # an unknown category leaves the highlight alone
            routes.highlighted = routes.get_option_index(category)
        routes.focus()

    @on(OptionList.OptionSelected, "#team-routes")
    def _route_selected(self, event: OptionList.OptionSelected) -> None:
        row = next((r for r in (self.view.routes if self.view else []) if r.category == event.option.id), None)
        if row is not None:
            self.edit_rule(row)

    # --- forms --------------------------------------------------------------------------------

    def _saved(self, result: bool | None) -> None:
        if result:
            self.dtc.mark_seen()
            self.reload_data()

    def _guard(self, save: Any) -> str | None:
        """Run a save; a refused change comes back as the form's error line."""
        try:
            save()
        except team_ops.TeamError as exc:
            return str(exc)
        return None

    def _person_fields(self, person: PersonInfo | None) -> list[FormField]:
        p = person
        fields = [
            FormField("name", _("Name"), value=p.name if p else "", placeholder="Ana Weber"),
            FormField("handle", _("Handle"), value=p.handle if p else "", placeholder="ana"),
            FormField(
                "os_user", _("OS user"), value=(p.os_user or "") if p else "", placeholder=_("login name (optional)")
            ),
            FormField(
                "timezone",
                _("Time zone"),
                value=p.timezone if p else "UTC",
                suggestions=timezones(),
                placeholder="Europe/Berlin",
            ),
            FormField(
                "work_hours",
                _("Hours"),
                value=p.work_hours if p else "09:00-18:00",
                placeholder=_("09:00-18:00, or 22:00-06:00, or 09:00-12:00,13:00-17:00"),
            ),
            FormField(
                "work_days", _("Days"), value=p.work_days if p else "12345", placeholder=_("12345 (Mon=1 ... Sun=7)")
            ),
        ]
        if p is not None:
            fields.append(FormField("active", _("Active"), kind="checkbox", value=p.active))
        return fields

    @staticmethod
    def _person_form(values: dict[str, Any], active: bool = True) -> team_ops.PersonForm:
        return team_ops.PersonForm(
            values["name"],
            values["handle"],
            values["os_user"] or None,
            values["timezone"],
            values["work_hours"],
            values["work_days"],
            bool(values.get("active", active)),
        )

    def action_new_person(self) -> None:
        def submit(values: dict[str, Any]) -> str | None:
            return self._guard(lambda: self.dtc.facades.team.add_person(self._person_form(values)))

        self.app.push_screen(TeamForm(_("New person"), self._person_fields(None), submit), self._saved)

    def action_edit_person(self) -> None:
        person = self.grid.cursor_person
        if person is None:
            self.dtc.notify_safe(_("No person here: N adds one."), title=_("Team"))
            return

        def submit(values: dict[str, Any]) -> str | None:
            return self._guard(
                lambda: self.dtc.facades.team.update_person(
                    person.id, self._person_form(values), expected_version=person.version
                )
            )

        self.app.push_screen(
            TeamForm(
                _("Edit person: {handle}").format(handle=person.handle),
                self._person_fields(person),
                submit,
                hint=_("Untick Active to deactivate. Enter or ctrl+s saves, Esc cancels"),
            ),
            self._saved,
        )

    def _duty_fields(self, duty: DutyInfo | None) -> list[FormField]:
        d = duty
        default_function = self.grid.cursor_duty.function if self.grid.cursor_duty else FUNCTIONS[0]
        fields = [
            FormField("code", _("Code"), value=d.code if d else "", placeholder=_("seo (lower case, unique)")),
            FormField("name", _("Name"), value=d.name if d else "", placeholder=_("What the duty is")),
            FormField(
                "function",
                _("Function"),
                kind="select",
                value=d.function if d else default_function,
                options=[(function_label(f), f) for f in FUNCTIONS],
            ),
            FormField("description", _("Notes"), value=d.description if d else "", placeholder=_("SOP link, scope...")),
        ]
        if d is not None:
            fields.append(FormField("active", _("Active"), kind="checkbox", value=d.active))
        return fields

    @staticmethod
    def _duty_form(values: dict[str, Any]) -> team_ops.DutyForm:
        return team_ops.DutyForm(
            values["code"],
            values["name"],
            str(values["function"]),
            values["description"],
            bool(values.get("active", True)),
        )

    def action_new_duty(self) -> None:
        def submit(values: dict[str, Any]) -> str | None:
            return self._guard(lambda: self.dtc.facades.team.add_duty(self._duty_form(values)))

        self.app.push_screen(TeamForm(_("New duty"), self._duty_fields(None), submit), self._saved)

    def action_edit_duty(self) -> None:
        duty = self.grid.cursor_duty
        if duty is None:
            self.dtc.notify_safe(_("No duty here: n adds one."), title=_("Team"))
            return

        def submit(values: dict[str, Any]) -> str | None:
            return self._guard(
                lambda: self.dtc.facades.team.update_duty(
                    duty.id, self._duty_form(values), expected_version=duty.version
                )
            )

        self.app.push_screen(
            TeamForm(
                _("Edit duty: {code}").format(code=duty.code),
                self._duty_fields(duty),
                submit,
                hint=_("Untick Active to deactivate. Enter or ctrl+s saves, Esc cancels"),
            ),
            self._saved,
        )

    def edit_rule(self, row: RouteRow) -> None:
        view = self.view
        if view is None:
            return
        duties = [(f"{d.code}  {d.name}", str(d.id)) for d in view.matrix.duties if d.active]
        people = [(f"{p.handle}  {p.name}", str(p.id)) for p in view.matrix.people if p.active]
        fields = [
            FormField(
                "duty", _("Duty"), kind="select", value=str(row.duty_id or ""), options=[(_("(none)"), ""), *duties]
            ),
            FormField(
                "backup",
                _("Backup"),
                kind="select",
                value=str(row.backup_id or ""),
                options=[(_("(none)"), ""), *people],
            ),
        ]
        expected = (row.duty_id, row.backup_id) if row.has_rule else None

        def submit(values: dict[str, Any]) -> str | None:
            return self._guard(
                lambda: self.dtc.facades.team.set_rule(
                    row.category,
                    duty_id=int(values["duty"]) if values["duty"] else None,
                    backup_person_id=int(values["backup"]) if values["backup"] else None,
                    expected=expected,
                )
            )

        self.app.push_screen(
            TeamForm(
                _("Route {category} tickets").format(category=row.category),
                fields,
                submit,
                hint=_(
                    "The duty's accountable person gets them; the backup when they are off duty. "
                    "ctrl+s saves, Esc cancels"
                ),
            ),
            self._saved,
        )

    def action_toggle_inactive(self) -> None:
        self.show_inactive = not self.show_inactive
        self.dtc.notify_safe(
            _("Showing inactive people and duties (dimmed).")
            if self.show_inactive
            else _("Hiding inactive people and duties."),
            title=_("Team"),
        )
        self.reload_data()

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        return [
            (_("Team: new person"), _("Add a person (N)"), self.action_new_person),
            (_("Team: edit person"), _("Edit the person in the current column (E)"), self.action_edit_person),
            (
                _("Team: show or hide inactive"),
                _("People and duties that were deactivated (H)"),
                self.action_toggle_inactive,
            ),
        ]
