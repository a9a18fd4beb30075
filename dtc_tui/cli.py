"""The ``dtc-tui`` command. Bare ``dtc-tui`` opens the app; subcommands work headless.

Headless commands import no Textual (a test checks it), so cron jobs start fast: the app
module is imported only when the app is opened.
"""

from __future__ import annotations

import contextlib
import importlib
import sys

import click

from dtc_tui import i18n
from dtc_tui.config import ConfigError, load_settings, normalise_db_argument


def _activate_language() -> None:
    """Speak the configured language before any command module is imported (their ``--help``
    texts are read at import). A broken config or an unknown language is reported by the group."""
    with contextlib.suppress(ConfigError, i18n.UnknownLanguage):
        i18n.activate(i18n.resolve(load_settings().language))


_activate_language()

from dtc_tui.commands.common import EXIT_USAGE, CliContext, DatabaseUnavailableExit, echo_json, pass_ctx  # noqa: E402
from dtc_tui.errors import UserError  # noqa: E402
from dtc_tui.i18n import _  # noqa: E402

# Command name -> (module, attribute). A command's module is imported when the command is run or
# listed (``--help``), not at every start: ``sla check`` imports only commands/tickets.py (each
# module keeps its own imports lazy too). tests/test_cli_foundation.py checks the names.
COMMAND_MODULES: dict[str, tuple[str, str]] = {
    "db": ("dtc_tui.commands.database", "db_group"),
    "tickets": ("dtc_tui.commands.tickets", "tickets_group"),
    "sla": ("dtc_tui.commands.tickets", "sla_group"),
    "audit": ("dtc_tui.commands.audit", "audit_command"),
    "overview": ("dtc_tui.commands.overview", "overview_command"),
    "check": ("dtc_tui.commands.overview", "check_command"),
    "settings": ("dtc_tui.commands.settings_cmd", "settings_group"),
    "ads": ("dtc_tui.commands.ads", "ads_group"),
    "team": ("dtc_tui.commands.team", "team_group"),
    "inventory": ("dtc_tui.commands.inventory", "inventory_group"),
    "po": ("dtc_tui.commands.inventory", "po_group"),
    "orders": ("dtc_tui.commands.orders", "orders_group"),
    "import": ("dtc_tui.commands.import_export", "import_command"),
    "export": ("dtc_tui.commands.import_export", "export_command"),
    "mail": ("dtc_tui.commands.mail", "mail_group"),
}


def _resolve_database(db: str | None, demo: bool, settings) -> tuple[str, str]:
    if db:
        return normalise_db_argument(db), "--db"
    if demo:
        return settings.resolved_demo_database_url(), "--demo"
    if settings.database_url:
        return settings.database_url, settings.sources.get("database_url", "config")
    return settings.resolved_database_url(), "default (user data directory)"


class UserErrorExit(click.ClickException):
    """A ``UserError`` as the CLI shows it: ``Error: <message>`` on stderr, exit 2, no traceback."""

    exit_code = EXIT_USAGE


class DtcGroup(click.Group):
    """The one place that turns errors into exit codes (documented in the README):
    0 ok, 1 needs attention (check commands exit 1 themselves), 2 usage or input error,
    3 database unavailable (missing, not ours, unreadable, newer schema, locked past the timeout)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            self._load(cmd_name)
        return self.commands.get(cmd_name)

    def _load(self, name: str) -> None:
        module_name, attribute = COMMAND_MODULES[name]
        command = getattr(importlib.import_module(module_name), attribute)
        i18n.translate_commands(command)  # in the active language, as the eager ones below
        self.add_command(command, name)

    def load_all(self) -> None:
        """Every command imported (the catalog and the help texts' tests walk ``commands``)."""
        for name in COMMAND_MODULES:
            if name not in self.commands:
                self._load(name)

    def invoke(self, ctx: click.Context) -> object:
        from dtc_tui.commands.common import database_failure

        try:
            return super().invoke(ctx)
        except UserError as exc:  # dtc_tui.errors: a stale edit, a bad filter or period...: one line
            raise UserErrorExit(str(exc)) from exc
        except click.ClickException as exc:
            if type(exc) is click.ClickException:  # a plain one-line user error; 1 means "needs attention"
                raise UserErrorExit(exc.message) from exc
            raise
        except Exception as exc:
            message = database_failure(exc, ctx.find_object(CliContext))
            if message is None:
                raise
            raise DatabaseUnavailableExit(message) from exc


@click.group(
    cls=DtcGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=_("dtc-tui: tickets with SLA timers, reorder board, ad ROAS and team matrix in one terminal."),
)
@click.option("--db", "db_arg", metavar="PATH|URL", help=_("Database file or SQLAlchemy URL."))
@click.option("--demo", is_flag=True, help=_("Use the built-in demo database (built on first use)."))
@click.version_option(package_name="dtc-tui", help=_("Show the version and exit."))
@click.pass_context
def main_group(click_ctx: click.Context, db_arg: str | None, demo: bool) -> None:
    try:
        settings = load_settings()
        i18n.resolve(settings.language)
    except (ConfigError, i18n.UnknownLanguage) as exc:
        raise click.ClickException(str(exc)) from exc
    url, source = _resolve_database(db_arg, demo, settings)
    ctx = CliContext(settings=settings, database_url=url, database_source=source)
    click_ctx.obj = ctx
    if click_ctx.invoked_subcommand is None:
        _open_app(ctx, demo=demo)


def _open_app(ctx: CliContext, *, demo: bool) -> None:
    from dtc_tui import startup

    startup.hold_until_app_ready()
    path = db_path_if_missing(ctx.database_url)
    if path is not None:
        click.echo(_("No database at {path}: creating a new, empty one.").format(path=path), err=True)
    engine = ctx.engine(create=True)
    if demo:
        from dtc_tui.services import demo as demo_data
        from dtc_tui.services.common import dbinfo

        if dbinfo.is_empty(engine):
            click.echo(_("Building the demo database (first run only)..."), err=True)
            demo_data.build(engine, now=ctx.now())
    from dtc_tui.ui.app import DtcApp

    app = DtcApp(engine=engine, settings=ctx.settings, clock=ctx.clock, demo=demo, database_label=ctx.database_url)
    app.run()
    if app.relaunch_language:  # chosen in the palette and saved: start again speaking it
        engine.dispose()  # close (and checkpoint) the database like a clean exit: exec skips atexit
        relaunch(app.relaunch_language)
    if app.return_code:  # the app stopped on an error: say so to the shell
        sys.exit(app.return_code)


def relaunch_command(language: str, argv: list[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The same command line again, as ``python -m dtc_tui ...``, with ``DTC_TUI_LANGUAGE`` set (it
    outranks the file, so a different value in the environment cannot undo the choice)."""
    import os

    args = list(sys.argv if argv is None else argv)[1:]
    environ = dict(os.environ)
    environ["DTC_TUI_LANGUAGE"] = language
    return [sys.executable, "-m", "dtc_tui", *args], environ


def relaunch(language: str) -> None:
    import os

    command, environ = relaunch_command(language)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, environ)


def db_path_if_missing(url: str):
    from dtc_tui import db

    path = db.sqlite_path(url)
    return path if path is not None and not path.exists() else None


@main_group.command("demo")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same data).")
@click.option("--scale", type=click.Choice(["small", "large"]), default="small", show_default=True)
@click.option("--tickets", type=int, default=None, help="Override the number of tickets (benchmarks).")
@pass_ctx
def demo_command(ctx: CliContext, seed: int, scale: str, tickets: int | None) -> None:
    """Fill an empty database with realistic demo data relative to now."""
    from dtc_tui.services import demo as demo_data

    try:
        counts = demo_data.build(ctx.engine(create=True), now=ctx.now(), seed=seed, scale=scale, tickets=tickets)
    except demo_data.DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"demo data written to {ctx.database_url}: {counts['ticket']:,} tickets, "
        f"{counts['sku']:,} SKUs, {counts['campaign']:,} campaigns, {counts['person']} people"
    )


@main_group.group("config")
def config_group() -> None:
    """Configuration in force."""


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def config_show(ctx: CliContext, as_json: bool) -> None:
    """Every setting, its value and where it came from."""
    from dataclasses import fields

    values = {f.name: getattr(ctx.settings, f.name) for f in fields(ctx.settings) if f.name != "sources"}
    values["database_url"] = ctx.database_url
    sources = dict(ctx.settings.sources)
    sources["database_url"] = ctx.database_source
    if as_json:
        echo_json({name: {"value": value, "source": sources.get(name, "default")} for name, value in values.items()})
        return
    for name, value in values.items():
        click.echo(f"{name:<26} {value!s:<50} ({sources.get(name, 'default')})")


i18n.translate_commands(main_group)  # the commands defined here; the others as they are loaded


def main() -> None:
    from dtc_tui import startup

    startup.pause_gc()  # resumed once the database (headless) or the first screen (app) is ready
    try:
        main_group(prog_name="dtc-tui")
    except KeyboardInterrupt:
        sys.exit(130)


__all__ = ["main", "main_group", "pass_ctx", "echo_json"]
