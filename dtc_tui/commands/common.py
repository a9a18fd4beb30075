"""What every command shares: the context object, the engine, errors and JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

import click
import orjson

from dtc_tui import i18n
from dtc_tui.clock import Clock, SystemClock
from dtc_tui.config import Settings


@dataclass
class CliContext:
    settings: Settings
    database_url: str
    database_source: str
    clock: Clock = field(default_factory=SystemClock)
    _engine: Any = None

    def engine(self, *, create: bool = False) -> Any:
        """The engine, checked and migrated to the newest schema (once per process).

        Read-only commands take no write lock here: the default SLA policies are written only
        when the schema was just created or migrated (``create`` commands, ``db upgrade``).
        Only commands that create data pass ``create=True``; others refuse a missing database.
        A database that cannot be used raises ``db.DatabaseUnavailable`` (exit 3, in cli.py).
        """
        if self._engine is None:
            from dtc_tui import db

            engine = db.open_engine(self.database_url, create=create)
            if create:
                write_defaults(engine)
            self._engine = engine
            from dtc_tui import startup

            startup.database_ready()
        return self._engine

    @property
    def operator(self) -> str:
        return self.settings.operator

    def now(self) -> datetime:
        return self.clock.now()


pass_ctx = click.make_pass_decorator(CliContext)

EXIT_OK, EXIT_ATTENTION, EXIT_USAGE, EXIT_DATABASE = 0, 1, 2, 3


class DatabaseUnavailableExit(click.ClickException):
    """Exit 3: the database is missing, not ours, unreadable, on a newer schema or locked too long."""

    exit_code = EXIT_DATABASE


def write_defaults(engine: Any) -> None:
    """The default calendar and SLA policies, written only when absent (a read decides first)."""
    from sqlmodel import select

    from dtc_tui import db
    from dtc_tui.models import SlaPolicy
    from dtc_tui.services.tickets.sla_defaults import ensure_defaults

    with db.read_session(engine) as session:
        if session.exec(select(SlaPolicy.id)).first() is not None:
            return
    with db.write_session(engine) as session:
        ensure_defaults(session)


def database_failure(exc: BaseException, ctx: Any = None) -> str | None:
    """One line for a database error raised anywhere in a command; None when it is not one.
    A busy database names what holds it when that is recorded ("an import by ana is running")."""
    from dtc_tui import db

    engine = getattr(ctx, "_engine", None)
    if engine is not None and db.is_busy(exc):
        from dtc_tui.services.common.activity import busy_message

        return busy_message(engine, ctx.now())
    return db.describe_failure(exc)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


F = TypeVar("F", bound=Callable[..., Any])


def _machine_output(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """JSON and CSV never change with the language: the command computes them in English (the
    services' messages included), and the language spoken before comes back when it ends."""
    if value and i18n.current() != i18n.DEFAULT:
        before = i18n.current()
        i18n.activate(i18n.DEFAULT)
        ctx.call_on_close(lambda: i18n.activate(before))
    return value


def json_option(help: str = i18n.N_("Print JSON.")) -> Callable[[F], F]:
    """``--json`` (as ``as_json``): machine output, always in English."""
    return click.option("--json", "as_json", is_flag=True, is_eager=True, callback=_machine_output, help=help)


def csv_option(help: str = i18n.N_("Print CSV.")) -> Callable[[F], F]:
    """``--csv`` (as ``as_csv``): machine output, always in English."""
    return click.option("--csv", "as_csv", is_flag=True, is_eager=True, callback=_machine_output, help=help)


def echo_json(data: Any) -> None:
    click.echo(dumps_json(data))


def dumps_json(data: Any) -> str:
    """Indented JSON, as ``json.dumps(data, default=_json_default, indent=2, ensure_ascii=False)``
    writes it, by orjson: ``json`` writes indented output in pure Python (0.14 s of CPU for the
    10k-SKU reorder board, orjson ~0.01 s). Dates, dataclasses and subclasses go through
    ``_json_default`` as with ``json``; the one visible difference is float exponents (``1e-9``, not
    ``1e-09``), both valid JSON. NaN and infinity are written as null (``json`` writes ``NaN``, which is
    not JSON); an integer beyond 64 bits, which orjson refuses, takes the standard library's way."""
    try:
        return orjson.dumps(data, default=_json_default, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError as error:
        if "64-bit" not in str(error):
            raise
        return json.dumps(data, default=_json_default, indent=2, ensure_ascii=False)


_ORJSON_OPTIONS = (
    orjson.OPT_INDENT_2
    | orjson.OPT_NON_STR_KEYS  # as json: 1 -> "1", None -> "null"
    | orjson.OPT_PASSTHROUGH_DATETIME  # our isoformat, as before
    | orjson.OPT_PASSTHROUGH_DATACLASS  # as_dict() where a dataclass has one
)


def fail(message: str) -> None:
    """A user error: one line on stderr, exit 2, no traceback."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)
