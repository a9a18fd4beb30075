"""The SLA settings screen's two forms: a policy, and a calendar (weekly rows, time zone, holidays).

Neither form checks anything itself: it hands what was typed to the facade, whose service runs
the one validation the importer and the CLI use (``sla_validation``). A refused save shows each
problem under its field and keeps every input as typed; a saved change is audited and re-applied
to the open tickets in the same transaction.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.common import localefmt
from dtc_tui.services.tickets.sla_admin import CalendarView, PolicyView
from dtc_tui.services.tickets.sla_validation import (
    WEEKDAYS,
    SlaSettingError,
    check_weekly_text,
    parse_target,
    timezone_names,
)
from dtc_tui.ui.facades.sla import SlaFacade
from dtc_tui.ui.safe import safe, safe_block

FORM_CSS = """
{cls} {{ align: center middle; }}
{cls} > VerticalScroll {{ width: 76; max-width: 98%; height: auto; max-height: 98%;
    border: round $accent; background: $surface; padding: 0 1; }}
{cls} .form-title {{ text-style: bold; }}
{cls} .form-row {{ height: 1; margin-top: 1; }}
{cls} .form-label {{ width: 16; color: $text-muted; }}
{cls} .form-row Input, {cls} .form-row Select {{ width: 1fr; }}
{cls} .field-error {{ color: $text-error; height: auto; padding-left: 16; }}
{cls} .form-hint {{ color: $text-muted; height: auto; margin-top: 1; }}
{cls} #form-error, {cls} #form-message {{ height: auto; }}
{cls} #form-error {{ color: $text-error; }}
"""


WEEKDAY_LABEL = {
    "mon": N_("Mon"),
    "tue": N_("Tue"),
    "wed": N_("Wed"),
    "thu": N_("Thu"),
    "fri": N_("Fri"),
    "sat": N_("Sat"),
    "sun": N_("Sun"),
}


def _minutes_text(value: int | None) -> str:
    if value is None:
        return ""
    hours, minutes = divmod(value, 60)
    if hours and minutes:
        return f"{hours}h{minutes:02d}"
    return f"{hours}h" if hours else str(minutes)


class _Form(ModalScreen[bool]):
    """Shared bits: a row per field with its own error line, problems mapped to the fields."""

    FIELD_OF: ClassVar[dict[str, str]] = {}  # a problem's field name -> the form row it belongs to

    def __init__(self, facade: SlaFacade) -> None:
        super().__init__()
        self.facade = facade
        self.saved = False

    def row(self, field: str, label: str, widget: Any) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(label, classes="form-label")
            yield widget
        yield Static("", id=f"err-{field}", classes="field-error")

    def text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def clear_errors(self) -> None:
        for error in self.query(".field-error").results(Static):
            error.update("")
        self.query_one("#form-error", Static).update("")

    def show_problems(self, problems: list[tuple[str, str]]) -> None:
        """Each problem under its field; one that belongs to no field above the buttons' hint."""
        general: list[str] = []
        by_field: dict[str, list[str]] = {}
        for name, message in problems:
            target = self.FIELD_OF.get(name, name)
            if self.query(f"#err-{target}"):
                by_field.setdefault(target, []).append(message)
            else:
                general.append(f"{name}: {message}")
        for target, messages in by_field.items():
            self.query_one(f"#err-{target}", Static).update(safe_block("\n".join(messages)))
        self.query_one("#form-error", Static).update(safe_block("\n".join(general)))

    def say(self, message: str) -> None:
        self.query_one("#form-message", Static).update(safe(message))

    def action_cancel(self) -> None:
        self.dismiss(self.saved)


class PolicyForm(_Form):
    """Add or edit a policy: name, position, what it matches, its targets, its clock, its pauses."""

    DEFAULT_CSS = FORM_CSS.format(cls="PolicyForm")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Close"), id="sla.policy.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="sla.policy.save"),
    ]
    FIELD_OF: ClassVar[dict[str, str]] = {
        "first_response_minutes": "first",
        "next_response_minutes": "next",
        "resolution_minutes": "resolution",
        "calendar_id": "clock",
        "calendar": "clock",
        "business_hours": "clock",
    }

    def __init__(self, facade: SlaFacade, policy: PolicyView | None, calendars: list[str]) -> None:
        super().__init__(facade)
        self.policy = policy
        self.calendars = calendars

    def compose(self) -> ComposeResult:
        p = self.policy
        with VerticalScroll():
            yield Label(safe(_("Policy {name}").format(name=p.name) if p else _("New policy")), classes="form-title")
            yield from self.row("name", _("Name"), Input(p.name if p else "", id="f-name", compact=True))
            yield from self.row(
                "position",
                _("Position"),
                Input(
                    str(p.position) if p else "",
                    placeholder=_("0 = checked first; empty = last"),
                    id="f-position",
                    compact=True,
                ),
            )
            for field, label, value, hint in (
                ("match_priority", N_("Priority"), p.match_priority if p else "", "low,normal,high,urgent"),
                ("match_channel", N_("Channel"), p.match_channel if p else "", "email,chat,whatsapp,..."),
                ("match_category", N_("Category"), p.match_category if p else "", "returns,presales,..."),
                ("match_tier", N_("Customer tier"), p.match_tier if p else "", "vip,standard"),
            ):
                hint = _("{values}; empty = any").format(values=hint)
                yield from self.row(field, _(label), Input(value, placeholder=hint, id=f"f-{field}", compact=True))
            targets: tuple[tuple[str, str, int | None], ...] = (
                ("first", N_("First response"), p.first_response_minutes if p else None),
                ("next", N_("Next response"), p.next_response_minutes if p else None),
                ("resolution", N_("Resolution"), p.resolution_minutes if p else None),
            )
            for field, label, minutes in targets:
                yield from self.row(
                    field,
                    _(label),
                    Input(
                        _minutes_text(minutes),
                        placeholder=_("90, 4h, 1h30; empty = none"),
                        id=f"f-{field}",
                        compact=True,
                    ),
                )
            options = [(_("24/7 (calendar hours)"), "")] + [
                (_("business hours: {name}").format(name=name), name) for name in self.calendars
            ]
            current = p.calendar if p and p.business_hours and p.calendar in self.calendars else ""
            yield from self.row(
                "clock", _("Clock"), Select(options, value=current or "", allow_blank=False, id="f-clock", compact=True)
            )
            yield from self.row(
                "pause_statuses",
                _("Pauses on"),
                Input(
                    p.pause_statuses if p else "pending,on_hold",
                    placeholder=_("pending,on_hold; empty = never pauses"),
                    id="f-pause_statuses",
                    compact=True,
                ),
            )
            yield Static("", id="form-error")
            yield Static("", id="form-message")
            yield Static(Text(_("Enter or ctrl+s saves, Esc closes"), style="italic"), classes="form-hint")

    def on_mount(self) -> None:
        self.query_one("#f-name", Input).focus()

    def action_save(self) -> None:
        self.clear_errors()
        problems: list[tuple[str, str]] = []
        changes: dict[str, Any] = {}
        name = self.text("f-name").strip()
        for field, column in (
            ("first", "first_response_minutes"),
            ("next", "next_response_minutes"),
            ("resolution", "resolution_minutes"),
        ):
            try:
                changes[column] = parse_target(self.text(f"f-{field}"), field)
            except SlaSettingError as exc:
                problems += exc.problems
        position: int | None = None
        position_text = self.text("f-position").strip()
        if position_text:
            if position_text.isdigit():
                position = int(position_text)
            else:
                problems.append(
                    ("position", _("{value!r}: a whole number, 0 = checked first").format(value=position_text))
                )
        for field in ("match_priority", "match_channel", "match_category", "match_tier"):
            changes[field] = ",".join(part.strip() for part in self.text(f"f-{field}").split(",") if part.strip())
        changes["pause_statuses"] = ",".join(
            part.strip() for part in self.text("f-pause_statuses").split(",") if part.strip()
        )
        calendar = self.query_one("#f-clock", Select).value
        changes["business_hours"] = bool(calendar)
        if calendar:
            changes["calendar"] = calendar
        if not name:
            problems.append(("name", _("a policy needs a name")))
        if problems:
            self.show_problems(problems)
            return
        try:
            if self.policy is None:
                saved = self.facade.save_policy(name, changes, create=True, position=position)
            else:
                saved = self.facade.save_policy(
                    self.policy.name, {**changes, "name": name}, create=False, position=position
                )
        except SlaSettingError as exc:
            self.show_problems(exc.problems)
            return
        self.saved = True
        self.dismiss(bool(saved))

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()


class CalendarForm(_Form):
    """Add or edit a calendar: name, time zone (searchable list), one row per weekday, holidays.

    Save keeps the form open (holidays need a saved calendar); each holiday change is saved at once.
    """

    DEFAULT_CSS = (
        FORM_CSS.format(cls="CalendarForm")
        + """
    CalendarForm #tz-list { height: 5; margin-left: 16; border: none; }
    CalendarForm #holiday-list { height: auto; max-height: 6; padding-left: 16; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Close"), id="sla.calendar.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="sla.calendar.save"),
    ]
    FIELD_OF: ClassVar[dict[str, str]] = {"country": "copy", "subdivision": "copy", "calendar": "form"}

    def __init__(self, facade: SlaFacade, calendar: CalendarView | None) -> None:
        super().__init__(facade)
        self.calendar = calendar
        self.zones = timezone_names()

    def compose(self) -> ComposeResult:
        c = self.calendar
        rows = _day_rows(c.weekly_text if c else "mon-fri 09:00-17:00")
        with VerticalScroll():
            yield Label(
                safe(_("Calendar {name}").format(name=c.name) if c else _("New calendar")),
                id="form-title",
                classes="form-title",
            )
            yield from self.row("name", _("Name"), Input(c.name if c else "", id="f-name", compact=True))
            yield from self.row(
                "timezone",
                _("Time zone"),
                Input(c.timezone if c else "", placeholder=_("type to search: Berlin, Los_Angeles"), id="f-timezone",
                      compact=True),
            )  # fmt: skip
            yield OptionList(id="tz-list", compact=True)
            for day, name in enumerate(WEEKDAYS, start=1):
                yield from self.row(
                    f"day-{day}",
                    _(WEEKDAY_LABEL[name]),
                    Input(
                        rows.get(day, ""), placeholder=_("09:00-12:00, 13:00-17:00; empty = closed"), id=f"f-day-{day}",
                        compact=True,
                    ),
                )  # fmt: skip
            yield Static("", id="err-weekly", classes="field-error")
            yield Label(_("Holidays (whole local days)"), classes="form-title")
            yield Static("", id="holiday-list")
            yield from self.row(
                "holiday",
                _("Add a day"),
                Input(placeholder=_("2026-12-24 Christmas Eve"), id="f-holiday", compact=True),
            )
            yield from self.row(
                "copy",
                _("Copy country"),
                Input(placeholder=_("country year [subdivision]: DE 2026 BE, US 2026"), id="f-copy", compact=True),
            )
            yield from self.row(
                "remove", _("Remove a day"), Input(placeholder="2026-12-24", id="f-remove", compact=True)
            )
            yield Static("", id="form-error")
            yield Static("", id="form-message")
            yield Static(
                Text(
                    _("ctrl+s saves (the form stays open); Enter in a holiday box saves that; Esc closes"),
                    style="italic",
                ),
                classes="form-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#f-name", Input).focus()
        self._show_holidays()
        self._filter_zones(self.text("f-timezone"))

    # --- time zone picker ---------------------------------------------------------------------

    def _filter_zones(self, text: str) -> None:
        needle = text.strip().lower().replace(" ", "_")
        if needle and needle in (zone.lower() for zone in self.zones):
            matches = [zone for zone in self.zones if zone.lower() == needle]
        else:
            matches = [zone for zone in self.zones if needle in zone.lower()][:50]
        options = self.query_one("#tz-list", OptionList)
        options.clear_options()
        options.add_options([Option(zone, id=zone) for zone in matches])
        if matches:
            options.highlighted = 0

    @on(Input.Changed, "#f-timezone")
    def _zone_typed(self, event: Input.Changed) -> None:
        self._filter_zones(event.value)

    @on(OptionList.OptionSelected, "#tz-list")
    def _zone_picked(self, event: OptionList.OptionSelected) -> None:
        self._pick_zone(str(event.option.id))

    def _pick_zone(self, zone: str) -> None:
        box = self.query_one("#f-timezone", Input)
        box.value = zone
        box.cursor_position = len(zone)
        self.say(_("time zone {zone}").format(zone=zone))

    # --- saving -------------------------------------------------------------------------------

    def _week_text(self) -> str:
        return "; ".join(
            f"{WEEKDAYS[day - 1]} {self.text(f'f-day-{day}').strip()}"
            for day in range(1, 8)
            if self.text(f"f-day-{day}").strip()
        )

    def _day_problems(self) -> list[tuple[str, str]]:
        """Each weekday row checked alone by the one weekly-hours check, so an error sits on its row."""
        problems = []
        for day in range(1, 8):
            text = self.text(f"f-day-{day}").strip()
            if text:
                problems += [(f"day-{day}", m) for m in check_weekly_text(f"{WEEKDAYS[day - 1]} {text}").errors]
        return problems

    def action_save(self) -> None:
        self.clear_errors()
        problems = self._day_problems()
        if problems:
            self.show_problems(problems)
            return
        name = self.text("f-name").strip()
        try:
            if self.calendar is None:
                saved = self.facade.save_calendar(
                    name, timezone=self.text("f-timezone").strip(), hours=self._week_text()
                )
            else:
                saved = self.facade.save_calendar(
                    self.calendar.name,
                    timezone=self.text("f-timezone").strip(),
                    hours=self._week_text(),
                    new_name=name,
                )
        except SlaSettingError as exc:
            self.show_problems([("weekly" if f == "weekly_hours" else f, m) for f, m in exc.problems])
            return
        self.calendar = saved
        self.saved = True
        self.query_one("#form-title", Label).update(safe(_("Calendar {name}").format(name=saved.name)))
        self.say(
            _("saved {name}: {zone}, {hours}; open tickets re-applied").format(
                name=saved.name, zone=saved.timezone, hours=saved.weekly_text or _("closed")
            )
        )

    # --- holidays -----------------------------------------------------------------------------

    def _show_holidays(self) -> None:
        days = self.calendar.holidays if self.calendar else []
        text = "\n".join(f"{localefmt.weekday_iso_day(day)} {label}" for day, label in days) or _("none")
        self.query_one("#holiday-list", Static).update(safe_block(text))

    def _reload(self) -> None:
        if self.calendar is not None:
            self.calendar = self.facade.calendar(self.calendar.name) or self.calendar
        self._show_holidays()

    def _holiday_change(self, field: str) -> None:
        self.clear_errors()
        if self.calendar is None:
            self.show_problems([(field, _("save the calendar first (ctrl+s), then add its holidays"))])
            return
        text = self.text(f"f-{field}").strip()
        try:
            if field == "holiday":
                day, label = _day_and_label(text, field)
                added = self.facade.add_holidays(self.calendar.name, [(day, label)])
                message = (
                    _("added {day}").format(day=day.isoformat())
                    if added
                    else _("{day} was already a holiday").format(day=day.isoformat())
                )
            elif field == "remove":
                day, _label = _day_and_label(text, field)
                removed = self.facade.remove_holidays(self.calendar.name, [day])
                message = (
                    _("removed {day}").format(day=day.isoformat())
                    if removed
                    else _("{day} was not a holiday").format(day=day.isoformat())
                )
            else:
                country, year, subdivision = _country_year(text)
                added = self.facade.copy_country_holidays(self.calendar.name, country, year, subdivision)
                message = ngettext(
                    "copied {count} holiday of {country} {year}",
                    "copied {count} holidays of {country} {year}",
                    len(added),
                ).format(count=len(added), country=country.upper(), year=year)
        except SlaSettingError as exc:
            self.show_problems([(field if f in ("holiday", "remove", "copy") else f, m) for f, m in exc.problems])
            return
        self.query_one(f"#f-{field}", Input).value = ""
        self._reload()
        self.saved = True
        self.say(_("{message}; open tickets re-applied").format(message=message))

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        box = event.input.id or ""
        if box == "f-timezone":
            options = self.query_one("#tz-list", OptionList)
            known = event.value.strip() in self.zones
            if not known and options.option_count and options.highlighted is not None:
                self._pick_zone(str(options.get_option_at_index(options.highlighted).id))
                return
            self.action_save()
        elif box in ("f-holiday", "f-copy", "f-remove"):
            self._holiday_change(box.removeprefix("f-"))
        else:
            self.action_save()


def _day_rows(weekly_text: str) -> dict[int, str]:
    """``mon-fri 09:00-12:00, 13:00-17:00; sat 10:00-14:00`` as one text per weekday row."""
    checked = check_weekly_text(weekly_text)
    from dtc_tui.services.tickets.sla_validation import format_time

    return {
        day: ", ".join(f"{format_time(a)}-{format_time(b)}" for a, b in periods)
        for day, periods in checked.week.items()
        if periods
    }


def _day_and_label(text: str, field: str) -> tuple[date, str]:
    day_text, _sep, label = text.partition(" ")
    try:
        return date.fromisoformat(day_text), label.strip()
    except ValueError as exc:
        raise SlaSettingError(
            [(field, _("{value!r}: write the day as YYYY-MM-DD (e.g. 2026-12-24)").format(value=day_text))]
        ) from exc


def _country_year(text: str) -> tuple[str, int, str | None]:
    found = re.fullmatch(r"([A-Za-z]{2,3})\s+(\d{4})(?:\s+([A-Za-z0-9-]+))?", text.strip())
    if not found:
        raise SlaSettingError(
            [("copy", _("{value!r}: write a country code and a year, e.g. DE 2026 or DE 2026 BE").format(value=text))]
        )
    return found.group(1), int(found.group(2)), found.group(3)
