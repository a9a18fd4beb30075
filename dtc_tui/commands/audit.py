"""``dtc-tui audit``: every change, who made it, when, before and after."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from dtc_tui.commands.common import CliContext, echo_json, pass_ctx


def parse_since(value: str, now: datetime) -> datetime:
    """'2h', '3d', '2026-11-20' or an ISO time (UTC when no zone is given)."""
    value = value.strip()
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if value[-1:] in units and value[:-1].isdigit():
        return now - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: use 2h, 3d, 1w, 2026-11-20 or 2026-11-20T09:00") from exc
    from dtc_tui.clock import as_utc

    return as_utc(parsed)


@click.command("audit")
@click.option("--since", default="1d", show_default=True, help="2h, 3d, 1w, a date or an ISO time.")
@click.option("--entity", default=None, help="Only this kind of record: ticket, sku, campaign, person...")
@click.option("--limit", default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def audit_command(ctx: CliContext, since: str, entity: str | None, limit: int, as_json: bool) -> None:
    """Every change since a moment: who, when, what, before and after."""
    from dtc_tui import db
    from dtc_tui.services.common import audit
    from dtc_tui.services.common.text import one_line

    start = parse_since(since, ctx.now())
    with db.read_session(ctx.engine()) as session:
        rows = audit.entries(session, since=start, entity=entity, limit=limit)
    if as_json:
        echo_json([row.__dict__ for row in rows])
        return
    for row in rows:
        change = ", ".join(f"{k}: {(row.before or {}).get(k)!r} -> {v!r}" for k, v in (row.after or {}).items())
        click.echo(
            f"{row.at:%Y-%m-%d %H:%M:%S} {one_line(row.actor):<10} {row.action:<12} {row.entity} "
            f"{one_line(row.entity_id)}  {one_line(change, 120)}"
        )
    click.echo(f"{len(rows)} changes since {start:%Y-%m-%d %H:%M} UTC", err=True)
