"""``dtc-tui db ...``: upgrade, info, backup, restore, check."""

from __future__ import annotations

from pathlib import Path

import click

from dtc_tui.commands.common import CliContext, echo_json, json_option, pass_ctx
from dtc_tui.i18n import _


@click.group("db")
def db_group() -> None:
    """Database location, schema and maintenance."""


@db_group.command("upgrade")
@pass_ctx
def upgrade(ctx: CliContext) -> None:
    """Bring the database schema up to date (backs up an existing SQLite file first)."""
    from dtc_tui import db
    from dtc_tui.commands.common import write_defaults

    path = db.sqlite_path(ctx.database_url)
    if path is not None:
        db.check_sqlite_file(path, create=True)
    try:
        engine = db.make_engine(ctx.database_url)
        db.check_schema(engine, create=True)
        result = db.upgrade(engine)
    except db.DatabaseError as exc:
        raise db.DatabaseUnavailable(str(exc)) from exc
    write_defaults(engine)
    if result.before == result.after:
        click.echo(_("already at {revision}").format(revision=result.after))
    else:
        click.echo(
            _("upgraded {before} -> {after}").format(before=result.before or _("empty database"), after=result.after)
        )
    if result.backup:
        click.echo(_("backup: {path}").format(path=result.backup))


@db_group.command("info")
@json_option()
@pass_ctx
def info(ctx: CliContext, as_json: bool) -> None:
    """Database location, schema revision and row counts per table."""
    from dtc_tui.services.common import dbinfo

    result = dbinfo.info(ctx.engine())
    if as_json:
        echo_json({**result.as_dict(), "source": ctx.database_source})
        return
    click.echo(_("database: {url}  (from {source})").format(url=result.url, source=ctx.database_source))
    click.echo(_("backend:  {backend}").format(backend=result.backend))
    click.echo(_("schema:   {revision} (code head {head})").format(revision=result.revision, head=result.head))
    for table, count in result.row_counts.items():
        click.echo(f"  {table:<22} {count:>10,}")


@db_group.command("check")
@pass_ctx
def check(ctx: CliContext) -> None:
    """Integrity check (SQLite) and schema check; exit 1 when anything is wrong."""
    import sys

    from dtc_tui.services.common import maintenance

    result = maintenance.check(ctx.engine())
    for message in result.messages:
        click.echo(message)
    sys.exit(0 if result.ok else 1)


@db_group.command("rebuild-rollups")
@pass_ctx
def rebuild_rollups(ctx: CliContext) -> None:
    """Rebuild the daily ticket and breach roll-ups from the rows (triggers keep them current; this
    repairs them after rows were changed with the triggers off, e.g. a hand-made bulk copy), and
    drop the overview's stock snapshot (kept while dtc-tui's own writes say nothing changed)."""
    from dtc_tui import db
    from dtc_tui.services.inventory import snapshot
    from dtc_tui.services.tickets import rollups

    with db.write_session(ctx.engine()) as session:
        counts = rollups.rebuild(session)
        snapshot.drop(session)
    for table, count in counts.items():
        click.echo(f"{table:<16} " + _("{count} rows").format(count=f"{count:>10,}"))


@db_group.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def backup(ctx: CliContext, destination: Path) -> None:
    """A consistent copy of the live SQLite database (VACUUM INTO, synced to disk)."""
    from dtc_tui import db
    from dtc_tui.services.common import maintenance

    try:
        written = maintenance.backup(ctx.engine(), destination)
    except db.DatabaseError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(_("backup written to {path} ({size} bytes)").format(path=written, size=f"{written.stat().st_size:,}"))


@db_group.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def restore(ctx: CliContext, source: Path, yes: bool) -> None:
    """Replace the database with a backup (the current data is kept in a safety copy first)."""
    from dtc_tui import db
    from dtc_tui.services.common import maintenance

    engine = ctx.engine()
    try:
        plan = maintenance.plan_restore(engine, source, ctx.now())
    except db.DatabaseError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        _("This replaces ALL data in {target} with {source} (schema {revision}).").format(
            target=plan.target, source=plan.source, revision=plan.source_revision
        )
    )
    click.echo(_("Every change made since that backup is lost for everyone using this database."))
    click.echo(_("The current database is first copied to {path}.").format(path=plan.safety_copy))
    if not yes and not click.confirm(_("Restore now?"), default=False):
        raise click.ClickException(_("restore cancelled; nothing changed"))
    maintenance.restore(engine, plan)
    click.echo(
        _("restored {target} from {source}; safety copy {copy}").format(
            target=plan.target, source=plan.source, copy=plan.safety_copy
        )
    )


@db_group.command("init")
@click.option("--group", "group", required=True, help="The OS group of the team (every member must be in it).")
@pass_ctx
def init(ctx: CliContext, group: str) -> None:
    """Create or fix a shared SQLite database: setgid group directory (2770), files 0660, migrated."""
    from dtc_tui import db
    from dtc_tui.services.common import maintenance

    path = db.sqlite_path(ctx.database_url)
    if path is None:
        raise click.ClickException(_("db init sets up SQLite files; a PostgreSQL database needs no file permissions"))
    try:
        setup = maintenance.init_shared(path, group)
    except db.DatabaseError as exc:
        raise click.ClickException(str(exc)) from exc
    ctx.engine(create=True)  # migrates and writes the defaults
    maintenance.init_shared(path, group)  # the -wal/-shm files now exist: give them the group too
    click.echo(
        _(
            "{database} is ready for group {group}: directory {directory} is 2770 (setgid), database files are 0660"
        ).format(database=setup.database, group=group, directory=setup.directory)
    )
