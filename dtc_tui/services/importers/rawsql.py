"""The bulk paths of the importers, below SQLAlchemy's per-value type processing.

Measured on a 100k-row ticket file: SQLAlchemy's bind/result processing (UTC datetimes turned
into SQLite text and back, one Python call per value) cost more than everything else in the
import together. For SQLite and PostgreSQL, rows are therefore encoded here once, in the exact
form SQLAlchemy itself stores (SQLite: ``YYYY-MM-DD HH:MM:SS.ffffff`` naive UTC text, dates as
``YYYY-MM-DD``, booleans 1/0; PostgreSQL: naive UTC datetimes), inserted with the driver's
``executemany``, and compared with stored rows read back without conversion. Other backends
return ``None`` from ``codec_for`` and take SQLAlchemy's ordinary path.

Identifiers come from the table metadata only; every value is a bound parameter.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

from dtc_tui.services.importers.tables import kind_of

CHUNK = 500
Encoder = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _sqlite_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # drop the "+00:00": stored as naive UTC


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(bool(value))


def _pg_datetime(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
    return value.astimezone(UTC).replace(tzinfo=None)


_ENCODERS: dict[str, dict[str, Encoder]] = {
    "sqlite": {"datetime": _sqlite_datetime, "date": _sqlite_date, "bool": _sqlite_bool},
    "postgresql": {"datetime": _pg_datetime},
}


class Codec:
    """Encodes one table's rows for the driver and runs the bulk statements."""

    def __init__(self, session: Session, table: Table, dialect_name: str) -> None:
        self.session = session
        self.table = table
        encoders = _ENCODERS[dialect_name]
        self.encode: dict[str, Encoder] = {col.name: encoders.get(kind_of(col), _identity) for col in table.columns}
        self.kinds = {col.name: kind_of(col) for col in table.columns}
        dialect = session.get_bind().dialect
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.quote = dialect.identifier_preparer.quote
        self.name = dialect.identifier_preparer.format_table(table)

    def _exec(self, sql: str, params: Any) -> Any:
        return self.session.connection().exec_driver_sql(sql, params)

    def encode_key(self, key: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(self.encode[name](value) for name, value in zip(key, values, strict=True))

    def fetch(
        self,
        columns: Sequence[str],
        key: Sequence[str],
        keys: list[tuple[Any, ...]],
        where: dict[str, Any] | None = None,
    ) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        """Stored rows (raw driver values of ``columns``) by encoded key.

        Key columns pinned by ``where`` (a ticket's source) leave the IN list, so the lookup is
        ``source = ? AND external_id IN (...)``. A composite IN goes through a VALUES subquery:
        SQLite scans the table for ``(a, b) IN (VALUES ...)`` but uses the index for this form.
        """
        where = where or {}
        found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        select_list = ", ".join(self.quote(name) for name in [*key, *columns])
        free = [index for index, name in enumerate(key) if name not in where]
        if len(free) == 1:
            key_sql, tuple_mark, values_head = self.quote(key[free[0]]), self.mark, ""
        else:
            key_sql = "(" + ", ".join(self.quote(key[i]) for i in free) + ")"
            tuple_mark = "(" + ", ".join([self.mark] * len(free)) + ")"
            values_head = "SELECT " + ", ".join(f"column{n + 1}" for n in range(len(free))) + " FROM (VALUES "
        extra = "".join(f" AND {self.quote(name)} = {self.mark}" for name in where)
        extra_params = [self.encode[name](value) for name, value in where.items()]
        if all(self.encode[name] is _identity for name in key):  # text / integer keys: nothing to encode
            encoded = list(dict.fromkeys(tuple(k) for k in keys))
        else:
            encoded = list(dict.fromkeys(self.encode_key(key, k) for k in keys))
        for start in range(0, len(encoded), CHUNK):
            part = encoded[start : start + CHUNK]
            values_sql = ", ".join([tuple_mark] * len(part))
            if values_head:
                values_sql = f"{values_head}{values_sql}) AS v"
            sql = f"SELECT {select_list} FROM {self.name} WHERE {key_sql} IN ({values_sql}){extra}"
            params = [k[i] for k in part for i in free] + extra_params
            for row in self._exec(sql, tuple(params)):
                found[tuple(row[: len(key)])] = tuple(row[len(key) :])
        return found

    def same(self, name: str, new: Any, stored: Any) -> bool:
        encoded = self.encode[name](new)
        if encoded is None or stored is None:
            return encoded is None and stored is None
        if self.kinds[name] == "float":
            return abs(float(encoded) - float(stored)) <= 1e-9 * max(1.0, abs(float(stored)))
        return bool(encoded == stored)

    def insert(
        self,
        rows: list[dict[str, Any]],
        columns: Sequence[str],
        fills: dict[str, Any] | None = None,
        *,
        unless_exists: Sequence[str] = (),
    ) -> None:
        """executemany; a column a row lacks takes ``fills[column]`` (its default).

        Under a planned import (``plan``) the statement is recorded for the apply, not run.
        """
        from dtc_tui.services.importers.plan import plan_of

        plan = plan_of(self.session)
        names = ", ".join(self.quote(name) for name in columns)
        marks = ", ".join([self.mark] * len(columns))
        sql = f"INSERT INTO {self.name} ({names}) VALUES ({marks})"
        if plan is not None and unless_exists:
            # ``unless_exists`` names a unique constraint: the row is skipped where it already holds
            # (one index probe, the one the INSERT makes anyway; a NOT EXISTS guard made two).
            target = ", ".join(self.quote(name) for name in unless_exists)
            sql += f" ON CONFLICT ({target}) DO NOTHING"
        for start in range(0, len(rows), 5000):
            params = self.encode_rows(rows[start : start + 5000], columns, fills or {})
            if plan is None:
                self._exec(sql, params)
                continue
            plan.record(sql, params)

    def encode_rows(
        self, rows: list[dict[str, Any]], columns: Sequence[str], fills: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        # itemgetter pulls the values in C; only the columns that need converting are touched.
        getter = operator.itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
        convert = [
            (index, self.encode[name]) for index, name in enumerate(columns) if self.encode[name] is not _identity
        ]
        params = []
        for row in rows:
            try:
                values = list(getter(row))
            except KeyError:
                values = list(getter({**fills, **row}))
            for index, encode in convert:
                value = values[index]
                if value is not None:
                    values[index] = encode(value)
            params.append(tuple(values))
        return params

    def encode_values(self, row: dict[str, Any], columns: Sequence[str], stored: Sequence[Any]) -> tuple[Any, ...]:
        """The row's values for ``columns`` as the driver stores them (``stored`` where it has none)."""
        return tuple(
            self.encode[name](row[name]) if name in row else old for name, old in zip(columns, stored, strict=True)
        )


def codec_for(session: Session, table: Table) -> Codec | None:
    name = session.get_bind().dialect.name
    return Codec(session, table, name) if name in _ENCODERS else None
