"""Inventory for the other areas and the board's side panels.

- ``sku_stock_state(session, sku_id, now)``: one SKU's state over all warehouses (out of stock,
  reorder now, ...), its projected stock-out date and its next inbound arrival. The ads screen and
  the overview's cross-area signals call it (``sku_stock_states`` for several SKUs at once).
- ``sku_detail``: what the board's detail view shows (sales history, stock per warehouse, open POs,
  the numbers behind the suggestion).
- ``update_sku_parameters``: lead time, MOQ, case pack, buffer days... with a version check.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, text, update
from sqlalchemy import select as sa_select  # sqlmodel's select is typed for up to 4 columns
from sqlmodel import Session, col, select

from dtc_tui import db, startup
from dtc_tui.errors import UserError
from dtc_tui.i18n import N_, _
from dtc_tui.models import Sku, StockLevel, Supplier, Warehouse
from dtc_tui.services.common import audit
from dtc_tui.services.inventory.board import Board, BoardRow, build_board, total_row
from dtc_tui.services.inventory.rules import STATE_LABELS, STRATEGY, reorder_point_formula, safety_stock_formula

if TYPE_CHECKING:
    from dtc_tui.services.inventory import snapshot  # it imports this module: imported where used


class InventoryError(UserError, ValueError):
    """A request the operator can fix; the message is one line."""


# --- the cross-area call ------------------------------------------------------------------------


@dataclass(frozen=True)
class SkuStockState:
    sku_id: int
    code: str
    name: str
    state: str  # out | reorder_now | reorder_soon | ok | overstock | dead (over all warehouses)
    state_label: str
    abc: str
    on_hand: int
    available: int
    inbound: int
    daily_sales: float
    cover_days: float | None
    stockout_date: date | None  # projected, counting inbound that lands before the shelf empties
    reorder_by: date | None  # stock-out date minus lead time
    next_inbound_date: date | None
    next_inbound_ref: str | None  # "PO-1001" or "TR-3"
    days_without_stock: int | None  # stock-out date to the next arrival after it (None: no gap known)
    lead_time_days: int
    warehouses: dict[str, str]  # warehouse code -> that warehouse's state

    @property
    def at_risk(self) -> bool:
        """Out of stock or running out before a new order could land."""
        return self.state in ("out", "reorder_now")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _state_from(total: BoardRow, rows: Sequence[BoardRow], today: date) -> SkuStockState:
    return SkuStockState(*state_values(total, rows, today))


def state_values(total: BoardRow, rows: Sequence[BoardRow], today: date) -> tuple:
    """A ``SkuStockState``'s values in the order of its fields (the stock snapshot stores every
    SKU's: as plain values, 10k of them cost half of what the dataclasses did)."""
    plan = total.plan
    stockout = plan.stockout_date
    next_date = next_ref = gap = None
    if total.inp.arrivals:
        arrivals = sorted(total.inp.arrivals, key=lambda a: a.day)
        following = next((a for a in arrivals if stockout is not None and max(a.day, today) > stockout), None)
        if following is not None and stockout is not None:
            gap = (max(following.day, today) - stockout).days
        next_date, next_ref = max(arrivals[0].day, today), arrivals[0].ref
    return (
        total.sku_id,
        total.code,
        total.name,
        plan.state,
        STATE_LABELS[plan.state],
        total.abc,
        total.on_hand,
        total.available,
        plan.inbound,
        round(total.velocity, 3),
        round(plan.cover_days, 1) if plan.cover_days else None,
        stockout,
        plan.reorder_by,
        next_date,
        next_ref,
        gap,
        total.lead_time,
        {r.warehouse: r.state for r in rows},
    )


_SHARED_BOARD = "dtc_tui.inventory.shared_board"  # session.info key, set by one_board()


@dataclass
class SharedStock:
    """What ``one_board`` keeps for its block: the board once built, the overview's stock facts."""

    now: datetime
    board: Board | None = None
    stock: snapshot.Stock | None = None


@contextmanager
def one_board(session: Session, now: datetime) -> Iterator[SharedStock]:
    """Within the block, ``full_board`` reads one full board, built on first use, and
    ``stock_facts`` and ``sku_stock_states`` read the stock snapshot when it is current
    (``snapshot.py``), else that board. For read-only work in one session: the overview built the
    board five times (its stock items, then the SKUs of three signals and of the ads report).
    After the block, ``snapshot.keep(engine, shared.stock, now)`` stores facts it had to build."""
    shared = SharedStock(now)
    session.info[_SHARED_BOARD] = shared
    try:
        yield shared
    finally:
        session.info.pop(_SHARED_BOARD, None)


def _shared(session: Session, now: datetime) -> SharedStock | None:
    shared = session.info.get(_SHARED_BOARD)
    return shared if isinstance(shared, SharedStock) and shared.now == now else None


def full_board(session: Session, now: datetime) -> Board:
    """Every SKU-warehouse row: the shared board inside ``one_board``, else a new one."""
    shared = _shared(session, now)
    if shared is None:
        return build_board(session, now)
    if shared.board is None:
        # It lives through the block (the whole of ``check``): out of the collector's sight, as the
        # reorder command's board, with its total rows, which the overview reads first.
        with startup.long_lived():
            board = build_board(session, now)
            board.totals()
        shared.board = board
    return shared.board


def _shared_stock(session: Session, shared: SharedStock) -> snapshot.Stock:
    from dtc_tui.services.inventory import snapshot

    if shared.stock is None:
        # Out of the collector's sight, as the board: 10k SKUs' states are ~100k objects (with the
        # collector on, check's run that stores them spent 0.19 s on them instead of 0.08 s).
        with startup.long_lived():
            shared.stock = snapshot.open_stock(session, shared.now.date(), lambda: full_board(session, shared.now))
    return shared.stock


def stock_facts(session: Session, now: datetime) -> snapshot.StockFacts:
    """The SKUs to reorder now and the health figures: from the snapshot inside ``one_board``."""
    from dtc_tui.services.inventory import snapshot

    shared = _shared(session, now)
    if shared is None:
        return snapshot.facts_of(build_board(session, now))
    return _shared_stock(session, shared).facts


def state_values_of(board: Board) -> dict[int, tuple]:
    """Every SKU's ``state_values`` from a full board (the stock snapshot stores them)."""
    grouped = board.by_sku()
    today = board.today
    return {t.sku_id: state_values(t, grouped[t.sku_id], today) for t in board.totals()}


def sku_stock_states(session: Session, sku_ids: Sequence[int], now: datetime) -> dict[int, SkuStockState]:
    """``sku_stock_state`` for several SKUs with one set of queries (in the order asked: the
    callers look the states up by SKU)."""
    if not sku_ids:
        return {}
    wanted = list(dict.fromkeys(sku_ids))
    shared = _shared(session, now)
    if shared is not None:
        return _shared_stock(session, shared).states(session, wanted)
    board = build_board(session, now, sku_ids=wanted)  # a narrowed board gives the same rows (ABC ranks all SKUs)
    grouped = board.by_sku()
    return {
        sku_id: _state_from(total_row(rows, board.settings, board.today), rows, board.today)
        for sku_id, rows in ((sku_id, grouped.get(sku_id)) for sku_id in wanted)
        if rows
    }


def sku_stock_state(session: Session, sku_id: int, now: datetime) -> SkuStockState | None:
    """The SKU's state over all warehouses; None for an unknown SKU or one stocked nowhere."""
    return sku_stock_states(session, [sku_id], now).get(sku_id)


# --- detail view ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SalesPoint:
    day: date
    units: int
    stockout: bool


@dataclass(frozen=True)
class SkuParameters:
    lead_time_days: int | None  # None: the supplier's
    moq: int | None
    case_pack: int | None
    buffer_days: int
    review_cycle_days: int
    safety_method: str
    abc_override: str | None
    supplier_lead_time_days: int | None
    supplier_moq: int | None
    supplier_case_pack: int | None
    version: int


@dataclass(frozen=True)
class SkuDetail:
    sku_id: int
    code: str
    name: str
    supplier: str
    abc: str
    strategy: str
    params: SkuParameters
    focus: BoardRow  # the row the detail explains (a warehouse, or the total)
    total: BoardRow
    warehouses: tuple[BoardRow, ...]
    sales: tuple[SalesPoint, ...]  # oldest first, every day (zeros filled)
    open_pos: tuple  # (PoSummary, PoLine) pairs
    transfers: tuple  # TransferRow
    explanation: tuple[tuple[str, str], ...]


def find_sku(session: Session, code: str) -> Sku:
    sku = session.exec(select(Sku).where(func.upper(Sku.code) == code.strip().upper())).first()
    if sku is None:
        raise InventoryError(_("no SKU {code}").format(code=code))
    return sku


def sales_history(session: Session, sku_id: int, today: date, days: int) -> tuple[SalesPoint, ...]:
    """Units per day over every warehouse for ``days`` days up to yesterday (missing days are 0)."""
    start = today - timedelta(days=days)
    rows = session.execute(
        text(
            "SELECT day, SUM(units), MAX(CASE WHEN stockout THEN 1 ELSE 0 END) FROM daily_sales "
            "WHERE sku_id = :sku AND day >= :start AND day < :end GROUP BY day"
        ).bindparams(*_date_params()),
        {"sku": sku_id, "start": start, "end": today},
    ).all()
    by_day = {
        (d if isinstance(d, date) else date.fromisoformat(str(d)[:10])): (int(u or 0), bool(o)) for d, u, o in rows
    }
    points = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        units, out = by_day.get(day, (0, False))
        points.append(SalesPoint(day, units, out))
    return tuple(points)


def _date_params() -> list:
    from sqlalchemy import Date, bindparam

    return [bindparam("start", type_=Date), bindparam("end", type_=Date)]


def _parameters(session: Session, sku: Sku) -> SkuParameters:
    supplier = session.get(Supplier, sku.supplier_id) if sku.supplier_id else None
    return SkuParameters(
        lead_time_days=sku.lead_time_days,
        moq=sku.moq,
        case_pack=sku.case_pack,
        buffer_days=sku.buffer_days,
        review_cycle_days=sku.review_cycle_days,
        safety_method=sku.safety_method,
        abc_override=sku.abc_override,
        supplier_lead_time_days=supplier.lead_time_days if supplier else None,
        supplier_moq=supplier.moq if supplier else None,
        supplier_case_pack=supplier.case_pack if supplier else None,
        version=sku.version,
    )


def sku_parameters(session: Session, sku_id: int) -> SkuParameters:
    sku = session.get(Sku, sku_id)
    if sku is None:
        raise InventoryError(_("no SKU with id {id}").format(id=sku_id))
    return _parameters(session, sku)


def explain(row: BoardRow, params: SkuParameters, window_days: int, policy: object) -> tuple[tuple[str, str], ...]:
    """The numbers behind the suggestion, as label/value lines."""
    plan, inp = row.plan, row.inp
    lead_source = "SKU" if params.lead_time_days is not None else _("supplier")
    velocity = _("{rate}/day over {days} days").format(rate=f"{inp.daily_sales:.2f}", days=window_days)
    if row.stockout_days:
        velocity += " " + _("({days} stock-out days left out)").format(days=row.stockout_days)
    order_up_to = _("{qty} = reorder point + {rate} x {days} d review cycle").format(
        qty=f"{plan.order_up_to:,.0f}", rate=f"{inp.daily_sales:.2f}", days=inp.review_cycle_days
    )
    projected = _("{qty} = available {available} + inbound {inbound}").format(
        qty=f"{plan.projected:,}", available=f"{inp.available:,}", inbound=f"{plan.inbound:,}"
    )
    lines = [
        (N_("Velocity"), velocity),
        (N_("Lead time"), _("{days} days ({source})").format(days=inp.lead_time_days, source=lead_source)),
        (N_("Class"), f"{row.abc}: {_(STRATEGY.get(row.abc, ''))}"),
        (N_("Safety stock"), f"{plan.safety_stock:,.0f} = {safety_stock_formula(inp, policy)}"),  # type: ignore[arg-type]
        (N_("Reorder point"), f"{plan.reorder_point:,.0f} = {reorder_point_formula(inp, plan, policy)}"),  # type: ignore[arg-type]
        (N_("Order up to"), order_up_to),
        (N_("Projected"), projected),
    ]
    if plan.days_to_stockout is not None:
        stockout = _("{day} (in {days} days); order by {by}").format(
            day=plan.stockout_date, days=plan.days_to_stockout, by=plan.reorder_by
        )
        lines.append((N_("Stock-out"), stockout))
    if plan.need > 0:
        lines.append((N_("Need"), _("{qty} = order up to - projected").format(qty=f"{plan.need:,.0f}")))
    if row.on_draft:
        lines.append((N_("On draft"), _("{qty} already on draft POs or transfers").format(qty=f"{row.on_draft:,}")))
    if row.transfer_in:
        transfer = _("{qty} from {warehouse} (surplus there)").format(
            qty=f"{row.transfer_in:,}", warehouse=row.transfer_from
        )
        lines.append((N_("Transfer"), transfer))
    if plan.need > 0 or row.purchase_qty:
        suggested = _("{qty} to buy (MOQ {moq}, case pack {pack})").format(
            qty=f"{row.purchase_qty:,}", moq=f"{inp.moq:,}", pack=f"{inp.case_pack:,}"
        )
        lines.append((N_("Suggested"), suggested))
    if plan.excess_units:
        overstock = _("{units} units, {cost}/month storage").format(
            units=f"{plan.excess_units:,}", cost=f"{plan.storage_cost_monthly:,.2f}"
        )
        lines.append((N_("Overstock"), overstock))
    return tuple(lines)


def sku_detail(session: Session, sku_id: int, now: datetime, *, warehouse_id: int = 0, days: int = 180) -> SkuDetail:
    from dtc_tui.services.inventory.purchasing import list_transfers, open_pos_for_sku

    sku = session.get(Sku, sku_id)
    if sku is None:
        raise InventoryError(_("no SKU with id {id}").format(id=sku_id))
    board = build_board(session, now, sku_ids=[sku_id])
    rows = tuple(sorted(board.rows, key=lambda r: r.warehouse))
    if not rows:
        raise InventoryError(_("{sku} has no stock record in any warehouse").format(sku=sku.code))
    total = total_row(rows, board.settings, board.today)
    focus = next((r for r in rows if r.warehouse_id == warehouse_id), total)
    params = _parameters(session, sku)
    supplier = session.get(Supplier, sku.supplier_id) if sku.supplier_id else None
    return SkuDetail(
        sku_id=sku_id,
        code=sku.code,
        name=sku.name,
        supplier=supplier.name if supplier else "-",
        abc=total.abc,
        strategy=STRATEGY.get(total.abc, ""),
        params=params,
        focus=focus,
        total=total,
        warehouses=rows,
        sales=sales_history(session, sku_id, board.today, days),
        open_pos=tuple(open_pos_for_sku(session, sku_id, now)),
        transfers=tuple(list_transfers(session, sku_id=sku_id)),
        explanation=(
            *explain(focus, params, board.settings.window_days, board.settings.policy),
            (N_("Last sale"), _last_sale(session, sku_id, focus.warehouse_id)),
        ),
    )


def _last_sale(session: Session, sku_id: int, warehouse_id: int) -> str:
    """The last day with a sale (of this warehouse, or of any when ``warehouse_id`` is 0)."""
    where = " AND warehouse_id = :wh" if warehouse_id else ""
    day = session.execute(
        text(f"SELECT MAX(day) FROM daily_sales WHERE sku_id = :sku AND units > 0{where}"),
        {"sku": sku_id, "wh": warehouse_id},
    ).scalar()
    return str(day)[:10] if day is not None else _("none on record")


# --- editing a SKU's parameters -------------------------------------------------------------------

EDITABLE = {
    "lead_time_days": (0, 365, True),
    "moq": (1, 1_000_000, True),
    "case_pack": (1, 100_000, True),
    "buffer_days": (0, 365, False),
    "review_cycle_days": (0, 365, False),
}


def validate_changes(changes: dict[str, object]) -> dict[str, object]:
    """Check and normalise edits; raises InventoryError with a one-line message."""
    clean: dict[str, object] = {}
    for key, value in changes.items():
        if key in EDITABLE:
            low, high, nullable = EDITABLE[key]
            if value in (None, "") and nullable:
                clean[key] = None
                continue
            try:
                number = int(str(value).strip())
            except ValueError as exc:
                raise InventoryError(
                    _("{field}: {value!r} is not a whole number").format(field=_(key.replace("_", " ")), value=value)
                ) from exc
            if not low <= number <= high:
                raise InventoryError(
                    _("{field} must be between {low} and {high}").format(
                        field=_(key.replace("_", " ")), low=low, high=high
                    )
                )
            clean[key] = number
        elif key == "safety_method":
            if value not in ("rule", "stat"):
                raise InventoryError(_("safety method is rule or stat"))
            clean[key] = value
        elif key == "abc_override":
            letter = (str(value).strip().upper() if value else "") or None
            if letter is not None and letter not in ("A", "B", "C", "D"):
                raise InventoryError(_("class override is A, B, C, D or empty"))
            clean[key] = letter
        else:
            raise InventoryError(_("{field} cannot be edited here").format(field=key))
    return clean


def update_sku_parameters(
    engine: Engine, sku_id: int, changes: dict[str, object], *, expected_version: int, actor: str, now: datetime
) -> int:
    """Apply the edits with a compare-and-set on the SKU's version; returns the new version."""
    clean = validate_changes(changes)
    if not clean:
        return expected_version
    with db.write_session(engine) as session:
        sku = session.get(Sku, sku_id)
        if sku is None:
            raise InventoryError(_("no SKU with id {id}").format(id=sku_id))
        before = {key: getattr(sku, key) for key in clean}
        result = session.exec(
            update(Sku)
            .where(col(Sku.id) == sku_id, col(Sku.version) == expected_version)
            .values(version=expected_version + 1, **clean)
        )
        if result.rowcount != 1:
            raise InventoryError(_("{sku} was changed by someone else; reload and try again").format(sku=sku.code))
        audit.record(
            session, actor=actor, now=now, entity="sku", entity_id=sku.code, action="update", before=before, after=clean
        )
        return expected_version + 1


# --- the plain stock list (kept for callers of the first version) ------------------------------------


@dataclass(frozen=True)
class StockRow:
    sku_id: int
    code: str
    name: str
    warehouse: str
    on_hand: int
    committed: int

    @property
    def available(self) -> int:
        return self.on_hand - self.committed


def stock_rows(session: Session) -> list[StockRow]:
    stmt = (
        sa_select(
            col(Sku.id),
            col(Sku.code),
            col(Sku.name),
            col(Warehouse.code),
            col(StockLevel.on_hand),
            col(StockLevel.committed),
        )
        .join(StockLevel, col(StockLevel.sku_id) == col(Sku.id))
        .join(Warehouse, col(Warehouse.id) == col(StockLevel.warehouse_id))
        .order_by(Sku.code, Warehouse.code)
    )
    return [StockRow(*row) for row in session.execute(stmt)]
