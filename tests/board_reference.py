"""The reorder board's build as it was before issue 20 (part 6), kept as the reference of the
faster build in ``services/inventory/board.py``: ``tests/test_board_build.py`` checks that both give
the same board. Copied verbatim (its queries too), except for the names it takes from the board module."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session

from dtc_tui.services.inventory.board import (
    TOTAL_WAREHOUSE,
    Board,
    BoardRow,
    BoardSettings,
    _dates,
    _ids_clause,
    _read_history_aside,
    _run,
    _without_gc,
    kept_history,
    load_settings,
    read_history,
    urgency_key,
)
from dtc_tui.services.inventory.rules import (
    Arrival,
    RowInput,
    TransferSuggestion,
    abc_classes,
    demand_sigma,
    gap_units,
    plan_row,
    plan_transfers,
    round_order,
    velocity,
)


def build_board(session: Session, now: datetime, *, sku_ids: Sequence[int] | None = None) -> Board:
    with _without_gc():
        return _build_board(session, now, sku_ids)


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

# CROSS JOIN makes SQLite drive from stock_level (ordered by sku, warehouse) and seek the
# (sku_id, warehouse_id, day) index of daily_sales, so the GROUP BY needs no sort (driving from the
# day index instead sorts the whole window: 5x slower). PostgreSQL plans it as an ordinary join.
_VELOCITY = """
SELECT s.sku_id, s.warehouse_id,
       SUM(d.units) FILTER (WHERE NOT d.stockout),
       SUM(CAST(d.units AS DOUBLE PRECISION) * d.units) FILTER (WHERE NOT d.stockout),
       COUNT(*) FILTER (WHERE d.stockout),
       SUM(d.revenue), SUM(d.units)
FROM stock_level s CROSS JOIN daily_sales d
WHERE d.sku_id = s.sku_id AND d.warehouse_id = s.warehouse_id AND d.day >= :start AND d.day < :end {extra}
GROUP BY s.sku_id, s.warehouse_id
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


def _build_board(session: Session, now: datetime, sku_ids: Sequence[int] | None) -> Board:
    cfg = load_settings(session)
    today = now.date()
    window_start = today - timedelta(days=cfg.window_days)
    kept, watermark = kept_history(session, cfg, today)
    pending = _read_history_aside(session, cfg, today, watermark) if kept is None else None
    skus = {r[0]: r for r in _run(session, text(_SKUS.format(where=_ids_clause("k.id", sku_ids, "WHERE"))), sku_ids)}
    stock = _run(session, text(_STOCK.format(where=_ids_clause("s.sku_id", sku_ids, "WHERE"))), sku_ids)
    warehouses = dict(session.execute(text("SELECT id, code FROM warehouse")).all())
    window_rows = _run(
        session,
        _dates(_VELOCITY.format(extra=_ids_clause("s.sku_id", sku_ids))),
        sku_ids,
        start=window_start,
        end=today,
    )
    history = kept or (pending.result() if pending is not None else read_history(session, cfg, today, watermark))
    revenue, units_sold, recent_units = dict(history.revenue), dict(history.units), dict(history.recent_units)
    stats: dict[tuple[int, int], tuple[float, float, int]] = {}
    for sku_id, wh_id, units, squares, out_days, money, sold in window_rows:
        stats[(sku_id, wh_id)] = (float(units or 0), float(squares or 0), int(out_days or 0))
        if sku_ids is None:
            revenue[sku_id] = revenue.get(sku_id, 0.0) + float(money or 0)
            units_sold[sku_id] = units_sold.get(sku_id, 0.0) + float(sold or 0)
        if sold:
            recent_units[(sku_id, wh_id)] = recent_units.get((sku_id, wh_id), 0.0) + float(sold)
    if sku_ids is not None:  # the ranking needs every SKU's recent revenue, not only the asked ones'
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

    policy, window, aged_days = cfg.policy, cfg.window_days, cfg.aged_days
    prepared = {sku_id: _prepare(sku, classes, cfg) for sku_id, sku in skus.items()}
    rows: list[BoardRow] = []
    no_stats = (0.0, 0.0, 0)
    for sku_id, wh_id, on_hand, committed, last_received in stock:
        sku = prepared.get(sku_id)
        if sku is None:
            continue
        code, name, supplier_id, supplier, cost, price, lead, moq, pack, buffer_days, review, method, abc, version = sku
        key = (sku_id, wh_id)
        units, squares, out_days = stats.get(key, no_stats)
        received = _as_date(last_received) if on_hand > 0 and last_received is not None else None
        since_receipt = (today - received).days if received is not None else None
        inp = RowInput(
            on_hand - committed,
            on_hand,
            velocity(units, window, out_days),
            demand_sigma(units, squares, window, out_days) if squares else 0.0,
            lead,
            review,
            buffer_days,
            moq,
            pack,
            abc,
            method,
            cost,
            tuple(arrivals[key]) if key in arrivals else (),
            key in recent_units,
            out_days > 0,
        )
        rows.append(
            BoardRow(
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
                revenue.get(sku_id, 0.0),
                version,
                inp,
                plan_row(inp, policy, today),
                on_draft.get(key, 0),
            )
        )
    transfers = _suggest(rows, draft_out, cfg.transfer_days)
    rows.sort(key=urgency_key)
    return Board(
        today=today,
        settings=cfg,
        rows=rows,
        warehouses=sorted(set(warehouses.values())),
        transfers=transfers,
        units_sold=dict(units_sold),
    )


def _inbound(
    session: Session, sku_ids: Sequence[int] | None, today: date, cfg: BoardSettings
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


def _suggest(
    rows: list[BoardRow], draft_out: dict[tuple[int, int], int], transfer_days: int
) -> list[TransferSuggestion]:
    """Transfers first (from warehouses of the same SKU with surplus), then purchases for the rest."""
    wanted: dict[tuple[int, int], float] = {}
    for row in rows:
        if row.abc == "D" or row.plan.state not in ("out", "reorder_now", "reorder_soon"):
            continue
        # A transfer can also bridge the gap before a late inbound; a purchase only fills the need.
        units = max(row.plan.need, gap_units(row.inp, row.plan, transfer_days)) - row.on_draft
        if units > 0:
            wanted[row.key] = units
    if not wanted:
        return []
    skus = {sku_id for sku_id, _wh in wanted}
    by_sku: dict[int, list[BoardRow]] = defaultdict(list)
    for row in rows:
        if row.sku_id in skus:
            by_sku[row.sku_id].append(row)
    suggestions: list[TransferSuggestion] = []
    for sku_id, sku_rows in by_sku.items():
        needs = [(r.warehouse_id, wanted[r.key], r.plan.urgency) for r in sku_rows if r.key in wanted]
        surplus = {
            r.warehouse_id: int(r.available - draft_out.get(r.key, 0) - math.ceil(r.plan.order_up_to))
            for r in sku_rows
            if r.key not in wanted and r.plan.state in ("ok", "overstock", "dead")
        }
        moves = plan_transfers(sku_id, needs, surplus) if surplus else []
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
    first = rows[0]
    receipts = [r.days_since_receipt for r in rows if r.days_since_receipt is not None]
    inp = RowInput(
        available=sum(r.inp.available for r in rows),
        on_hand=sum(r.on_hand for r in rows),
        daily_sales=sum(r.inp.daily_sales for r in rows),
        sigma=math.sqrt(sum(r.inp.sigma**2 for r in rows)),
        lead_time_days=first.inp.lead_time_days,
        review_cycle_days=first.inp.review_cycle_days,
        buffer_days=first.inp.buffer_days,
        moq=first.inp.moq,
        case_pack=first.inp.case_pack,
        abc=first.abc,
        method=first.inp.method,
        cost=first.cost,
        arrivals=tuple(a for r in rows for a in r.inp.arrivals),
        sold_recently=any(r.inp.sold_recently for r in rows),
        had_stockout=any(r.inp.had_stockout for r in rows),
    )
    plan = plan_row(inp, cfg.policy, today)
    oldest = max(receipts) if receipts else None
    return BoardRow(
        sku_id=first.sku_id,
        warehouse_id=0,
        code=first.code,
        name=first.name,
        supplier_id=first.supplier_id,
        supplier=first.supplier,
        warehouse=TOTAL_WAREHOUSE,
        abc=first.abc,
        on_hand=inp.on_hand,
        committed=sum(r.committed for r in rows),
        cost=first.cost,
        price=first.price,
        stockout_days=sum(r.stockout_days for r in rows),
        days_since_receipt=oldest,
        aged=any(r.aged for r in rows),
        revenue=first.revenue,
        sku_version=first.sku_version,
        inp=inp,
        plan=plan,
        on_draft=sum(r.on_draft for r in rows),
        transfer_in=0,
        transfer_from="",
        transfer_out=0,
        purchase_qty=sum(r.purchase_qty for r in rows),
    )


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


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
