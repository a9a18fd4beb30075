"""``dtc-tui overview`` and ``dtc-tui check``: every area's checks and the cross-area signals.

Both leave out what the operator (or, with ``overview.ack_scope = team``, anyone) acknowledged or
snoozed in the app, exactly as the overview screen does, and say how many they left out; ``check``
exits 0 when all that is left is acknowledged."""

from __future__ import annotations

import sys

import click

from dtc_tui.commands.common import CliContext, echo_json, json_option, pass_ctx
from dtc_tui.i18n import _, ngettext


def _build(ctx: CliContext):
    from dtc_tui import db
    from dtc_tui.services.overview import acks
    from dtc_tui.services.overview.summary import build
    from dtc_tui.services.tickets.sla_breaches import breach_check_due, record_every_breach

    engine = ctx.engine()
    now = ctx.now()
    # A cron run records breaches too, as `sla check` and the app's tick do: every clock past due,
    # not only the earliest. Whether any ticket is due for that is two range reads of its index
    # (as cheap at 1M tickets as at 1k); the write lock only when one is.
    with db.read_connection(engine) as connection:
        due = bool(breach_check_due(connection, now))
    if due:
        with db.write_connection(engine) as connection:
            record_every_breach(connection, now)
    return acks.apply(engine, build(engine, now), operator=ctx.operator, now=now)


def _print(overview, *, details: bool) -> None:
    from dtc_tui.services.common import localefmt
    from dtc_tui.services.common.text import one_line
    from dtc_tui.services.overview.summary import describe_kind

    for item in overview.items:
        mark = "◆" if item.kind.startswith("signal_") else " "
        click.echo(f"{mark} {item.area:<9} {one_line(item.shown_title(), 100)}")
        if details and item.detail:
            click.echo(f"            {one_line(item.shown_detail(), 400)}")
    click.echo("")
    for headline in overview.headlines:
        mark = {True: "ok", False: "!!", None: "  "}[headline.ok]
        target = _("(target {target})").format(target=headline.target) if headline.target else ""
        click.echo(
            f"{mark} {headline.area:<9} {localefmt.pad_cells(_(headline.label), 40)} {headline.value:>10} {target}"
        )
    counts = ", ".join(f"{describe_kind(kind)}: {localefmt.number(n)}" for kind, n in sorted(overview.counts.items()))
    shown = ngettext("{count} item shown", "{count} items shown", len(overview.items)).format(
        count=localefmt.number(len(overview.items))
    )
    click.echo("\n" + _("{shown}; in all: {counts}").format(shown=shown, counts=counts), err=True)
    if overview.hidden:
        acknowledged = sum(1 for h in overview.hidden if h.kind == "ack")
        click.echo(
            _(
                "{acknowledged} acknowledged and {snoozed} snoozed in the app, not listed (the overview's H lists them)"
            ).format(acknowledged=acknowledged, snoozed=len(overview.hidden) - acknowledged),
            err=True,
        )


@click.command("overview")
@json_option()
@pass_ctx
def overview_command(ctx: CliContext, as_json: bool) -> None:
    """What needs attention now across tickets, stock, ads and team, most urgent first."""
    result = _build(ctx)
    if as_json:
        echo_json({**result.as_dict(), "acknowledged": len(result.hidden)})
        return
    _print(result, details=True)


@click.command("check")
@json_option()
@click.option("--quiet", is_flag=True, help="Print nothing; only the exit code.")
@pass_ctx
def check_command(ctx: CliContext, as_json: bool, quiet: bool) -> None:
    """Run every check (SLA, stock, ads, team, cross-area signals); exit 1 when anything needs attention."""
    result = _build(ctx)
    if as_json:
        echo_json(
            {
                "needs_attention": result.needs_attention,
                "acknowledged": len(result.hidden),
                "counts": result.counts,
                "items": [i.as_dict() for i in result.items],
                "signals": [s.as_dict() for s in result.signals],
            }
        )
    elif not quiet:
        _print(result, details=False)
    sys.exit(1 if result.needs_attention else 0)  # 0 too when everything left is acknowledged
