"""``dtc-tui tickets ...`` and ``dtc-tui sla ...``: the queue and SLA checks, headless."""

from __future__ import annotations

import sys

import click

from dtc_tui.commands.common import CliContext, echo_json, json_option, pass_ctx
from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.common.periods import DOCS as PERIOD_DOCS
from dtc_tui.services.common.periods import SYNTAX as PERIOD_SYNTAX

# Static so --help imports no services; tests/test_filters.py checks it names every field of QUEUE_FILTER.
QUEUE_FILTER_HELP = (
    "Filter as in the app's queue: ch:whatsapp lang:de prio:high,urgent status:open cat:returns who:ana "
    "tag:vip id:42, -field:value leaves out, other words match subject, order or customer (docs/filters.md#filters)."
)


# How a clock's metric and state read in the text output (--json keeps the keys).
METRIC_WORDS = {
    # the English text output prints the key itself (scripts split these lines); other languages translate it
    "first_response": N_("first_response"),
    "next_response": N_("next_response"),
    "resolution": N_("resolution"),
}
STATE_WORDS = {
    "breached": N_("breached"),
    "at_risk": N_("at_risk"),
    "met": N_("met"),
    "ok": N_("ok"),
    "running": N_("running"),
    "paused": N_("paused"),
}


@click.group("tickets")
def tickets_group() -> None:
    """The ticket queue."""


@tickets_group.command("list")
@click.option(
    "--view",
    default="all_open",
    show_default=True,
    help="all_open, mine, unassigned, at_risk, breached, waiting, solved_today, all (or with dashes).",
)
@click.option("--filter", "filter_text", default="", metavar="TEXT", help=QUEUE_FILTER_HELP)
@click.option("--limit", default=50, show_default=True)
@json_option()
@pass_ctx
def list_tickets(ctx: CliContext, view: str, filter_text: str, limit: int, as_json: bool) -> None:
    """List the queue, soonest breach first."""
    from dtc_tui import db
    from dtc_tui.services.common import localefmt
    from dtc_tui.services.common.text import one_line
    from dtc_tui.services.tickets import ops as ticket_ops
    from dtc_tui.services.tickets import sla
    from dtc_tui.services.tickets.queue import QUEUE_FILTER, QueueQuery, TicketQueueSource

    query_filter = QUEUE_FILTER.parse(filter_text)  # a FilterError is a user error: one line, exit 2
    engine = ctx.engine()
    now = ctx.now()
    with db.read_session(engine) as session:
        me = ticket_ops.find_operator_id(session, ctx.operator)
    source = TicketQueueSource(
        engine,
        QueueQuery(
            view=view.replace("-", "_"),
            filter=query_filter,
            now=now,
            me=me,
            today_start=now.replace(hour=0, minute=0, second=0),
        ),
    )
    rows = source.fetch(0, limit)
    total = source.count()
    if as_json:
        echo_json(
            {
                "total": total,
                "tickets": [
                    {
                        **row.__dict__,
                        "sla_state": sla.display_state(now, row.next_due_at, row.next_risk_at, row.status),
                        "sla_left": sla.format_remaining(now, row.next_due_at),
                    }
                    for row in rows
                ],
            }
        )
        return
    for row in rows:
        state = sla.display_state(now, row.next_due_at, row.next_risk_at, row.status)
        left = sla.format_remaining(now, row.next_due_at) or state
        click.echo(
            f"{row.id:>7} {left:>8} {state:<9} {row.priority:<7} {row.channel:<9} {row.assignee or '-':<8} "
            f"{one_line(row.subject, 60)}"
        )
    click.echo(
        ngettext("{shown} of {total} ticket", "{shown} of {total} tickets", total).format(
            shown=localefmt.number(len(rows)), total=localefmt.number(total)
        ),
        err=True,
    )


@tickets_group.command("show")
@click.argument("ticket_id", type=int)
@json_option()
@pass_ctx
def show_ticket(ctx: CliContext, ticket_id: int, as_json: bool) -> None:
    """One ticket with its SLA clocks and conversation."""
    from dtc_tui import db
    from dtc_tui.services.common import localefmt
    from dtc_tui.services.common.text import clean_text, one_line
    from dtc_tui.services.tickets import sla
    from dtc_tui.services.tickets.detail import ticket_detail

    now = ctx.now()
    with db.read_session(ctx.engine()) as session:
        detail = ticket_detail(session, ticket_id, now)
    if detail is None:
        raise click.ClickException(_("ticket {id} does not exist").format(id=ticket_id))
    if as_json:
        echo_json(detail)
        return
    click.echo(f"#{detail.id} {one_line(detail.subject)}")
    facts = (detail.status, detail.priority, detail.channel, detail.language_label, detail.category)
    click.echo("  " + " / ".join(facts))
    click.echo(
        "  "
        + _("customer {customer}  owner {owner}  policy {policy}").format(
            customer=one_line(detail.customer), owner=detail.assignee or "-", policy=detail.policy
        )
    )
    for clock in detail.clocks:
        left = sla.format_remaining(now, clock.due_at) if clock.due_at and not clock.stopped_at else ""
        metric = _(METRIC_WORDS[clock.metric]) if clock.metric in METRIC_WORDS else clock.metric
        state = _(STATE_WORDS[clock.state]) if clock.state in STATE_WORDS else clock.state
        click.echo(f"  {localefmt.pad_cells(metric, 15)} {localefmt.pad_cells(state, 9)} {left}")
    for message in detail.messages:
        click.echo(f"--- {message.created_at:%Y-%m-%d %H:%M} {message.kind} {one_line(message.author)}")
        click.echo(clean_text(message.body))


@click.group("sla")
def sla_group() -> None:
    """SLA reports and checks (for cron and monitoring)."""


@sla_group.command("check")
@json_option()
@click.option("--limit", default=100, show_default=True, help="How many tickets to list per state.")
@pass_ctx
def sla_check(ctx: CliContext, as_json: bool, limit: int) -> None:
    """Record new breaches, print breached and at-risk tickets; exit 1 when there are any."""
    from dtc_tui import db
    from dtc_tui.services.common.text import one_line
    from dtc_tui.services.tickets import sla
    from dtc_tui.services.tickets.queue import QueueQuery, TicketQueueSource
    from dtc_tui.services.tickets.sla_breaches import record_every_breach

    engine = ctx.engine()
    now = ctx.now()
    with db.write_connection(engine) as connection:  # Core only: a cron job does not load the ORM
        recorded = record_every_breach(connection, now)
    found = {}
    for view in ("breached", "at_risk"):
        source = TicketQueueSource(engine, QueueQuery(view=view, now=now))
        found[view] = (source.count(), source.fetch(0, limit))
    if as_json:
        echo_json(
            {
                "now": now,
                "new_breaches_recorded": recorded,
                **{
                    view: {"count": count, "tickets": [r.__dict__ for r in rows]}
                    for view, (count, rows) in found.items()
                },
            }
        )
    else:
        for view, (count, rows) in found.items():
            heading = _("breached: {count}") if view == "breached" else _("at risk: {count}")
            click.echo(heading.format(count=count))
            for row in rows:
                click.echo(
                    f"  #{row.id:<7} {sla.format_remaining(now, row.next_due_at):>8} "
                    f"{row.next_due_metric or '':<15} {row.assignee or '-':<8} {one_line(row.subject, 60)}"
                )
    sys.exit(1 if any(count for count, _ in found.values()) else 0)


@sla_group.command("report")
@click.option(
    "--period",
    default="7d",
    show_default=True,
    help=f"{PERIOD_SYNTAX}. 7d = today and the 6 days before, from midnight ({PERIOD_DOCS}).",
)
@click.option("--by", "group", type=click.Choice(["agent", "channel", "category"]), default=None)
@json_option()
@pass_ctx
def sla_report(ctx: CliContext, period: str, group: str | None, as_json: bool) -> None:
    """SLA achievement, response times, resolution, FSR, CSAT and breach rate against targets."""
    from dtc_tui import db
    from dtc_tui.services.common import localefmt
    from dtc_tui.services.tickets.kpis import report, report_window

    now = ctx.now()
    start, end = report_window(period, now)  # a PeriodError is a user error: one line, exit 2
    with db.read_session(ctx.engine()) as session:
        result = report(session, start=start, end=end, now=now, group_by=(group,) if group else ())
    if as_json:
        echo_json(result.as_dict())
        return
    click.echo(
        _("Support KPIs {start} .. {end} UTC ({created} created, {solved} solved)").format(
            start=f"{start:%Y-%m-%d}",
            end=f"{end:%Y-%m-%d %H:%M}",
            created=localefmt.number(result.overall.tickets_created),
            solved=localefmt.number(result.overall.tickets_solved),
        )
    )
    for kpi, prev in zip(result.overall.kpis, result.previous.kpis, strict=True):
        mark = {True: "ok ", False: "!! ", None: "   "}[kpi.ok]
        target = _("target {target}").format(target=localefmt.pad_cells(kpi.target_text(), 10))
        click.echo(
            f"  {mark}{localefmt.pad_cells(_(kpi.label), 26)} {kpi.text():>9}  {target} "
            + _("previous {value}").format(value=prev.text())
        )
    for warning in result.warnings:
        click.echo(_("WARNING: {warning}").format(warning=warning))
    if group:
        for name, kpis in result.groups[group].items():
            values = "  ".join(f"{_(k.label)}={k.text()}" for k in kpis.kpis[:3])
            created = _("created {count}").format(
                count=localefmt.pad_cells(localefmt.number(kpis.tickets_created), 5, right=True)
            )
            click.echo(f"  {localefmt.pad_cells(name, 14)} {created}  {values}")


def _register_setup() -> None:
    from dtc_tui.commands.sla_setup import register

    register(sla_group)


_register_setup()
