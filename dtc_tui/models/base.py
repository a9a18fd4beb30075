"""Shared column types.

Times are stored as naive UTC on every backend and come back timezone-aware (UTC), so the
same code runs on SQLite (which has no time zone type) and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Table
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utc_field(*, index: bool = False, nullable: bool = True, default: Any = None) -> Any:
    return Field(default=default, sa_type=UTCDateTime, index=index, nullable=nullable)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model, typed (SQLModel sets ``__table__`` at class creation,
    so type checkers do not see it on the class)."""
    table = vars(model)["__table__"]
    assert isinstance(table, Table)
    return table
