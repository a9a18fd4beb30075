"""``dtc-tui inventory ...`` (reorder suggestions, health, one SKU's state) and ``dtc-tui po ...``."""

from __future__ import annotations

import csv
import sys
from typing import TYPE_CHECKING

import click

from dtc_tui.commands.common import CliContext, csv_option, echo_json, json_option, pass_ctx
from dtc_tui.i18n import N_, _, ngettext

# Board state codes as the text output writes them ("reorder_now" -> "reorder now", translated).
STATE_WORDS = (N_("out"), N_("dead"))

if TYPE_CHECKING:  # for the annotations only: commands import services inside their functions
    from dtc_tui.services.inventory.board import BoardRow

# Static so --help imports no services; tests/test_filters.py checks it names every field of BOARD_FILTER.
BOARD_FILTER_HELP = (
    "Filter as in the app's board: wh:US-W sup:ningbo class:A,B state:reorder flag:aged, "
    "-field:value leaves out, other words match the SKU code or name (docs/filters.md#filters)."
)

REORDER_FIELDS = [
    "sku",
    "name",
    "warehouse",
    "supplier",
    "class",
    "state",
    "on_hand",
    "available",
    "inbound",
    "on_draft",
    "daily_sales",
    "cover_days",
    "days_to_stockout",
    "stockout_date",
    "reorder_by",
    "lead_time_days",
    "reorder_point",
    "safety_stock",  # deprecated: the reorder point under its old name, for one release (docs/inventory.md)
    "buffer_stock",
    "order_up_to",
    "moq",
    "case_pack",
    "suggested_purchase",
    "transfer_in",
    "transfer_from",
    "action",
]


def _reorder_record(row: BoardRow) -> dict[str, object]:
    r = row
    plan = r.plan
    return {
        "sku": r.code,
        "name": r.name,
        "warehouse": r.warehouse,
        "supplier": r.supplier,
        "class": r.abc,
        "state": r.state,
        "on_hand": r.on_hand,
        "available": r.available,
        "inbound": plan.inbound,
        "on_draft": r.on_draft,
        "daily_sales": round(r.velocity, 3),
        "cover_days": round(plan.cover_days, 1) if plan.cover_days is not None else None,
        "days_to_stockout": plan.days_to_stockout,
        "stockout_date": plan.stockout_date,
        "reorder_by": plan.reorder_by,
        "lead_time_days": r.lead_time,
        "reorder_point": round(plan.reorder_point, 1),
        # Deprecated, removed in the next release: this key always held the reorder point. The real
        # safety stock (the buffer) is "buffer_stock" until then, to keep the old key's meaning.
        "safety_stock": round(plan.reorder_point, 1),
        "buffer_stock": round(plan.safety_stock, 1),
        "order_up_to": round(plan.order_up_to, 1),
        "moq": r.inp.moq,
        "case_pack": r.inp.case_pack,
        "suggested_purchase": r.purchase_qty,
        "transfer_in": r.transfer_in,
        "transfer_from": r.transfer_from,
        "action": r.action,
    }


@click.group("inventory")
def inventory_group() -> None:
    """Reorder board numbers, health KPIs and stock state, headless."""


@inventory_group.command("reorder")
@click.option("--warehouse", "-w", metavar="CODE", help="Only this warehouse (e.g. US-W).")
@click.option("--filter", "filter_text", default="", metavar="TEXT", help=BOARD_FILTER_HELP)
@click.option("--all", "show_all", is_flag=True, help="Every row, not only those to order or move.")
@json_option()
@csv_option()
@pass_ctx
def reorder(
    ctx: CliContext, warehouse: str | None, filter_text: str, show_all: bool, as_json: bool, as_csv: bool
) -> None:
    """What to order or move: rows out of stock or at their reorder point, most urgent first."""
    from dtc_tui import db, startup
    from dtc_tui.services.inventory.board import BoardFilter, build_board

    if as_json and as_csv:
        raise click.ClickException(_("choose one of --json and --csv"))
    # The board's ~150k objects live until the end: frozen, the collections while the output is
    # written do not walk them again and again (~0.06 s at 10k SKUs).
    # A Core connection: the board reads plain rows, so the report loads no ORM and no table models.
    with db.read_connection(ctx.engine()) as connection, startup.long_lived():
        board = build_board(connection, ctx.now())
    if warehouse and warehouse.upper() not in {w.upper() for w in board.warehouses}:
        raise click.ClickException(
            _("unknown warehouse {warehouse!r}; known: {known}").format(
                warehouse=warehouse, known=", ".join(board.warehouses) or _("none")
            )
        )
    rows = BoardFilter.parse(f'wh:"{warehouse}" {filter_text}' if warehouse else filter_text).apply(board.rows)
    if not show_all:
        rows = [r for r in rows if r.state in ("out", "reorder_now", "reorder_soon") or r.purchase_qty or r.transfer_in]
    records = [_reorder_record(r) for r in rows]
    if as_json:
        echo_json({"as_of": board.today, "rows": records})
        return
    if as_csv:
        from dtc_tui.services.common.text import neutralise_formula

        writer = csv.DictWriter(sys.stdout, fieldnames=REORDER_FIELDS, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow(
                {
                    k: neutralise_formula(v) if isinstance(v, str) else ("" if v is None else v)
                    for k, v in record.items()
                }
            )
        return
    if not records:
        click.echo(_("Nothing to order or move."))
        return
    from dtc_tui.services.common.localefmt import pad_cells as pad
    from dtc_tui.services.common.text import one_line

    click.echo(
        f"{pad('SKU', 14)} {pad(_('WH'), 5)} {pad(_('Cl'), 2)} {pad(_('State'), 13)} {pad(_('Avail'), 7, right=True)} "
        f"{pad(_('/day'), 6, right=True)} {pad(_('Out in'), 6, right=True)} {pad(_('ROP'), 7, right=True)} "
        f"{_('Action')}"
    )
    for record in records:
        days = record["days_to_stockout"]
        out_in = "-" if days is None else _("{days}d").format(days=days)
        state = _(str(record["state"]).replace("_", " "))
        click.echo(
            f"{pad(one_line(str(record['sku']), 14), 14)} {pad(one_line(str(record['warehouse']), 5), 5)} "
            f"{record['class']:<2} {pad(state, 13)} {record['available']:>7,} "
            f"{record['daily_sales']:>6.1f} {pad(out_in, 6, right=True)} {record['reorder_point']:>7,.0f} "
            f"{one_line(str(record['action']))}"
        )
    count = len(records)
    click.echo(
        ngettext("{count} row as of {day}", "{count} rows as of {day}", count).format(count=count, day=board.today)
    )


@inventory_group.command("health")
@json_option()
@pass_ctx
def health_command(ctx: CliContext, as_json: bool) -> None:
    """Health KPIs beside their targets: ageing, turnover, core stock-outs, slow movers, overstock."""
    from dtc_tui import db
    from dtc_tui.services.inventory.health import health

    with db.read_session(ctx.engine()) as session:
        report = health(session, ctx.now())
    if as_json:
        echo_json(report.as_dict())
        return
    for kpi in report.kpis:
        percent = kpi.key != "turnover"
        value = "-" if kpi.value is None else (f"{kpi.value:.1%}" if percent else f"{kpi.value:.1f}")
        target = f"{kpi.target:.0%}" if percent else f"{kpi.target:g}"
        verdict = _("n/a") if kpi.ok is None else (_("ok") if kpi.ok else _("OFF"))
        from dtc_tui.services.common.localefmt import pad_cells as pad

        goal = _("target {comparison} {value}").format(comparison=kpi.comparison, value=f"{target:<5}")
        click.echo(f"{pad(kpi.label, 28)} {value:>8}  {goal} {pad(verdict, 4)} {kpi.detail}")
    click.echo(
        _(
            "overstock: {units} units, {value} at cost, {storage}/month storage; "
            "dead stock: {dead} SKUs, {dead_value} at cost"
        ).format(
            units=f"{report.overstock_units:,}",
            value=f"{report.overstock_value:,.0f}",
            storage=f"{report.storage_cost_monthly:,.0f}",
            dead=report.dead_skus,
            dead_value=f"{report.dead_value:,.0f}",
        )
    )


@inventory_group.command("state")
@click.argument("sku")
@json_option()
@pass_ctx
def state_command(ctx: CliContext, sku: str, as_json: bool) -> None:
    """One SKU over all warehouses: state, projected stock-out, next inbound."""
    from dtc_tui import db
    from dtc_tui.services.inventory.stock_state import InventoryError, find_sku, sku_stock_state

    with db.read_session(ctx.engine()) as session:
        try:
            found = find_sku(session, sku)
        except InventoryError as exc:
            raise click.ClickException(str(exc)) from exc
        state = sku_stock_state(session, found.id or 0, ctx.now())
    if state is None:
        raise click.ClickException(_("{sku} has no stock record in any warehouse").format(sku=found.code))
    if as_json:
        echo_json(state.as_dict())
        return
    click.echo(
        _("{sku}: {state}; available {available}, inbound {inbound}, {rate}/day").format(
            sku=state.code,
            state=_(state.state_label),
            available=f"{state.available:,}",
            inbound=f"{state.inbound:,}",
            rate=f"{state.daily_sales:.1f}",
        )
    )
    click.echo(
        _("stock-out: {day}   next inbound: {inbound} {ref}")
        .format(
            day=state.stockout_date or "-", inbound=state.next_inbound_date or "-", ref=state.next_inbound_ref or ""
        )
        .rstrip()
    )


@click.group("po")
def po_group() -> None:
    """Purchase orders, headless."""


@po_group.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only draft, sent and partly received POs.")
@json_option()
@pass_ctx
def po_list(ctx: CliContext, open_only: bool, as_json: bool) -> None:
    """Every PO with its status and lateness, open ones first."""
    from dtc_tui import db
    from dtc_tui.services.inventory import purchasing

    with db.read_session(ctx.engine()) as session:
        pos = purchasing.list_pos(session, ctx.now(), statuses=purchasing.OPEN_STATUSES if open_only else None)
    if as_json:
        echo_json([po.as_dict() for po in pos])
        return
    if not pos:
        click.echo(_("No purchase orders."))
        return
    from dtc_tui.services.common.localefmt import pad_cells as pad
    from dtc_tui.services.common.text import one_line

    click.echo(
        f"{pad(_('PO'), 10)} {pad(_('Status'), 10)} {pad(_('Supplier'), 26)} {pad(_('WH'), 5)} "
        f"{pad(_('Received'), 17, right=True)} {pad(_('Expected'), 10)} {_('Late')}"
    )
    for po in pos:
        expected = po.expected_at.strftime("%Y-%m-%d") if po.expected_at else "-"
        late = _("{days}d").format(days=po.late_days) if po.late_days else "-"
        status = _(po.status.replace("_", " "))
        click.echo(
            f"{pad(one_line(po.number, 10), 10)} {pad(status, 10)} {pad(one_line(po.supplier, 26), 26)} "
            f"{pad(one_line(po.warehouse, 5), 5)} {f'{po.units_received:,}/{po.units_ordered:,}':>17} "
            f"{expected:<10} {late}"
        )


def _parse_lines(values: tuple[str, ...]) -> dict[str, int] | None:
    if not values:
        return None
    lines: dict[str, int] = {}
    for value in values:
        code, sep, qty = value.rpartition("=")
        if not sep or not code.strip() or not qty.strip().isdigit():
            raise click.BadParameter(
                _("{value!r} is not SKU=QTY (e.g. SKU-00012=200)").format(value=value), param_hint="--line"
            )
        lines[code.strip()] = lines.get(code.strip(), 0) + int(qty)
    return lines


@po_group.command("receive")
@click.argument("po")
@click.option(
    "--line",
    "lines",
    multiple=True,
    metavar="SKU=QTY",
    help="Received quantity of one line (repeat); without --line every open quantity is received.",
)
@json_option()
@pass_ctx
def po_receive(ctx: CliContext, po: str, lines: tuple[str, ...], as_json: bool) -> None:
    """Receive a PO fully or partly; the warehouse's stock rises in the same transaction."""
    from dtc_tui.services.inventory import purchasing

    quantities = _parse_lines(lines)
    try:
        receipt = purchasing.receive(ctx.engine(), po, quantities, actor=ctx.operator, now=ctx.now())
    except purchasing.PurchasingError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        echo_json({"number": receipt.number, "status": receipt.status, "received": receipt.received})
        return
    for code, qty in receipt.received.items():
        click.echo(_("received {qty} x {sku}").format(qty=f"{qty:,}", sku=code))
    click.echo(_("{po} is now {status}").format(po=receipt.number, status=_(receipt.status)))
