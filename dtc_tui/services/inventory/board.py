"""The reorder board: every SKU in every warehouse with its numbers, and the SKU in total.

The heavy part runs in SQL, driven from ``stock_level`` so SQLite walks its (sku, warehouse) index
and seeks the ``(sku_id, warehouse_id, day)`` index of ``daily_sales`` in order, grouping without sorting:
- every stock position with its velocity window (28 days): units and squares on in-stock days,
  stock-out days, revenue, units (one query, ``_POSITIONS``);
- the history before it (up to the ABC and dead-stock windows, 90 days): revenue and units per SKU
  for the ABC ranking, units per SKU-warehouse for dead stock. Past days do not change within a day,
  so it is kept per engine (``SalesHistory``) and, when it must be read, read on a second connection
  while the first reads the positions.
Python then applies the rules (``inventory_rules``) to each row: cheap, with the cyclic garbage
collector paused (the rows form no cycles).

Sales rows may be dense (one row per day, zeros included) or sparse (only days with sales or a
stock-out, as importers store them): a missing day counts as "in stock, nothing sold".
"""

from __future__ import annotations

import contextlib
import gc
import math
import operator
import threading
import weakref
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import compress
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, Engine, TextClause, bindparam, text
from sqlalchemy.engine import Connection

from dtc_tui.i18n import N_, _
from dtc_tui.services.common import settings as settings_service
from dtc_tui.services.common.filters import FilterField, FilterLanguage, ParsedFilter, choices
from dtc_tui.services.inventory.rules import (
    CLASSES,
    STATE_LABELS,
    STRATEGY,
    Arrival,
    Policy,
    RowInput,
    RowPlan,
    TransferSuggestion,
    abc_classes,
    demand_sigma,
    gap_units,
    plan_row,
    plan_transfers,
    round_order,
    velocity,
)

if TYPE_CHECKING:  # the board reads plain rows: through an ORM session (the app, the overview) or a
    # Core connection (the reorder report, which then loads neither the ORM nor the table models)
    from sqlmodel import Session


OPEN_PO_STATUSES = ("sent", "partial")
TOTAL_WAREHOUSE = "all"


@dataclass(frozen=True)
class BoardSettings:
    window_days: int
    abc_window_days: int
    a_share: float
    b_share: float
    d_margin: float
    aged_days: int
    slow_cover_days: int
    stat_classes: tuple[str, ...]
    default_lead_time: int
    transfer_days: int
    policy: Policy


def load_settings(session: Session | Connection) -> BoardSettings:
    def get(key: str) -> Any:  # each key's value is checked by the settings service
        return settings_service.get(session, key)

    policy = Policy(
        class_a_days=int(get("inventory.class_a_days")),
        reorder_soon_days=int(get("inventory.reorder_soon_days")),
        overstock_days=int(get("inventory.overstock_days")),
        dead_days=int(get("inventory.dead_days")),
        stat_z=float(get("inventory.stat_z")),
        storage_cost_monthly=float(get("inventory.storage_cost_monthly")),
    )
    return BoardSettings(
        window_days=max(int(get("inventory.velocity_window_days")), 1),
        abc_window_days=max(int(get("inventory.abc_window_days")), 1),
        a_share=float(get("inventory.abc_a_share")),
        b_share=float(get("inventory.abc_b_share")),
        d_margin=float(get("inventory.class_d_margin")),
        aged_days=int(get("inventory.aged_days")),
        slow_cover_days=int(get("inventory.slow_cover_days")),
        stat_classes=tuple(str(c).upper() for c in get("inventory.stat_classes") or ()),
        default_lead_time=int(get("inventory.default_lead_time_days")),
        transfer_days=int(get("inventory.transfer_days")),
        policy=policy,
    )


@dataclass(slots=True)
class BoardRow:
    """One SKU in one warehouse (``warehouse_id`` 0: the SKU over all warehouses)."""

    sku_id: int
    warehouse_id: int
    code: str
    name: str
    supplier_id: int | None
    supplier: str
    warehouse: str
    abc: str
    on_hand: int
    committed: int
    cost: float
    price: float
    stockout_days: int  # stock-out days in the velocity window
    days_since_receipt: int | None
    aged: bool
    revenue: float  # over the ABC window (the SKU's, on every row of it)
    sku_version: int
    inp: RowInput
    plan: RowPlan
    on_draft: int = 0  # in draft POs and draft transfers into this warehouse
    transfer_in: int = 0  # suggested transfer into this warehouse
    transfer_from: str = ""  # from which warehouse(s)
    transfer_out: int = 0  # suggested transfers out of this warehouse
    purchase_qty: int = 0  # suggested purchase, after drafts and transfers, rounded to MOQ and case pack

    @property
    def key(self) -> tuple[int, int]:
        return (self.sku_id, self.warehouse_id)

    @property
    def available(self) -> int:
        return self.inp.available

    @property
    def velocity(self) -> float:
        return self.inp.daily_sales

    @property
    def lead_time(self) -> int:
        return self.inp.lead_time_days

    @property
    def state(self) -> str:
        return self.plan.state

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.plan.state]

    @property
    def strategy(self) -> str:
        return STRATEGY.get(self.abc, "")

    @property
    def is_total(self) -> bool:
        return self.warehouse_id == 0

    @property
    def action(self) -> str:
        """What the board suggests, in a few words."""
        return describe_action(self.action_parts)

    @property
    def action_parts(self) -> ActionParts:
        """What ``action`` says, as values (the overview's stock snapshot keeps these, not the words)."""
        plan = self.plan
        arrival = plan.next_arrival.ref if plan.next_arrival else None
        expedite = arrival if plan.state in ("out", "reorder_now") and plan.need <= 0 else None
        clear = self.abc == "D" and self.available > 0
        return (
            self.transfer_in,
            self.transfer_from,
            self.purchase_qty,
            expedite,
            self.on_draft,
            clear,
            self.transfer_out,
        )


# (transfer in, from where, purchase, PO/transfer to expedite, on draft, clear it, transfer out)
ActionParts = tuple[int, str, int, str | None, int, bool, int]


def describe_action(parts: ActionParts) -> str:
    """``BoardRow.action``'s words, in the active language, from ``BoardRow.action_parts``."""
    transfer_in, transfer_from, purchase_qty, expedite, on_draft, clear, transfer_out = parts
    words = []
    if transfer_in:
        words.append(f"{transfer_in:,}<-{transfer_from}")
    if purchase_qty:
        words.append(_("buy {qty}").format(qty=f"{purchase_qty:,}"))
    if not words and expedite is not None:
        words.append(_("expedite {ref}").format(ref=expedite))
    if not words and on_draft:
        words.append(_("{qty} on draft").format(qty=f"{on_draft:,}"))
    if not words and clear:
        words.append(_("clear"))
    if not words and transfer_out:
        words.append(_("give {qty}").format(qty=f"{transfer_out:,}"))
    return " ".join(words)


SORTS: dict[str, str] = {
    "urgency": N_("urgency"),
    "sku": "SKU",
    "cover": N_("most cover"),
    "storage": N_("storage cost"),
    "velocity": N_("velocity"),
}


def urgency_key(row: BoardRow) -> tuple:
    # ``_position_rows`` makes the same key from its locals as it builds the rows.
    urgency = row.plan.urgency
    return (urgency is None, urgency if urgency is not None else 0, -row.inp.daily_sales, row.code, row.warehouse)


def sort_rows(rows: list[BoardRow], sort: str) -> list[BoardRow]:
    if sort == "sku":
        return sorted(rows, key=lambda r: (r.code, r.warehouse))
    if sort == "cover":
        return sorted(
            rows,
            key=lambda r: (
                -(r.plan.cover_days if r.plan.cover_days is not None else math.inf) if r.available > 0 else 1,
                r.code,
                r.warehouse,
            ),
        )
    if sort == "storage":
        return sorted(rows, key=lambda r: (-r.plan.storage_cost_monthly, r.code, r.warehouse))
    if sort == "velocity":
        return sorted(rows, key=lambda r: (-r.inp.daily_sales, r.code, r.warehouse))
    return sorted(rows, key=urgency_key)


def _code_key(row: BoardRow) -> tuple[str, str]:
    return (row.code, row.warehouse)


def _most_cover(row: BoardRow) -> float:
    cover = row.plan.cover_days
    return -(cover if cover is not None else math.inf) if row.available > 0 else 1


# The first part of each sort's key in ``sort_rows``; every sort but urgency breaks ties by
# (code, warehouse). ``Board.ordered`` sorts the rows by (code, warehouse) once and then each sort
# only by this part: the sort is stable, so the order is ``sort_rows``'s, at a fraction of the cost.
_LEADING_KEY: dict[str, Callable[[BoardRow], float]] = {
    "cover": _most_cover,
    "storage": lambda r: -r.plan.storage_cost_monthly,
    "velocity": lambda r: -r.inp.daily_sales,
}


STATE_ALIASES = {
    "out": ("out",),
    "now": ("reorder_now",),
    "soon": ("reorder_soon",),
    "reorder": ("reorder_now", "reorder_soon"),
    "reorder_now": ("reorder_now",),
    "reorder_soon": ("reorder_soon",),
    "ok": ("ok",),
    "over": ("overstock",),
    "overstock": ("overstock",),
    "dead": ("dead",),
    "urgent": ("out", "reorder_now"),
}
FLAGS = ("aged", "transfer", "marked", "inbound")

# The board's filter box (and ``inventory reorder --filter``), in the shared filter language.
BOARD_FILTER = FilterLanguage(
    "stock positions",
    [
        FilterField("warehouse", ("wh", "warehouse"), case="upper", hint=N_("a warehouse code")),
        FilterField("supplier", ("sup", "supplier"), hint=N_("part of the supplier's name")),
        FilterField("abc", ("class", "abc"), choices(CLASSES), label="class", case="upper"),
        FilterField("state", ("state", "st"), STATE_ALIASES),
        FilterField("flag", ("flag",), choices(FLAGS)),
    ],
    text_hint="every word in the SKU code or name",
)


def _has_flag(row: BoardRow, flag: str, marked: frozenset | set) -> bool:
    if flag == "aged":
        return row.aged
    if flag == "transfer":
        return bool(row.transfer_in or row.transfer_out)
    if flag == "inbound":
        return bool(row.plan.inbound)
    return row.key in marked  # "marked"


@dataclass(frozen=True)
class BoardFilter:
    """``wh:US-W sup:ningbo class:A,B -state:ok flag:aged mug`` (see ``services.common.filters``)."""

    parsed: ParsedFilter = field(default_factory=ParsedFilter)

    @classmethod
    def parse(cls, raw: str) -> BoardFilter:
        return cls(BOARD_FILTER.parse(raw))

    @property
    def empty(self) -> bool:
        return self.parsed.empty

    def describe(self) -> str:
        return self.parsed.describe()

    @property
    def names_marked(self) -> bool:
        """Whether the filter depends on which rows are marked (``flag:marked``)."""
        return "marked" in self.parsed.include("flag") or "marked" in self.parsed.exclude("flag")

    def conditions(self, marked: frozenset | set = frozenset()) -> list[Condition]:
        """The filter as conditions that must all hold: each field's values must include the row's
        (any of them) and exclude it (none of them); words must each be in the SKU code or name.
        Each condition tests a row, or a whole board's column of values at once (``Board.select``)."""
        out: list[Condition] = []
        for key in self.parsed.fields():
            wanted, unwanted = self.parsed.include(key), self.parsed.exclude(key)
            if key == "flag":
                out.append(FlagCondition(wanted, unwanted, frozenset(marked)))
            elif key == "supplier":
                out.append(ContainsCondition(key, wanted, unwanted))
            else:
                out.append(EqualCondition(key, frozenset(wanted), frozenset(unwanted)))
        if self.parsed.words:
            out.append(WordsCondition(self.parsed.words))
        return out

    def matcher(self, marked: frozenset | set = frozenset()) -> Callable[[BoardRow], bool] | None:
        """The filter as one test of a row (None: every row passes), built once per filter."""
        tests = [c.test for c in self.conditions(marked)]
        if not tests:
            return None
        if len(tests) == 1:
            return tests[0]
        return lambda r: all(test(r) for test in tests)

    def apply(self, rows: Iterable[BoardRow], marked: frozenset | set = frozenset()) -> list[BoardRow]:
        test = self.matcher(marked)
        return list(rows) if test is None else [r for r in rows if test(r)]


# The values the filter conditions read, by name: a condition reads a row's value, or a board's
# column of them (``Board._column``: read once per board, in its urgency order).
_COLUMNS: dict[str, Callable[[BoardRow], Any]] = {
    "warehouse": lambda r: r.warehouse.upper(),
    "abc": lambda r: r.abc,
    "state": lambda r: r.plan.state,
    "supplier": lambda r: r.supplier.lower(),
    "code": lambda r: r.code.lower(),
    "name": lambda r: r.name.lower(),
    "aged": lambda r: r.aged,
    "transfer": lambda r: bool(r.transfer_in or r.transfer_out),
    "inbound": lambda r: bool(r.plan.inbound),
    "key": lambda r: r.key,
}

Column = Callable[[str], Sequence[Any]]  # a column's name -> its values, one per row


@dataclass(frozen=True)
class EqualCondition:
    """The row's value of ``field`` is one of ``want`` (if any) and none of ``skip``."""

    field: str
    want: frozenset[str]
    skip: frozenset[str]

    def test(self, row: BoardRow) -> bool:
        value = _COLUMNS[self.field](row)
        return (not self.want or value in self.want) and value not in self.skip

    def mask(self, column: Column) -> list[bool]:
        values, want, skip = column(self.field), self.want, self.skip
        if not skip:
            return list(map(want.__contains__, values))
        if not want:
            return [v not in skip for v in values]
        return [v in want and v not in skip for v in values]


@dataclass(frozen=True)
class ContainsCondition:
    """One of ``want`` (if any) is part of the row's value of ``field``, and none of ``skip``."""

    field: str
    want: tuple[str, ...]
    skip: tuple[str, ...]

    def test(self, row: BoardRow) -> bool:
        return self._holds(_COLUMNS[self.field](row))

    def _holds(self, value: str) -> bool:
        return (not self.want or any(v in value for v in self.want)) and not any(v in value for v in self.skip)

    def mask(self, column: Column) -> list[bool]:
        values = column(self.field)
        if len(self.want) == 1 and not self.skip:
            wanted = self.want[0]
            return [wanted in value for value in values]
        return list(map(self._holds, values))


@dataclass(frozen=True)
class WordsCondition:
    """Every word is part of the SKU code or of the name (lower case)."""

    words: tuple[str, ...]

    def test(self, row: BoardRow) -> bool:
        code, name = row.code.lower(), row.name.lower()
        return all(w in code or w in name for w in self.words)

    def mask(self, column: Column) -> list[bool]:
        codes, names = column("code"), column("name")
        if len(self.words) == 1:
            word = self.words[0]
            return [word in code or word in name for code, name in zip(codes, names, strict=True)]
        return [all(w in c or w in n for w in self.words) for c, n in zip(codes, names, strict=True)]


@dataclass(frozen=True)
class FlagCondition:
    """One of the ``want`` flags (if any) is set on the row and none of ``skip`` (``FLAGS``)."""

    want: tuple[str, ...]
    skip: tuple[str, ...]
    marked: frozenset

    def test(self, row: BoardRow) -> bool:
        return (not self.want or any(_has_flag(row, f, self.marked) for f in self.want)) and not any(
            _has_flag(row, f, self.marked) for f in self.skip
        )

    def _flag(self, column: Column, flag: str) -> Sequence[bool]:
        if flag == "marked":
            return list(map(self.marked.__contains__, column("key")))
        return column(flag)

    def mask(self, column: Column) -> list[bool]:
        mask: list[bool] | None = None
        for flag in self.want:  # any of them
            values = self._flag(column, flag)
            mask = list(values) if mask is None else list(map(operator.or_, mask, values))
        for flag in self.skip:  # none of them
            values = self._flag(column, flag)
            mask = [not v for v in values] if mask is None else [m and not v for m, v in zip(mask, values, strict=True)]
        return mask if mask is not None else [True] * len(column("key"))


Condition = EqualCondition | ContainsCondition | WordsCondition | FlagCondition


@dataclass(frozen=True)
class Selection:
    """What the board shows for one view, filter and sort: the rows (shared: do not change the
    list) and how many of them are in each state (every state of ``STATE_LABELS``, zeros too)."""

    rows: list[BoardRow]
    counts: dict[str, int]


_KEPT_SELECTIONS = 48  # filter combinations kept per board: views x per-warehouse/total, the last filters


@dataclass
class Board:
    today: date
    settings: BoardSettings
    rows: list[BoardRow]  # by urgency
    warehouses: list[str]
    transfers: list[TransferSuggestion]
    units_sold: dict[int, float] = field(default_factory=dict)  # per SKU over the ABC window
    _totals: list[BoardRow] | None = field(default=None, repr=False)
    _by_key: dict[tuple[int, int], BoardRow] | None = field(default=None, repr=False)
    _by_sku: dict[int, list[BoardRow]] | None = field(default=None, repr=False, compare=False)
    # Kept orders and selections (see ``ordered``, ``select``); ``prepare`` fills them from a worker.
    _orders: dict[tuple[bool, str], list[BoardRow]] = field(default_factory=dict, repr=False, compare=False)
    # What is kept at key presses holds no reference to a tracked object (bytes masks, int arrays,
    # tuples of strings), so the collector's full passes do not walk 30k rows once per entry.
    _masks: dict[tuple, tuple[bytes | None, dict[str, int]]] = field(default_factory=dict, repr=False, compare=False)
    _columns: dict[tuple[bool, str], tuple[Any, ...]] = field(default_factory=dict, repr=False, compare=False)
    _perms: dict[tuple[bool, str], array[int]] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def totals(self) -> list[BoardRow]:
        """One row per SKU over all warehouses, by urgency."""
        if self._totals is None:
            with self._lock:  # a worker may be computing them (``prepare``): wait for its result
                if self._totals is None:
                    self._totals = sorted(
                        (total_row(rows, self.settings, self.today) for rows in self.by_sku().values()),
                        key=urgency_key,
                    )
        return self._totals

    def by_sku(self) -> dict[int, list[BoardRow]]:
        """Each SKU's rows (in the urgency order, which the totals sum them in); kept per board."""
        if self._by_sku is None:
            grouped: dict[int, list[BoardRow]] = defaultdict(list)
            for row in self.rows:
                grouped[row.sku_id].append(row)
            self._by_sku = dict(grouped)
        return self._by_sku

    def row(self, key: tuple[int, int]) -> BoardRow | None:
        if self._by_key is None:
            by_key = {r.key: r for r in self.rows}
            by_key.update({r.key: r for r in self.totals()})
            self._by_key = by_key
        return self._by_key.get(key)

    def ordered(self, sort: str = "urgency", *, totals: bool = False) -> list[BoardRow]:
        """Every row (``totals``: every total row) in the order of ``sort``, as ``sort_rows`` orders
        them; sorted once per board and kept (a shared list: do not change it)."""
        sort = sort if sort in SORTS else "urgency"
        if sort == "urgency":
            return self.totals() if totals else self.rows
        kept = self._orders.get((totals, sort))
        if kept is None:
            with self._lock:
                kept = self._orders.get((totals, sort))
                if kept is None:
                    by_code = self._orders.get((totals, "sku"))
                    if by_code is None:
                        by_code = sorted(self.totals() if totals else self.rows, key=_code_key)
                        self._orders[(totals, "sku")] = by_code
                    kept = by_code if sort == "sku" else sorted(by_code, key=_LEADING_KEY[sort])
                    self._orders[(totals, sort)] = kept
        return kept

    def select(
        self,
        filters: Sequence[BoardFilter],
        *,
        totals: bool = False,
        sort: str = "urgency",
        marked: frozenset | set = frozenset(),
    ) -> Selection:
        """The rows that pass every filter (e.g. the view's and the typed one) in the order of
        ``sort``, and their count per state. Which rows pass and their counts are kept per board
        for the last few filter combinations (a filter on marked rows also per set of marks),
        whatever the sort: a new sort, or a view shown before, only picks its rows (~1 ms)."""
        uses_marks = any(f.names_marked for f in filters)
        marks = frozenset(marked) if uses_marks else None
        wanted = tuple(f for f in filters if not f.empty)
        found = self._masks.get((totals, wanted, marks))
        if found is None:
            # Every condition over whole columns of values (set lookups and substring tests in
            # C-speed comprehensions), in the urgency order; the same for every sort.
            mask: list[bool] | None = None
            for condition in (c for f in wanted for c in f.conditions(marked)):
                this = condition.mask(lambda name: self._column(name, totals=totals))
                mask = this if mask is None else list(map(operator.and_, mask, this))
            states = self._column("state", totals=totals)
            counts = dict.fromkeys(STATE_LABELS, 0)
            counts.update(Counter(states if mask is None else compress(states, mask)))
            found = (None if mask is None else bytes(mask), counts)
            with self._lock:
                self._masks[(totals, wanted, marks)] = found
                while len(self._masks) > _KEPT_SELECTIONS:
                    del self._masks[next(iter(self._masks))]
        passing, counts = found
        ordered = self.ordered(sort, totals=totals)
        if passing is None:
            return Selection(ordered, counts)
        positions = self._positions(sort, totals=totals)  # of the sorted rows in the urgency order
        return Selection(
            list(compress(ordered, passing if positions is None else map(passing.__getitem__, positions))), counts
        )

    def _column(self, name: str, *, totals: bool) -> tuple[Any, ...]:
        """The rows' values of a ``_COLUMNS`` entry, in the urgency order (kept per board)."""
        key = (totals, name)
        kept = self._columns.get(key)
        if kept is None:
            kept = tuple(map(_COLUMNS[name], self.totals() if totals else self.rows))
            self._columns[key] = kept
        return kept

    def _positions(self, sort: str, *, totals: bool) -> array[int] | None:
        """Where each row of ``ordered(sort)`` stands in the urgency order (None: that order)."""
        sort = sort if sort in SORTS else "urgency"
        if sort == "urgency":
            return None
        kept = self._perms.get((totals, sort))
        if kept is None:
            index = {id(row): i for i, row in enumerate(self.totals() if totals else self.rows)}
            kept = array("l", [index[id(row)] for row in self.ordered(sort, totals=totals)])
            self._perms[(totals, sort)] = kept
        return kept

    def prepare(self, views: Sequence[BoardFilter] = ()) -> None:
        """Compute ahead what the board's keys ask for: the total rows (~0.15 s at 10k SKUs), every
        sort's order of the rows and of the totals, the columns the filters read, the key index,
        and each of ``views`` by urgency, per warehouse and in total (~0.5 s of CPU in all at 10k
        SKUs). For a worker thread, once the board is on screen."""
        for totals in (False, True):
            for sort in SORTS:
                self._positions(sort, totals=totals)
            for name in _COLUMNS:
                self._column(name, totals=totals)
        self.row((0, 0))
        for totals in (False, True):
            for view in views:
                self.select([view], totals=totals)

    def view(
        self,
        board_filter: BoardFilter,
        *,
        totals: bool = False,
        sort: str = "urgency",
        marked: frozenset | set = frozenset(),
    ) -> list[BoardRow]:
        return board_filter.apply(self.ordered(sort, totals=totals), marked)

    def counts(self) -> dict[str, int]:
        result = dict.fromkeys(STATE_LABELS, 0)
        for row in self.rows:
            result[row.plan.state] += 1
        return result


# --- queries --------------------------------------------------------------------------------------
# Plain SQL text: the aggregate shapes below matter for speed and read the same on both backends.

_SKUS = """
SELECT k.id, k.code, k.name, k.supplier_id, k.cost, k.price, k.lead_time_days, k.moq, k.case_pack,
       k.buffer_days, k.review_cycle_days, k.safety_method, k.abc_override, k.version,
       p.name, p.lead_time_days, p.moq, p.case_pack
FROM sku k LEFT JOIN supplier p ON p.id = k.supplier_id {where}
"""

_STOCK = """
SELECT s.sku_id, s.warehouse_id, s.on_hand, s.committed, s.last_received_at FROM stock_level s {where}
ORDER BY s.sku_id, s.warehouse_id
"""

# The velocity window (28 days) of every stock position that has sales rows in it: units and
# squares on in-stock days, stock-out days, revenue, units. Apart from the stock: most positions
# sell on no day of the window (the Pareto tail), and a LEFT JOIN grouping every stock row with
# its empty sums cost more than both queries (0.16 s against 0.04 + 0.05 s of SQLite at 10k SKUs).
# CROSS JOIN makes SQLite drive from stock_level (ordered by sku, warehouse) and seek the
# (sku_id, warehouse_id, day) index of daily_sales, so the GROUP BY needs no sort (driving from the
# day index instead sorts the whole window: 5x slower). PostgreSQL plans it as an ordinary join.
_WINDOW = """
SELECT s.sku_id, s.warehouse_id,
       SUM(d.units) FILTER (WHERE NOT d.stockout),
       SUM(CAST(d.units AS DOUBLE PRECISION) * d.units) FILTER (WHERE NOT d.stockout),
       COUNT(*) FILTER (WHERE d.stockout),
       SUM(d.revenue), SUM(d.units)
FROM stock_level s CROSS JOIN daily_sales d
WHERE d.sku_id = s.sku_id AND d.warehouse_id = s.warehouse_id AND d.day >= :start AND d.day < :end {extra}
GROUP BY s.sku_id, s.warehouse_id
ORDER BY s.sku_id, s.warehouse_id
"""

# The days before the velocity window: revenue and units per SKU for the ABC ranking (every SKU,
# whatever rows are asked for) and units per SKU-warehouse in the dead-stock window.
_HISTORY = """
SELECT s.sku_id, s.warehouse_id, {sums}
FROM stock_level s CROSS JOIN daily_sales d
WHERE d.sku_id = s.sku_id AND d.warehouse_id = s.warehouse_id AND d.day >= :start AND d.day < :end
GROUP BY s.sku_id, s.warehouse_id
"""

# Revenue of every SKU over the velocity window, when the board is narrowed to a few SKUs.
_RECENT_REVENUE = """
SELECT s.sku_id, SUM(d.revenue), SUM(d.units)
FROM stock_level s CROSS JOIN daily_sales d
WHERE d.sku_id = s.sku_id AND d.warehouse_id = s.warehouse_id AND d.day >= :start AND d.day < :end
GROUP BY s.sku_id
"""

_INBOUND = """
SELECT l.sku_id, p.warehouse_id, p.number, p.status, p.expected_at, l.qty_ordered - l.qty_received
FROM purchase_order_line l JOIN purchase_order p ON p.id = l.po_id
WHERE p.status IN ('draft', 'sent', 'partial') AND l.qty_ordered > l.qty_received {extra}
"""

_TRANSFERS = """
SELECT t.id, t.sku_id, t.from_warehouse_id, t.to_warehouse_id, t.qty, t.status, t.expected_at
FROM stock_transfer t WHERE t.status IN ('draft', 'in_transit') {extra}
"""


def _dates(sql: str) -> TextClause:
    statement = text(sql)
    names = [name for name in ("start", "abc_start", "dead_start", "end") if f":{name}" in sql]
    return statement.bindparams(*[bindparam(name, type_=Date) for name in names])


def _ids_clause(column: str, sku_ids: Sequence[int] | None, keyword: str = "AND") -> str:
    return f"{keyword} {column} IN :ids" if sku_ids is not None else ""


def _run(
    session: Session | Connection, statement: TextClause, sku_ids: Sequence[int] | None, **params: object
) -> list[Any]:
    if sku_ids is not None:
        statement = statement.bindparams(bindparam("ids", expanding=True))
        params["ids"] = list(sku_ids)
    return list(session.execute(statement, params).all())


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass
class SalesHistory:
    """Sales before the velocity window: the rest of what the ABC ranking and dead stock need.

    Past days do not change within a day, so it is kept per engine and reused while the day, the
    windows, the newest sales row id and the inventory change counter (importers bump it) stay the
    same: a refresh then reads only the velocity window.
    """

    start: date
    end: date  # = start of the velocity window
    abc_start: date
    dead_start: date
    watermark: tuple
    revenue: dict[int, float]  # per SKU, ABC window
    units: dict[int, float]  # per SKU, ABC window
    recent_units: dict[tuple[int, int], float]  # per SKU-warehouse, dead-stock window


_HISTORY_CACHE: weakref.WeakKeyDictionary[Engine, SalesHistory] = weakref.WeakKeyDictionary()


def _watermark(session: Session | Connection) -> tuple:
    newest = session.execute(text("SELECT MAX(id) FROM daily_sales")).scalar()
    counter = session.execute(text("SELECT counter FROM change_counter WHERE area = 'inventory'")).scalar()
    return (newest, counter)


def _window_sum(column: str, since: str | None) -> str:
    return f"SUM(d.{column})" + (f" FILTER (WHERE d.day >= :{since})" if since else "")


def _history_bounds(cfg: BoardSettings, today: date) -> tuple[date, date, date, date]:
    """(start, end, abc_start, dead_start). Both windows span at least the velocity window, whose
    part comes from the velocity query."""
    end = today - timedelta(days=cfg.window_days)
    abc_start = min(today - timedelta(days=cfg.abc_window_days), end)
    dead_start = min(today - timedelta(days=cfg.policy.dead_days), end)
    return min(abc_start, dead_start), end, abc_start, dead_start


def _engine_of(session: Session | Connection) -> Engine | None:
    """The engine the rows come from (the history is kept per engine); None when the session is
    bound to a connection of its own, whose data another connection may not see."""
    bind = session.engine if isinstance(session, Connection) else session.get_bind()
    return bind if isinstance(bind, Engine) else None


def kept_history(session: Session | Connection, cfg: BoardSettings, today: date) -> tuple[SalesHistory | None, tuple]:
    """The kept history if it is still current, and the current watermark."""
    watermark = _watermark(session)
    engine = _engine_of(session)
    cached = _HISTORY_CACHE.get(engine) if engine is not None else None
    if (
        cached is not None
        and (cached.start, cached.end, cached.abc_start, cached.dead_start) == _history_bounds(cfg, today)
        and cached.watermark == watermark
    ):
        return cached, watermark
    return None, watermark


def read_history(session: Session | Connection, cfg: BoardSettings, today: date, watermark: tuple) -> SalesHistory:
    start, end, abc_start, dead_start = _history_bounds(cfg, today)
    params: dict[str, object] = {"start": start, "end": end, "abc_start": abc_start, "dead_start": dead_start}
    abc_units = _window_sum("units", "abc_start" if abc_start > start else None)
    dead_units = _window_sum("units", "dead_start" if dead_start > start else None)
    sums = ", ".join([_window_sum("revenue", "abc_start" if abc_start > start else None), abc_units, dead_units])
    sql = _HISTORY.format(sums=sums)
    statement, used = _dates(sql), {name: value for name, value in params.items() if f":{name}" in sql}
    revenue: dict[int, float] = defaultdict(float)
    units: dict[int, float] = defaultdict(float)
    recent: dict[tuple[int, int], float] = {}
    for sku_id, wh_id, money, sold, sold_recently in session.execute(statement, used).all():
        revenue[sku_id] += float(money or 0)
        units[sku_id] += float(sold or 0)
        if sold_recently:
            recent[(sku_id, wh_id)] = float(sold_recently)
    history = SalesHistory(start, end, abc_start, dead_start, watermark, dict(revenue), dict(units), recent)
    engine = _engine_of(session)
    if engine is not None:
        _HISTORY_CACHE[engine] = history
    return history


def sales_history(session: Session | Connection, cfg: BoardSettings, today: date) -> SalesHistory:
    """The history before the velocity window: kept, or read now (see ``SalesHistory``)."""
    kept, watermark = kept_history(session, cfg, today)
    return kept or read_history(session, cfg, today, watermark)


def _read_history_aside(
    session: Session | Connection, cfg: BoardSettings, today: date, watermark: tuple
) -> Future[SalesHistory] | None:
    """Read the history on a second connection while this one reads the velocity window: on
    PostgreSQL, whose server runs the two scans in parallel. Not on SQLite, where both run in this
    process: the second thread's rows wait for the interpreter lock and the build took longer
    (10k SKUs: 410-460 ms with it, 340-410 ms without; 1k SKUs: 62-98 ms against 50-61)."""
    engine = _engine_of(session)
    if engine is None or engine.dialect.name == "sqlite":
        return None

    def work() -> SalesHistory:
        with engine.connect() as aside:
            return read_history(aside, cfg, today, watermark)

    # A daemon thread, not an executor's: the interpreter joins executor threads when it exits, so
    # quitting the app while a first board is computed would wait for this read.
    future: Future[SalesHistory] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to the caller of result()
            future.set_exception(exc)

    threading.Thread(target=run, name="inventory-history", daemon=True).start()
    return future


def forget_sales_history() -> None:
    """Drop the kept history (tests, or after editing past sales in place)."""
    _HISTORY_CACHE.clear()


@contextlib.contextmanager
def _without_gc() -> Iterator[None]:
    """Building 30k rows allocates ~100k small objects and none of them form cycles: the cyclic
    collector would only walk them again and again (about a quarter of the build time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_board(session: Session | Connection, now: datetime, *, sku_ids: Sequence[int] | None = None) -> Board:
    """Every SKU-warehouse row with its plan. ``sku_ids`` narrows the rows (ABC still ranks all SKUs)."""
    with _without_gc():
        return _build_board(session, now, sku_ids)


def _build_board(session: Session | Connection, now: datetime, sku_ids: Sequence[int] | None) -> Board:
    cfg = load_settings(session)
    today = now.date()
    window_start = today - timedelta(days=cfg.window_days)
    kept, watermark = kept_history(session, cfg, today)
    pending = _read_history_aside(session, cfg, today, watermark) if kept is None else None
    skus = {r[0]: r for r in _run(session, text(_SKUS.format(where=_ids_clause("k.id", sku_ids, "WHERE"))), sku_ids)}
    stock = _run(session, text(_STOCK.format(where=_ids_clause("s.sku_id", sku_ids, "WHERE"))), sku_ids)
    window_rows = _run(
        session, _dates(_WINDOW.format(extra=_ids_clause("s.sku_id", sku_ids))), sku_ids, start=window_start, end=today
    )
    warehouses: dict[int, str] = dict(session.execute(text("SELECT id, code FROM warehouse")).all())
    history = kept or (pending.result() if pending is not None else read_history(session, cfg, today, watermark))
    revenue, units_sold, recent_units = dict(history.revenue), dict(history.units), history.recent_units
    if sku_ids is None:
        for sku_id, _wh, _units, _squares, _out, money, sold in window_rows:  # in (sku, warehouse) order
            revenue[sku_id] = revenue.get(sku_id, 0.0) + float(money or 0)
            units_sold[sku_id] = units_sold.get(sku_id, 0.0) + float(sold or 0)
    else:  # the ranking needs every SKU's recent revenue, not only the asked ones'
        for sku_id, money, sold in session.execute(_dates(_RECENT_REVENUE), {"start": window_start, "end": today}):
            revenue[sku_id] = revenue.get(sku_id, 0.0) + float(money or 0)
            units_sold[sku_id] = units_sold.get(sku_id, 0.0) + float(sold or 0)
    margins = {sku_id: ((r[5] - r[4]) / r[5] if r[5] else 0.0) for sku_id, r in skus.items()}
    ranking = dict(revenue)
    for sku_id in skus:
        ranking.setdefault(sku_id, 0.0)
    # With sku_ids, the ranking still holds every SKU that sold; only the asked SKUs' margins matter (C/D).
    classes = abc_classes(ranking, margins, a_share=cfg.a_share, b_share=cfg.b_share, d_margin=cfg.d_margin)
    arrivals, on_draft, draft_out = _inbound(session, sku_ids, today, cfg)

    prepared = {sku_id: _prepare(sku, classes, cfg) for sku_id, sku in skus.items()}
    found = _Lookups({(r[0], r[1]): r for r in window_rows}, warehouses, revenue, recent_units, arrivals, on_draft)
    rows, keys, wanted = _position_rows(stock, prepared, found, cfg, today)
    transfers = _suggest(wanted, draft_out)
    rows = [rows[i] for i in sorted(range(len(rows)), key=keys.__getitem__)]  # by urgency
    return Board(
        today=today,
        settings=cfg,
        rows=rows,
        warehouses=sorted(set(warehouses.values())),
        transfers=transfers,
        units_sold=dict(units_sold),
    )


@dataclass(frozen=True)
class _Lookups:
    """What the rows of the board look up per position (by (sku_id, warehouse_id)) or per SKU."""

    sales: dict[tuple[int, int], Sequence[Any]]  # the velocity window's sums (``_WINDOW`` rows)
    warehouses: dict[int, str]
    revenue: dict[int, float]  # per SKU, ABC window
    recent_units: dict[tuple[int, int], float]  # sold in the dead-stock window before the velocity window
    arrivals: dict[tuple[int, int], list[Arrival]]
    on_draft: dict[tuple[int, int], int]


# Per SKU with rows that want stock (``_suggest``): its rows, and the units wanted per warehouse.
Wanted = dict[int, tuple[list["BoardRow"], dict[int, float]]]


def _position_rows(
    stock: Iterable[Sequence[Any]], prepared: dict[int, tuple], found: _Lookups, cfg: BoardSettings, today: date
) -> tuple[list[BoardRow], list[tuple], Wanted]:
    """A row per stock position (in (sku, warehouse) order), planned; each row's ``urgency_key``
    (made here from the values at hand: a call per row cost as much as the sort); and the rows
    that want stock.
    Once per position (30k at 10k SKUs): the SKU's values are unpacked once per SKU, the days since
    a receipt once per receipt time."""
    policy, window, aged_days, transfer_days = cfg.policy, cfg.window_days, cfg.aged_days, cfg.transfer_days
    sales, warehouses, recent_units, arrivals, on_draft = (
        found.sales,
        found.warehouses,
        found.recent_units,
        found.arrivals,
        found.on_draft,
    )
    rows: list[BoardRow] = []
    append = rows.append
    keys: list[tuple] = []
    add_key = keys.append
    wanted: dict[int, dict[int, float]] = {}
    starts: dict[int, int] = {}  # where the rows of a SKU in ``wanted`` start
    no_arrivals: tuple[Arrival, ...] = ()
    receipts: dict[Any, int | None] = {}
    current: int | None = None
    sku: tuple | None = None
    for sku_id, wh_id, on_hand, committed, last_received in stock:
        if sku_id != current:
            current, sku, start = sku_id, prepared.get(sku_id), len(rows)
            if sku is not None:
                code, name, supplier_id, supplier, cost, price, lead, moq, pack, buffer_days, review, method, abc = sku[
                    :13
                ]
                version, sku_revenue, ordering = sku[13], found.revenue.get(sku_id, 0.0), abc != "D"
        if sku is None:
            continue
        key = (sku_id, wh_id)
        window_sales = sales.get(key)
        if window_sales is None:  # no sales row in the window: in stock, nothing sold
            daily, sigma, out_days, sold = 0.0, 0.0, 0, None
        else:
            _sku, _wh, units, squares, out_days, _money, sold = window_sales
            units, out_days = float(units or 0), int(out_days or 0)
            daily = velocity(units, window, out_days)
            sigma = demand_sigma(units, float(squares), window, out_days) if squares else 0.0
        if on_hand > 0 and last_received is not None:
            since_receipt = receipts.get(last_received, -1)
            if since_receipt == -1:
                since_receipt = receipts[last_received] = _days_since(last_received, today)
        else:
            since_receipt = None
        inp = RowInput(
            on_hand - committed,
            on_hand,
            daily,
            sigma,
            lead,
            review,
            buffer_days,
            moq,
            pack,
            abc,
            method,
            cost,
            tuple(arrivals[key]) if key in arrivals else no_arrivals,
            bool(sold) or key in recent_units,
            out_days > 0,
        )
        plan = plan_row(inp, policy, today)
        row = BoardRow(
            sku_id,
            wh_id,
            code,
            name,
            supplier_id,
            supplier,
            warehouses.get(wh_id, "?"),
            abc,
            on_hand,
            committed,
            cost,
            price,
            out_days,
            since_receipt,
            since_receipt is not None and since_receipt > aged_days,
            sku_revenue,
            version,
            inp,
            plan,
            on_draft.get(key, 0),
        )
        append(row)
        urgency = plan.urgency
        add_key((urgency is None, urgency if urgency is not None else 0, -daily, code, row.warehouse))
        if ordering and plan.state in _ORDERING:
            units_wanted = _units_wanted(row, transfer_days)
            if units_wanted > 0:
                if sku_id not in wanted:
                    wanted[sku_id], starts[sku_id] = {}, start
                wanted[sku_id][wh_id] = units_wanted
    return rows, keys, {sku_id: (_rows_of(rows, starts[sku_id]), units) for sku_id, units in wanted.items()}


def _rows_of(rows: list[BoardRow], start: int) -> list[BoardRow]:
    """The rows of the SKU whose rows start at ``start`` (they are next to each other)."""
    end, sku_id = start, rows[start].sku_id
    while end < len(rows) and rows[end].sku_id == sku_id:
        end += 1
    return rows[start:end]


def _units_wanted(row: BoardRow, transfer_days: int) -> float:
    """What a row in an ordering state wants brought in: its need, or more to bridge an empty shelf
    before a late inbound (a transfer can, a purchase only fills the need), less what is on draft."""
    plan = row.plan
    need = plan.need
    gap = gap_units(row.inp, plan, transfer_days) if plan.next_arrival is not None else 0.0
    return (need if need >= gap else gap) - row.on_draft  # max(need, gap), the first of equals


def _days_since(received: Any, today: date) -> int | None:
    # SQLite gives the text, PostgreSQL a datetime
    day = date.fromisoformat(received[:10]) if type(received) is str else _as_date(received)
    return (today - day).days if day is not None else None


def _prepare(sku: Sequence, classes: dict[int, str], cfg: BoardSettings) -> tuple:
    """A SKU's fields with the supplier's values filled in where the SKU has none (once per SKU)."""
    (
        sku_id,
        code,
        name,
        supplier_id,
        cost,
        price,
        lead,
        moq,
        pack,
        buffer_days,
        review,
        method,
        override,
        version,
        supplier,
        sup_lead,
        sup_moq,
        sup_pack,
    ) = sku
    abc = (override or classes.get(sku_id, "C")).upper()
    lead_time = lead if lead is not None else (sup_lead if sup_lead is not None else cfg.default_lead_time)
    return (
        code,
        name,
        supplier_id,
        supplier or "",
        float(cost),
        float(price),
        int(lead_time),
        int(moq if moq is not None else (sup_moq or 1)),
        int(pack if pack is not None else (sup_pack or 1)),
        int(buffer_days),
        int(review),
        "stat" if abc in cfg.stat_classes else (method or "rule"),
        abc,
        version,
    )


def _inbound(
    session: Session | Connection, sku_ids: Sequence[int] | None, today: date, cfg: BoardSettings
) -> tuple[dict[tuple[int, int], list[Arrival]], dict[tuple[int, int], int], dict[tuple[int, int], int]]:
    """Open PO lines and in-transit transfers as arrivals; drafts as quantities on draft."""
    arrivals: dict[tuple[int, int], list[Arrival]] = defaultdict(list)
    on_draft: dict[tuple[int, int], int] = defaultdict(int)
    draft_out: dict[tuple[int, int], int] = defaultdict(int)
    po_rows = _run(session, text(_INBOUND.format(extra=_ids_clause("l.sku_id", sku_ids))), sku_ids)
    for sku_id, wh_id, number, status, expected, remaining in po_rows:
        if status == "draft":
            on_draft[(sku_id, wh_id)] += int(remaining)
            continue
        day = _as_date(expected) or today + timedelta(days=cfg.default_lead_time)
        arrivals[(sku_id, wh_id)].append(Arrival(day, int(remaining), number))
    transfer_rows = _run(session, text(_TRANSFERS.format(extra=_ids_clause("t.sku_id", sku_ids))), sku_ids)
    for transfer_id, sku_id, from_wh, to_wh, qty, status, expected in transfer_rows:
        if status == "draft":
            on_draft[(sku_id, to_wh)] += int(qty)
            draft_out[(sku_id, from_wh)] += int(qty)
            continue
        arrivals[(sku_id, to_wh)].append(Arrival(_as_date(expected) or today, int(qty), f"TR-{transfer_id}"))
    return arrivals, on_draft, draft_out


_ORDERING = frozenset(("out", "reorder_now", "reorder_soon"))
_GIVING = frozenset(("ok", "overstock", "dead"))


def _suggest(wanted: Wanted, draft_out: dict[tuple[int, int], int]) -> list[TransferSuggestion]:
    """Transfers first (from warehouses of the same SKU with surplus), then purchases for the rest."""
    suggestions: list[TransferSuggestion] = []
    for sku_id, (sku_rows, units) in wanted.items():
        needs = []
        surplus = {}
        for r in sku_rows:
            wh_id = r.warehouse_id
            if wh_id in units:
                needs.append((wh_id, units[wh_id], r.plan.urgency))
            elif r.plan.state in _GIVING:
                surplus[wh_id] = int(
                    r.inp.available - draft_out.get((sku_id, wh_id), 0) - math.ceil(r.plan.order_up_to)
                )
        moves = plan_transfers(sku_id, needs, surplus) if surplus else []
        if moves:
            by_wh = {r.warehouse_id: r for r in sku_rows}
            for move in moves:
                target, source = by_wh[move.to_warehouse_id], by_wh[move.from_warehouse_id]
                target.transfer_in += move.qty
                target.transfer_from = ", ".join(
                    sorted(filter(None, {*target.transfer_from.split(", "), source.warehouse}))
                )
                source.transfer_out += move.qty
            suggestions.extend(moves)
        for row in sku_rows:
            if row.abc != "D":
                row.purchase_qty = round_order(
                    row.plan.need - row.on_draft - row.transfer_in, row.inp.moq, row.inp.case_pack
                )
    return suggestions


def total_row(rows: Sequence[BoardRow], cfg: BoardSettings, today: date) -> BoardRow:
    """The SKU over all its warehouses: stock and demand summed, the same rules applied."""
    # One pass over the SKU's rows (``Board.totals`` calls it once per SKU: 10k times at 10k SKUs).
    first = rows[0]
    available = on_hand = committed = stockout_days = on_draft = purchase_qty = 0
    sales: list[float] = []
    squares: list[float] = []
    arrivals: list[Arrival] = []
    oldest: int | None = None
    aged = sold_recently = had_stockout = False
    for r in rows:
        inp = r.inp
        available += inp.available
        on_hand += r.on_hand
        committed += r.committed
        stockout_days += r.stockout_days
        on_draft += r.on_draft
        purchase_qty += r.purchase_qty
        sales.append(inp.daily_sales)
        squares.append(inp.sigma**2)
        if inp.arrivals:
            arrivals.extend(inp.arrivals)
        since = r.days_since_receipt
        if since is not None and (oldest is None or since > oldest):
            oldest = since
        aged = aged or r.aged
        sold_recently = sold_recently or inp.sold_recently
        had_stockout = had_stockout or inp.had_stockout
    fi = first.inp
    inp = RowInput(
        available,
        on_hand,
        sum(sales),  # sum(): the same floats as summing the rows' values one by one
        math.sqrt(sum(squares)),
        fi.lead_time_days,
        fi.review_cycle_days,
        fi.buffer_days,
        fi.moq,
        fi.case_pack,
        first.abc,
        fi.method,
        first.cost,
        tuple(arrivals),
        sold_recently,
        had_stockout,
    )
    return BoardRow(
        first.sku_id,
        0,
        first.code,
        first.name,
        first.supplier_id,
        first.supplier,
        TOTAL_WAREHOUSE,
        first.abc,
        on_hand,
        committed,
        first.cost,
        first.price,
        stockout_days,
        oldest,
        aged,
        first.revenue,
        first.sku_version,
        inp,
        plan_row(inp, cfg.policy, today),
        on_draft,
        0,
        "",
        0,
        purchase_qty,
    )
