"""What every command shares: the context object, the engine, errors and JSON output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import click

from dtc_tui.clock import Clock, SystemClock
from dtc_tui.config import Settings


@dataclass
class CliContext:
    settings: Settings
    database_url: str
    database_source: str
    clock: Clock = field(default_factory=SystemClock)
    _engine: Any = None

    def engine(self) -> Any:
        """The engine, migrated to the newest schema with defaults in place (once per process)."""
        if self._engine is None:
            from dtc_tui import db
            from dtc_tui.services.tickets.sla_defaults import ensure_defaults

            try:
                engine = db.make_engine(self.database_url)
                db.ensure_current(engine)
                with db.write_session(engine) as session:
                    ensure_defaults(session)
            except db.DatabaseError as exc:
                raise click.ClickException(str(exc)) from exc
            except Exception as exc:  # connection refused, bad URL...: one line, no traceback
                from sqlalchemy.exc import ArgumentError, OperationalError

                if isinstance(exc, OperationalError | ArgumentError):
                    raise click.ClickException(
                        f"cannot open database {self.database_url}: "
                        f"{str(exc.orig if hasattr(exc, 'orig') else exc).strip()}"
                    ) from exc
                raise
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


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, default=_json_default, indent=2, ensure_ascii=False))


def fail(message: str) -> None:
    """A user error: one line on stderr, exit 2, no traceback."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def parse_period(value: str) -> int:
    """'7d', '30d', '12h' -> days (hours round up to a day); 'today' -> 1."""
    value = value.strip().lower()
    if value == "today":
        return 1
    try:
        if value.endswith("d"):
            return int(value[:-1])
        if value.endswith("w"):
            return int(value[:-1]) * 7
        return int(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a period like 7d, 4w or today") from exc
