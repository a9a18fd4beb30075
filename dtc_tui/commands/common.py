"""What every command shares: the context object, the engine, errors and JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

import click

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
    """``json.dumps(data, default=_json_default, indent=2, ensure_ascii=False)``, character for
    character, ~4x faster on long lists of records: ``json`` writes indented output in pure Python
    (its C encoder only writes it unindented), so each flat object (string keys, scalar or date
    values: a board row, a ticket...) is written by the C encoder with the line break and the
    indentation as its item separator. Anything else is written piece by piece as ``json`` does."""
    parts: list[str] = []
    _dump(data, 0, parts)
    return "".join(parts)


_INDENT = 2
_FLAT = frozenset((str, int, float, bool, type(None), date, datetime))  # exact types (subclasses: the long way)
_STR = {str}
_SCALAR = json.JSONEncoder(ensure_ascii=False, default=_json_default)
_FLAT_ENCODERS: dict[int, Callable[[dict], str]] = {}


def _flat_encoder(level: int) -> Callable[[dict], str]:
    """Writes a flat object as ``{"a": 1,<newline and indentation of level>"b": 2}``."""
    encoder = _FLAT_ENCODERS.get(level)
    if encoder is None:
        separator = ",\n" + " " * (_INDENT * level)
        make = getattr(json.encoder, "c_make_encoder", None)  # json's C encoder, called as json calls it
        if make is not None:
            # (markers, default, encoder, indent, key separator, item separator, sort keys, skip keys, allow NaN)
            chunks = make(
                None, _json_default, json.encoder.encode_basestring, None, ": ", separator, False, False, True
            )
            encoder = lambda value: "".join(chunks(value, 0))  # noqa: E731
        else:
            encoder = json.JSONEncoder(ensure_ascii=False, default=_json_default, separators=(separator, ": ")).encode
        _FLAT_ENCODERS[level] = encoder
    return encoder


def _dump(value: Any, level: int, parts: list[str]) -> None:
    # The order of the checks is json's (``json.encoder._make_iterencode``).
    if isinstance(value, str | int | float) or value is None:
        parts.append(_SCALAR.encode(value))
    elif isinstance(value, list | tuple):
        if not value:
            parts.append("[]")
            return
        inner = "\n" + " " * (_INDENT * (level + 1))
        parts.append("[" + inner)
        for index, item in enumerate(value):
            if index:
                parts.append("," + inner)
            _dump(item, level + 1, parts)
        parts.append("\n" + " " * (_INDENT * level) + "]")
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner = "\n" + " " * (_INDENT * (level + 1))
        if set(map(type, value)) == _STR and _FLAT.issuperset(map(type, value.values())):
            flat = _flat_encoder(level + 1)(value)  # {"a": 1,<inner>"b": 2}
            parts.append("{" + inner + flat[1:-1] + "\n" + " " * (_INDENT * level) + "}")
            return
        if not all(isinstance(k, str) for k in value):  # keys json turns into strings: its own way
            text = json.dumps(value, default=_json_default, indent=_INDENT, ensure_ascii=False)
            parts.append(text.replace("\n", "\n" + " " * (_INDENT * level)))
            return
        for index, (key, item) in enumerate(value.items()):
            parts.append(("{" if not index else ",") + inner + _SCALAR.encode(key) + ": ")
            _dump(item, level + 1, parts)
        parts.append("\n" + " " * (_INDENT * level) + "}")
    else:
        _dump(_json_default(value), level, parts)


def fail(message: str) -> None:
    """A user error: one line on stderr, exit 2, no traceback."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)
