"""``dtc-tui db ...``: upgrade, info, backup, restore, check."""

from __future__ import annotations

import click

from dtc_tui.commands.common import CliContext, echo_json, pass_ctx


@click.group("db")
def db_group() -> None:
    """Database location, schema and maintenance."""


@db_group.command("upgrade")
@pass_ctx
def upgrade(ctx: CliContext) -> None:
    """Bring the database schema up to date (backs up an existing SQLite file first)."""
    from dtc_tui import db

    try:
        engine = db.make_engine(ctx.database_url)
        result = db.upgrade(engine)
    except db.DatabaseError as exc:
        raise click.ClickException(str(exc)) from exc
    if result.before == result.after:
        click.echo(f"already at {result.after}")
    else:
        click.echo(f"upgraded {result.before or 'empty database'} -> {result.after}")
    if result.backup:
        click.echo(f"backup: {result.backup}")


@db_group.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def info(ctx: CliContext, as_json: bool) -> None:
    """Database location, schema revision and row counts per table."""
    from dtc_tui.services import dbinfo

    result = dbinfo.info(ctx.engine())
    if as_json:
        echo_json({**result.as_dict(), "source": ctx.database_source})
        return
    click.echo(f"database: {result.url}  (from {ctx.database_source})")
    click.echo(f"backend:  {result.backend}")
    click.echo(f"schema:   {result.revision} (code head {result.head})")
    for table, count in result.row_counts.items():
        click.echo(f"  {table:<22} {count:>10,}")
