"""The overview's stock facts, kept in the database between runs of ``check`` and the overview.

What the overview needs from the reorder board is small: the SKUs that are out or to reorder now,
the health figures, and the stock state of a few SKUs (the signals, the ads report). Building the
board for that (10k SKUs x 3 warehouses) was half of ``check``'s work on every cron run (0.4 s of
0.8 s), though the board only changes when stock, sales, purchase orders, SKUs or settings do, or
when the day does.

So the facts are stored under a key made of everything the board reads:

- the day (the board plans from today);
- the change counters of the inventory area and of the settings: every write through dtc-tui bumps
  them (stock, SKUs, suppliers, warehouses, purchase orders, transfers, and the imports of stock
  and of orders, which rebuild the daily sales);
- the newest daily-sales row;
- the schema's migration (a migration that rewrites rows bumps no counter);
- a digest of the code that computes them (an upgrade that changes a rule computes them again).

A run whose key matches reads the facts (two small statements); any other builds the board as
before and stores its facts for the next run: a short write after the read, skipped when the
database is busy or read-only, since the overview never waits on or fails for this cache.
The facts live in the database, not beside it, so a restored backup brings its own facts with its
own counters. Writes made outside dtc-tui (sqlite3 by hand) bump no counter: ``dtc-tui db
rebuild-rollups`` drops the snapshot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, fields
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, delete, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from dtc_tui import db, startup
from dtc_tui.models.lite_tables import stock_snapshot, stock_snapshot_sku
from dtc_tui.services.inventory.board import ActionParts, Board, describe_action
from dtc_tui.services.inventory.health import HealthFigures, figures
from dtc_tui.services.inventory.rules import STATE_LABELS
from dtc_tui.services.inventory.stock_state import SkuStockState, state_values_of

FORMAT = 1  # of the stored facts; a change of it (or of the code below) recomputes them
# The modules whose code the facts come from: a change in any of them recomputes the facts.
_SOURCES = ("board.py", "rules.py", "health.py", "stock_state.py", "snapshot.py", "../common/settings.py")
_WRITE_WAIT_MS = 200  # the longest the cache write waits for another writer before it is skipped
_IDS_PER_READ = 5000  # SKUs per statement (SQLite allows 32,766 bound values per statement)
_UNREADABLE = (ValueError, TypeError, KeyError, IndexError)  # stored facts this code cannot read


@dataclass(frozen=True)
class ReorderFact:
    """A SKU over all warehouses that is out of stock or to reorder now (the overview's items)."""

    sku_id: int
    code: str
    name: str
    state: str
    abc: str
    available: int
    velocity: float
    lead_time: int
    stockout_date: date | None
    action_parts: ActionParts

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def action(self) -> str:
        return describe_action(self.action_parts)


@dataclass(frozen=True)
class StockFacts:
    reorder: tuple[ReorderFact, ...]  # by urgency, as the board's total rows
    figures: HealthFigures


@dataclass
class BuiltStock:
    """Made from a board just built; ``keep`` stores it under ``key`` for the next run."""

    facts: StockFacts
    values: dict[int, tuple]  # every SKU's ``stock_state.state_values``
    key: str

    def states(self, session: Any, sku_ids: Sequence[int]) -> dict[int, SkuStockState]:
        return {sku_id: SkuStockState(*self.values[sku_id]) for sku_id in sku_ids if sku_id in self.values}


@dataclass
class KeptStock:
    """Read from the snapshot; the SKUs' states are read when asked for, a few at a time."""

    facts: StockFacts
    key: str
    rebuild: Callable[[], BuiltStock]  # the snapshot changed under this reader: build the board after all
    _built: BuiltStock | None = None

    def states(self, session: Any, sku_ids: Sequence[int]) -> dict[int, SkuStockState]:
        if self._built is None:
            found: dict[int, SkuStockState] = {}
            for start in range(0, len(sku_ids), _IDS_PER_READ):
                part = self._read(session, sku_ids[start : start + _IDS_PER_READ])
                if part is None:
                    break
                found.update(part)
            else:
                return {sku_id: found[sku_id] for sku_id in sku_ids if sku_id in found}  # in the order asked
            self._built = self.rebuild()
        return self._built.states(session, sku_ids)

    def _read(self, session: Any, sku_ids: Sequence[int]) -> dict[int, SkuStockState] | None:
        """The SKUs' states; None when the snapshot is no longer the one read at the start.
        One statement, so that it sees one version of the snapshot (PostgreSQL reads each
        statement at its own moment): the key beside the rows says whether it is still ours."""
        statement = (
            select(stock_snapshot.c.key, stock_snapshot_sku.c.sku_id, stock_snapshot_sku.c.state)
            .select_from(stock_snapshot)
            .outerjoin(stock_snapshot_sku, stock_snapshot_sku.c.sku_id.in_(bindparam("ids", expanding=True)))
            .where(stock_snapshot.c.id == 1)
        )
        rows = session.execute(statement, {"ids": list(sku_ids)}).all()
        if not rows or rows[0][0] != self.key:
            return None
        try:
            return {sku_id: _state_from_json(state) for _key, sku_id, state in rows if sku_id is not None}
        except _UNREADABLE:
            return None


Stock = BuiltStock | KeptStock  # the facts and each SKU's state, for one read session


def open_stock(session: Any, today: date, build: Callable[[], Board]) -> Stock:
    """The facts for ``today``: from the snapshot when its key is current, else from ``build()``.
    The key is read before anything else, so facts stored under it are never older than it."""
    key = current_key(session, today)

    def built() -> BuiltStock:
        return built_stock(build(), key)

    row = session.execute(select(stock_snapshot.c.key, stock_snapshot.c.facts).where(stock_snapshot.c.id == 1)).first()
    if row is not None and row[0] == key:
        try:
            return KeptStock(_facts_from_json(row[1]), key, built)
        except _UNREADABLE:  # not what this code writes (edited by hand?): as if there were none
            pass
    return built()


def built_stock(board: Board, key: str) -> BuiltStock:
    return BuiltStock(facts_of(board), state_values_of(board), key)


def facts_of(board: Board) -> StockFacts:
    totals = board.totals()
    reorder = tuple(
        ReorderFact(
            t.sku_id,
            t.code,
            t.name,
            t.state,
            t.abc,
            t.available,
            t.velocity,
            t.lead_time,
            t.plan.stockout_date,
            t.action_parts,
        )
        for t in totals
        if t.state in ("out", "reorder_now")
    )
    return StockFacts(reorder, figures(board))


def current_key(session: Any, today: date) -> str:
    newest, inventory, setting, schema = session.execute(
        text(
            "SELECT (SELECT MAX(id) FROM daily_sales),"
            " (SELECT counter FROM change_counter WHERE area = 'inventory'),"
            " (SELECT counter FROM change_counter WHERE area = 'setting'),"
            " (SELECT MAX(version_num) FROM alembic_version)"
        )
    ).one()
    return f"{FORMAT}:{code_digest()}:{schema}:{today.isoformat()}:{newest}:{inventory}:{setting}"


@cache
def code_digest() -> str:
    """The source of the modules the facts come from; where they cannot be read (a package
    without its ``.py`` files), the package's version, which changes with every release."""
    here = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=8)
    try:
        for name in _SOURCES:
            digest.update((here / name).read_bytes())
    except OSError:
        from dtc_tui import __version__

        return f"v{__version__}"
    return digest.hexdigest()


def keep(engine: Engine, stock: Stock | None, now: datetime) -> bool:
    """Store facts just built for the next run (after the read that built them). False when there
    was nothing new to store, or when the write could not be made now (busy, read-only): the next
    run builds the board again, which is all this cache may cost."""
    if not isinstance(stock, BuiltStock):
        return False
    with startup.long_lived():  # 10k short strings: no collection meanwhile
        header = {"id": 1, "key": stock.key, "built_at": now, "facts": _facts_to_json(stock.facts)}
        encode = _ENCODER.encode
        rows = [{"sku_id": sku_id, "state": encode(values)} for sku_id, values in stock.values.items()]
    try:
        # Encoded before the lock is taken: other writers wait only for the statements.
        with db.write_connection_nowait(engine, _WRITE_WAIT_MS) as connection:
            connection.execute(delete(stock_snapshot_sku))
            connection.execute(delete(stock_snapshot))
            connection.execute(insert(stock_snapshot), header)
            if rows:
                connection.execute(insert(stock_snapshot_sku), rows)
    except (SQLAlchemyError, db.DatabaseError):
        return False
    return True


def drop(connection: Any) -> None:
    """Forget the snapshot (``db rebuild-rollups``: after rows were changed outside dtc-tui)."""
    connection.execute(delete(stock_snapshot_sku))
    connection.execute(delete(stock_snapshot))


# --- JSON ---------------------------------------------------------------------------------------
# Compact lists in the dataclasses' field order (FORMAT names the order); dates as ISO text.


def _iso(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not stored in the stock snapshot")


# One encoder for the 10k states (``json.dumps`` with options makes a new encoder per call).
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_iso, allow_nan=False)
_STATE_DATES = tuple(
    i for i, f in enumerate(fields(SkuStockState)) if f.name in ("stockout_date", "reorder_by", "next_inbound_date")
)
_FACT_DATE = [f.name for f in fields(ReorderFact)].index("stockout_date")


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def _state_from_json(text_: str) -> SkuStockState:
    values = json.loads(text_)
    for i in _STATE_DATES:
        values[i] = _day(values[i])
    return SkuStockState(*values)


def _facts_to_json(facts: StockFacts) -> str:
    reorder = [astuple(fact) for fact in facts.reorder]
    return _ENCODER.encode({"reorder": reorder, "figures": astuple(facts.figures)})


def _facts_from_json(text_: str) -> StockFacts:
    data = json.loads(text_)
    reorder = []
    for values in data["reorder"]:
        values[_FACT_DATE] = _day(values[_FACT_DATE])
        values[-1] = tuple(values[-1])  # the action's parts (JSON gives a list)
        reorder.append(ReorderFact(*values))
    return StockFacts(tuple(reorder), HealthFigures(*data["figures"]))
