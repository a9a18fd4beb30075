"""``dtc-tui sla policies|calendars|explain|try``: setting up SLA headless.

Every change is validated by ``services/tickets/sla_validation``, audited, and re-applied to the
open tickets in the same transaction (``services/tickets/sla_admin``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import click

from dtc_tui.commands.common import CliContext, echo_json, json_option, pass_ctx
from dtc_tui.i18n import N_, _


def pad_cells(text: str, width: int, *, right: bool = False) -> str:
    # localefmt imports Babel (~40-70 ms): only the commands that print a table pay for it, not
    # every command of the ``sla`` group (``sla check`` runs from cron every few minutes)
    from dtc_tui.services.common.localefmt import pad_cells as pad

    return pad(text, width, right=right)


def weekday_iso_day(value: date) -> str:
    from dtc_tui.services.common.localefmt import weekday_iso_day as shown

    return shown(value)


METRIC_WORDS = {
    # the English text output prints the key itself (scripts split these lines); other languages translate it
    "first_response": N_("first_response"),
    "next_response": N_("next_response"),
    "resolution": N_("resolution"),
}


def _metric(metric: str) -> str:
    return _(METRIC_WORDS[metric]) if metric in METRIC_WORDS else metric


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def _minutes(value: int | None) -> str:
    if value is None:
        return "-"
    hours, minutes = divmod(value, 60)
    return f"{hours}h{minutes:02d}" if hours else f"{minutes}m"


def _target(value: str | None) -> int | None | str:
    """'90', '1h30', 'none' -> minutes (None clears); unset options stay unset (the '' sentinel).
    The syntax is the settings screen's (``sla_validation.parse_target``)."""
    from dtc_tui.services.tickets.sla_validation import SlaSettingError, parse_target

    if value is None:
        return ""
    try:
        return parse_target(value)
    except SlaSettingError as exc:
        raise click.BadParameter(exc.problems[0][1]) from exc


# --- policies --------------------------------------------------------------------------------


@click.group("policies")
def policies_group() -> None:
    """SLA policies: ordered, the first active one that matches a ticket wins."""


@policies_group.command("list")
@json_option()
@pass_ctx
def policies_list(ctx: CliContext, as_json: bool) -> None:
    from dtc_tui import db
    from dtc_tui.services.tickets.sla_admin import list_policies

    with db.read_session(ctx.engine()) as session:
        policies = list_policies(session)
    if as_json:
        echo_json(policies)
        return
    for p in policies:
        clock = _("business ({calendar})").format(calendar=p.calendar) if p.business_hours else _("calendar")
        state = _("active") if p.active else _("off")
        targets = _("first {first} next {next} resolve {resolve}").format(
            first=f"{_minutes(p.first_response_minutes):>6}",
            next=f"{_minutes(p.next_response_minutes):>6}",
            resolve=f"{_minutes(p.resolution_minutes):>6}",
        )
        click.echo(
            f"{p.position:>3} {pad_cells(p.name, 22)} {pad_cells(state, 6)} {targets} "
            f"{pad_cells(clock, 22)} {p.match_text()}"
        )
        if p.problem:
            click.echo("    " + _("WARNING: {warning}").format(warning=p.problem))


@policies_group.command("show")
@click.argument("policy")
@json_option()
@pass_ctx
def policies_show(ctx: CliContext, policy: str, as_json: bool) -> None:
    from dtc_tui import db
    from dtc_tui.services.tickets.sla_admin import list_policies

    with db.read_session(ctx.engine()) as session:
        found = [p for p in list_policies(session) if p.name == policy or str(p.id) == policy]
    if not found:
        raise click.ClickException(_("no policy {name!r} (see dtc-tui sla policies list)").format(name=policy))
    p = found[0]
    if as_json:
        echo_json(p)
        return
    for label, value in (
        (_("name"), p.name),
        (_("position"), p.position),
        (_("active"), _("yes") if p.active else _("no")),
        (_("matches"), p.match_text()),
        (_("first response"), _minutes(p.first_response_minutes)),
        (_("next response"), _minutes(p.next_response_minutes)),
        (_("resolution"), _minutes(p.resolution_minutes)),
        (
            _("clock"),
            _("business hours on {calendar}").format(calendar=p.calendar)
            if p.business_hours
            else _("calendar hours (24/7)"),
        ),
        (_("pauses on"), p.pause_statuses or _("nothing")),
    ):
        click.echo(f"{pad_cells(label, 15, right=True)}: {value}")
    if p.problem:
        click.echo(_("WARNING: {warning}").format(warning=p.problem))


@policies_group.command("set")
@click.argument("policy")
@click.option("--rename", default=None, help="A new name.")
@click.option("--position", type=int, default=None, help="0 = checked first; the others move down.")
@click.option("--active/--inactive", default=None)
@click.option("--priority", "match_priority", default=None, help="Match: low,normal,high,urgent ('' = any).")
@click.option("--channel", "match_channel", default=None, help="Match: email,chat,whatsapp,messenger,phone.")
@click.option("--category", "match_category", default=None, help="Match: categories ('' = any).")
@click.option("--tier", "match_tier", default=None, help="Match: customer tiers ('' = any).")
@click.option("--first-response", default=None, help="Target: minutes, 1h30, or none.")
@click.option("--next-response", default=None, help="Target: minutes, 1h30, or none.")
@click.option("--resolution", default=None, help="Target: minutes, 1h30, or none.")
@click.option("--business-hours/--calendar-hours", default=None, help="Count targets on the calendar or 24/7.")
@click.option("--calendar", default=None, help="Calendar name for business hours.")
@click.option("--pause-on", default=None, help="Statuses that pause resolution: pending,on_hold or none.")
@pass_ctx
def policies_set(ctx: CliContext, policy: str, rename: str | None, position: int | None, **options: object) -> None:
    """Create POLICY or change what the options say; open tickets follow at once."""
    from dtc_tui import db
    from dtc_tui.services.tickets.sla_admin import move_policy, save_policy
    from dtc_tui.services.tickets.sla_validation import SlaSettingError

    changes: dict[str, object] = {}
    for option, column in (
        ("first_response", "first_response_minutes"),
        ("next_response", "next_response_minutes"),
        ("resolution", "resolution_minutes"),
    ):
        value = _target(options.pop(option))  # type: ignore[arg-type]
        if value != "":
            changes[column] = value
    pause = options.pop("pause_on")
    if pause is not None:
        changes["pause_statuses"] = "" if str(pause).lower() in ("none", "") else str(pause).replace(" ", "")
    changes.update({k: v for k, v in options.items() if v is not None})
    if rename:
        changes["name"] = rename
    try:
        with db.write_session(ctx.engine()) as session:
            view = save_policy(session, policy, changes, actor=ctx.operator, now=ctx.now())
            if position is not None:
                move_policy(session, view.name, position, actor=ctx.operator, now=ctx.now())
    except SlaSettingError as exc:
        raise _fail(exc) from exc
    click.echo(_("policy {name!r} saved; open tickets re-applied").format(name=view.name))


# --- calendars -------------------------------------------------------------------------------


@click.group("calendars")
def calendars_group() -> None:
    """Business calendars: time zone, weekly opening hours, holidays."""


@calendars_group.command("list")
@json_option()
@pass_ctx
def calendars_list(ctx: CliContext, as_json: bool) -> None:
    from dtc_tui import db
    from dtc_tui.services.tickets.sla_admin import list_calendars

    with db.read_session(ctx.engine()) as session:
        calendars = list_calendars(session)
    if as_json:
        echo_json(calendars)
        return
    for c in calendars:
        hours = _("{hours} h/week").format(hours=f"{c.week_minutes / 60:>5.1f}")
        holidays = _("{count} holidays").format(count=f"{len(c.holidays):>3}")
        click.echo(
            f"{pad_cells(c.name, 22)} {c.timezone:<22} {hours}  {holidays}  {c.weekly_text or _('no opening hours')}"
        )
        for message in ([c.problem] if c.problem else []) + c.notes:
            click.echo("    " + _("WARNING: {warning}").format(warning=message))


@calendars_group.command("show")
@click.argument("calendar")
@json_option()
@pass_ctx
def calendars_show(ctx: CliContext, calendar: str, as_json: bool) -> None:
    from dtc_tui import db
    from dtc_tui.services.tickets.sla_admin import list_calendars

    with db.read_session(ctx.engine()) as session:
        found = [c for c in list_calendars(session) if c.name == calendar or str(c.id) == calendar]
    if not found:
        raise click.ClickException(_("no calendar {name!r} (see dtc-tui sla calendars list)").format(name=calendar))
    c = found[0]
    if as_json:
        echo_json(c)
        return
    click.echo(
        _("{name}  ({zone}, {hours} h a week)").format(name=c.name, zone=c.timezone, hours=f"{c.week_minutes / 60:.1f}")
    )
    click.echo("  " + _("hours: {hours}").format(hours=c.weekly_text or _("none")))
    click.echo("  " + _("used by: {policies}").format(policies=", ".join(c.used_by) or _("no business-hours policy")))
    for day, name in c.holidays:
        click.echo("  " + _("holiday {day} {name}").format(day=weekday_iso_day(day), name=name))
    for message in ([c.problem] if c.problem else []) + c.notes:
        click.echo(_("WARNING: {warning}").format(warning=message))


@calendars_group.command("set")
@click.argument("calendar")
@click.option("--timezone", default=None, help="IANA name, e.g. Europe/Berlin, America/Los_Angeles.")
@click.option(
    "--hours", default=None, help="'mon-fri 09:00-12:30, 13:30-18:00; sat 10:00-14:00' (days left out: closed)."
)
@click.option("--rename", default=None)
@pass_ctx
def calendars_set(ctx: CliContext, calendar: str, timezone: str | None, hours: str | None, rename: str | None) -> None:
    """Create CALENDAR or change its time zone, hours or name; open tickets follow at once."""
    from dtc_tui import db
    from dtc_tui.services.tickets.sla_admin import save_calendar
    from dtc_tui.services.tickets.sla_validation import SlaSettingError

    try:
        with db.write_session(ctx.engine()) as session:
            view = save_calendar(
                session,
                calendar,
                actor=ctx.operator,
                now=ctx.now(),
                timezone=timezone,
                weekly_text=hours,
                new_name=rename,
            )
    except SlaSettingError as exc:
        raise _fail(exc) from exc
    click.echo(
        _("calendar {name!r} saved: {zone}, {hours}").format(
            name=view.name, zone=view.timezone, hours=view.weekly_text or _("no opening hours")
        )
    )


@calendars_group.group("holidays")
def holidays_group() -> None:
    """Days off of a calendar."""


@holidays_group.command("add")
@click.argument("calendar")
@click.argument("days", nargs=-1)
@click.option("--name", "label", default="", help="What the day is (for the listed days).")
@click.option("--country", default=None, help="Copy the public holidays of a country (ISO code: DE, US...).")
@click.option("--subdivision", default=None, help="With --country: a state or region (BY, CA...).")
@click.option("--year", type=int, default=None, help="With --country: the year.")
@pass_ctx
def holidays_add(
    ctx: CliContext,
    calendar: str,
    days: tuple[str, ...],
    label: str,
    country: str | None,
    subdivision: str | None,
    year: int | None,
) -> None:
    """Add DAYS (YYYY-MM-DD) or a country's public holidays of a year."""
    from dtc_tui import db
    from dtc_tui.services.tickets.sla_admin import add_holidays, country_holidays
    from dtc_tui.services.tickets.sla_validation import SlaSettingError

    wanted: list[tuple[date, str]] = []
    for raw in days:
        try:
            wanted.append((date.fromisoformat(raw), label))
        except ValueError as exc:
            raise click.BadParameter(_("{value!r} is not a date (YYYY-MM-DD)").format(value=raw)) from exc
    try:
        if country:
            wanted += country_holidays(country, year or ctx.now().year, subdivision)
        if not wanted:
            raise click.UsageError(_("give days (YYYY-MM-DD) or --country"))
        with db.write_session(ctx.engine()) as session:
            added = add_holidays(session, calendar, wanted, actor=ctx.operator, now=ctx.now())
    except SlaSettingError as exc:
        raise _fail(exc) from exc
    click.echo(
        _("{count} holiday(s) added to {calendar!r} ({already} already there)").format(
            count=len(added), calendar=calendar, already=len(wanted) - len(added)
        )
    )


@holidays_group.command("remove")
@click.argument("calendar")
@click.argument("days", nargs=-1, required=True)
@pass_ctx
def holidays_remove(ctx: CliContext, calendar: str, days: tuple[str, ...]) -> None:
    from dtc_tui import db
    from dtc_tui.services.tickets.sla_admin import remove_holidays
    from dtc_tui.services.tickets.sla_validation import SlaSettingError

    try:
        wanted = [date.fromisoformat(raw) for raw in days]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    try:
        with db.write_session(ctx.engine()) as session:
            removed = remove_holidays(session, calendar, wanted, actor=ctx.operator, now=ctx.now())
    except SlaSettingError as exc:
        raise _fail(exc) from exc
    click.echo(_("{count} holiday(s) removed from {calendar!r}").format(count=len(removed), calendar=calendar))


# --- explain / try ---------------------------------------------------------------------------


@click.command("explain")
@click.argument("ticket_id", type=int)
@json_option()
@pass_ctx
def explain_cmd(ctx: CliContext, ticket_id: int, as_json: bool) -> None:
    """Which policy TICKET_ID gets and why; each clock's start, pauses, time counted and due."""
    from dtc_tui import db
    from dtc_tui.services.tickets.sla_admin import explain

    now = ctx.now()
    with db.read_session(ctx.engine()) as session:
        found = explain(session, ticket_id, now)
    if found is None:
        raise click.ClickException(_("ticket {id} does not exist").format(id=ticket_id))
    if as_json:
        echo_json(found)
        return
    click.echo(
        f"#{found.ticket_id} {found.status}: "
        + _("priority {priority}, channel {channel}, category {category}, tier {tier}").format(
            priority=found.priority, channel=found.channel, category=found.category, tier=found.tier
        )
    )
    click.echo(_("policy: {name}").format(name=found.policy or _("none matches")))
    for line in found.why:
        click.echo(f"  {line}")
    for c in found.clocks:
        click.echo(
            _("{metric}: target {target} on {clock}, {state}").format(
                metric=c.metric, target=_minutes(c.target_minutes), clock=c.clock, state=c.state
            )
        )
        click.echo("  " + _("started {when} UTC").format(when=f"{c.started_at:%Y-%m-%d %H:%M}"))
        if c.paused_minutes or c.paused_since:
            paused = _("paused {minutes} min before now").format(minutes=f"{c.paused_minutes:.0f}")
            if c.paused_since:
                paused += ", " + _("paused since {when} UTC").format(when=f"{c.paused_since:%Y-%m-%d %H:%M}")
            click.echo(f"  {paused}")
        if c.stopped_at:
            click.echo("  " + _("stopped {when} UTC").format(when=f"{c.stopped_at:%Y-%m-%d %H:%M}"))
        click.echo("  " + _("counted {minutes} min").format(minutes=f"{c.counted_minutes:.0f}"))
        due = _("due {when} UTC").format(when=f"{c.due_at:%Y-%m-%d %H:%M}") if c.due_at else _("due: none while paused")
        click.echo(f"  {due}")
    for warning in found.warnings:
        click.echo(_("WARNING: {warning}").format(warning=warning))


@click.command("try")
@click.argument("policy")
@click.argument("start")
@pass_ctx
def try_cmd(ctx: CliContext, policy: str, start: str) -> None:
    """The due times POLICY gives a ticket created at START (ISO time; UTC unless it says)."""
    from dtc_tui import db
    from dtc_tui.services.tickets.sla_admin import try_policy
    from dtc_tui.services.tickets.sla_validation import SlaSettingError

    try:
        moment = datetime.fromisoformat(start)
    except ValueError as exc:
        raise click.BadParameter(
            _("{value!r} is not an ISO time (2026-03-27T16:00+01:00)").format(value=start)
        ) from exc
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        with db.read_session(ctx.engine()) as session:
            dues = try_policy(session, policy, moment.astimezone(UTC))
    except SlaSettingError as exc:
        raise _fail(exc) from exc
    for metric, target, due in dues:
        click.echo(
            f"{pad_cells(_metric(metric), 15)} {_minutes(target):>6}  "
            + _("due {when} UTC").format(when=f"{due:%Y-%m-%d %H:%M}")
        )


def register(group: click.Group) -> None:
    for command in (policies_group, calendars_group, explain_cmd, try_cmd):
        group.add_command(command)
