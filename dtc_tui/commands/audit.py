"""``dtc-tui audit``: every change, who made it, when, before and after."""

from __future__ import annotations

import click

from dtc_tui.commands.common import CliContext, echo_json, json_option, pass_ctx
from dtc_tui.i18n import ngettext
from dtc_tui.services.common.periods import DOCS as PERIOD_DOCS
from dtc_tui.services.common.periods import MOMENT_SYNTAX

# Static so --help imports no services; tests/test_filters.py checks it names every field of AUDIT_FILTER.
AUDIT_FILTER_HELP = (
    "Filter as in the app's audit log: who:ana entity:ticket id:42 action:update since:2h, "
    "-field:value leaves out, other words match the record id or the change (docs/filters.md#filters)."
)


@click.command("audit")
@click.option(
    "--since",
    default="1d",
    show_default=True,
    help=f"{MOMENT_SYNTAX} ({PERIOD_DOCS}).",
)
@click.option("--entity", default=None, help="Only this kind of record: ticket, sku, campaign, person...")
@click.option("--filter", "filter_text", default="", metavar="TEXT", help=AUDIT_FILTER_HELP)
@click.option("--limit", default=200, show_default=True)
@json_option()
@pass_ctx
def audit_command(ctx: CliContext, since: str, entity: str | None, filter_text: str, limit: int, as_json: bool) -> None:
    """Every change since a moment: who, when, what, before and after."""
    from dtc_tui import db
    from dtc_tui.services.common import audit, localefmt
    from dtc_tui.services.common.periods import parse_moment
    from dtc_tui.services.common.text import one_line

    # A bad --since or --filter is a user error: one line, exit 2.
    start = parse_moment(since, ctx.now())
    log_filter = audit.AUDIT_FILTER.parse(f'entity:"{entity}" {filter_text}' if entity else filter_text)
    with db.read_session(ctx.engine()) as session:
        rows = audit.entries(session, since=start, log_filter=log_filter, now=ctx.now(), limit=limit)
    if as_json:
        echo_json([row.__dict__ for row in rows])
        return
    for row in rows:
        change = ", ".join(f"{k}: {(row.before or {}).get(k)!r} -> {v!r}" for k, v in (row.after or {}).items())
        click.echo(
            f"{row.at:%Y-%m-%d %H:%M:%S} {localefmt.pad_cells(one_line(row.actor), 10)} {row.action:<12} {row.entity} "
            f"{one_line(row.entity_id)}  {one_line(change, 120)}"
        )
    click.echo(
        ngettext("{count} change since {since} UTC", "{count} changes since {since} UTC", len(rows)).format(
            count=len(rows), since=f"{start:%Y-%m-%d %H:%M}"
        ),
        err=True,
    )
