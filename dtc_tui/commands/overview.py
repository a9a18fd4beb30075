"""``dtc-tui overview`` and ``dtc-tui check``: every area's checks and the cross-area signals."""

from __future__ import annotations

import sys

import click

from dtc_tui.commands.common import CliContext, echo_json, json_option, pass_ctx


def _build(ctx: CliContext):
    from dtc_tui import db
    from dtc_tui.services.overview.summary import build
    from dtc_tui.services.tickets.sla_store import has_due_breaches, record_due_breaches

    engine = ctx.engine()
    with db.read_session(engine) as session:
        due = has_due_breaches(session, ctx.now())
    if due:  # a cron run records breaches too; the write lock only when there is one to record
        with db.write_session(engine) as session:
            record_due_breaches(session, ctx.now())
    return build(engine, ctx.now())


def _print(overview, *, details: bool) -> None:
    from dtc_tui.services.common.text import one_line
    from dtc_tui.services.overview.summary import describe_kind

    for item in overview.items:
        mark = "◆" if item.kind.startswith("signal_") else " "
        click.echo(f"{mark} {item.area:<9} {one_line(item.title, 100)}")
        if details and item.detail:
            click.echo(f"            {one_line(item.detail, 400)}")
    click.echo("")
    for headline in overview.headlines:
        mark = {True: "ok", False: "!!", None: "  "}[headline.ok]
        target = f"(target {headline.target})" if headline.target else ""
        click.echo(f"{mark} {headline.area:<9} {headline.label:<40} {headline.value:>10} {target}")
    counts = ", ".join(f"{describe_kind(kind)}: {n}" for kind, n in sorted(overview.counts.items()))
    click.echo(f"\n{len(overview.items)} items shown; in all: {counts}", err=True)


@click.command("overview")
@json_option()
@pass_ctx
def overview_command(ctx: CliContext, as_json: bool) -> None:
    """What needs attention now across tickets, stock, ads and team, most urgent first."""
    result = _build(ctx)
    if as_json:
        echo_json(result.as_dict())
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
                "counts": result.counts,
                "items": [i.as_dict() for i in result.items],
                "signals": [s.as_dict() for s in result.signals],
            }
        )
    elif not quiet:
        _print(result, details=False)
    sys.exit(1 if result.needs_attention else 0)
