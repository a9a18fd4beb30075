"""Shopify orders export -> orders, lines, refunds, fulfilments and the daily figures derived from them.

Every expected figure is computed here from the real sample files with the csv module, not typed in.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from dtc_tui import db
from dtc_tui.models import (
    AdChannel,
    AdStatDaily,
    Campaign,
    Customer,
    DailySales,
    Fulfillment,
    OrderLine,
    Refund,
    Sku,
    StoreDaily,
    StoreOrder,
)
from dtc_tui.services.ads.metrics import Period
from dtc_tui.services.ads.report import load_report
from dtc_tui.services.importers.errors import ImportFailed
from dtc_tui.services.importers.pipeline import run_import
from dtc_tui.services.inventory.board import build_board, forget_sales_history
from tests.conftest import FIXED_NOW, FIXTURES

GBP = FIXTURES / "shopify_orders_gbp.csv"
BDT = FIXTURES / "shopify_orders_bdt_cod.csv"


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def first_lines(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    orders: dict[str, dict[str, str]] = {}
    for row in rows:
        orders.setdefault(row["Name"], row)
    return orders


def run(engine: Engine, kind: str, path: Path, **options: object):  # type: ignore[no-untyped-def]
    return run_import(engine, kind, path, now=FIXED_NOW, actor="tester", **options)  # type: ignore[arg-type]


def scalar(engine: Engine, query: object) -> object:
    with db.read_session(engine) as session:
        return session.execute(query).scalar()  # type: ignore[call-overload]


def test_real_gbp_export_imports_with_the_files_own_figures(engine: Engine) -> None:
    rows = read(GBP)
    orders = first_lines(rows)
    summary = run(engine, "shopify-orders", GBP)
    assert summary.errors == []
    assert (summary.inserted, summary.rejected) == (len(rows), 0)
    assert summary.created["order"] == len(orders)
    without_sku = [row for row in rows if not row["Lineitem sku"].strip()]
    assert any(
        "line without a SKU" in w and f"lines {', '.join(str(rows.index(r) + 2) for r in without_sku)}" in w
        for w in summary.warnings
    ), summary.warnings
    assert summary.created["sku"] == len({row["Lineitem sku"] for row in rows if row["Lineitem sku"].strip()})

    assert scalar(engine, select(func.count()).select_from(StoreOrder)) == len(orders)
    assert scalar(engine, select(func.count()).select_from(OrderLine)) == len(rows)
    total = sum(float(o["Total"]) for o in orders.values())
    assert scalar(engine, select(func.sum(StoreOrder.total))) == pytest.approx(total)
    refunded = sum(float(o["Refunded Amount"] or 0) for o in orders.values())
    assert refunded > 0
    assert scalar(engine, select(func.sum(Refund.amount))) == pytest.approx(refunded)
    assert scalar(engine, select(func.count()).select_from(Refund)) == sum(
        1 for o in orders.values() if float(o["Refunded Amount"] or 0) > 0
    )
    cancelled = sum(1 for o in orders.values() if o["Cancelled at"])
    assert cancelled and scalar(engine, select(func.count()).where(StoreOrder.cancelled_at.isnot(None))) == cancelled
    fulfilled = sum(1 for o in orders.values() if o["Fulfilled at"])
    assert scalar(engine, select(func.count()).select_from(Fulfillment)) == fulfilled
    assert scalar(engine, select(func.count(func.distinct(StoreOrder.currency)))) == 1
    emails = {o["Email"].lower() for o in orders.values() if o["Email"]}
    assert scalar(engine, select(func.count()).select_from(Customer)) == len(emails)

    with db.read_session(engine) as session:
        first = next(iter(orders.values()))
        order = session.execute(select(StoreOrder).where(StoreOrder.name == first["Name"])).scalar_one()
        # "2025-12-07 19:08:24 +0000": kept as that moment, on the shop's day
        assert order.created_at == datetime.fromisoformat(first["Created at"]).astimezone(UTC)
        assert order.created_day == date.fromisoformat(first["Created at"][:10])
        assert (order.channel, order.financial_status, order.number) == (
            first["Source"],
            first["Financial Status"],
            first["Name"].lstrip("#"),
        )
        assert order.customer_id is not None

    again = run(engine, "shopify-orders", GBP)  # re-import: nothing duplicated, nothing changed
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(rows))
    assert "order" not in again.created
    assert scalar(engine, select(func.count()).select_from(StoreOrder)) == len(orders)


def test_cash_on_delivery_export_without_skus_keeps_its_currency(engine: Engine) -> None:
    rows = read(BDT)
    orders = first_lines(rows)
    summary = run(engine, "shopify-orders", BDT)
    assert summary.errors == []
    assert summary.inserted == len(rows)
    assert "sku" not in summary.created  # no line carries a SKU
    with db.read_session(engine) as session:
        stored = session.execute(select(StoreOrder.currency, func.sum(StoreOrder.total)).group_by(StoreOrder.currency))
        assert dict(stored.all()) == {"BDT": pytest.approx(sum(float(o["Total"]) for o in orders.values()))}
        keys = set(session.execute(select(OrderLine.line_key)).scalars())
    assert keys == {f"name:{row['Lineitem name'].lower()}" for row in rows}
    assert scalar(engine, select(func.sum(StoreOrder.outstanding))) == pytest.approx(
        sum(float(o["Outstanding Balance"]) for o in orders.values())
    )


def test_two_currencies_in_one_database_are_never_added_up(engine: Engine) -> None:
    run(engine, "shopify-orders", GBP)
    summary = run(engine, "shopify-orders", BDT)
    assert any("left out of revenue" in w and "BDT" in w for w in summary.warnings)
    bdt_days = {date.fromisoformat(o["Created at"][:10]) for o in first_lines(read(BDT)).values()}
    with db.read_session(engine) as session:
        days = set(session.execute(select(StoreDaily.day)).scalars())
    assert not bdt_days & days  # a BDT-only day has no GBP till to show


def test_overlapping_reimport_updates_and_apostrophe_skus_are_stripped(engine: Engine, tmp_path: Path) -> None:
    rows = read(GBP)
    run(engine, "shopify-orders", write(tmp_path / "part.csv", rows[:30]))
    changed = [dict(row) for row in rows]
    changed[0]["Lineitem sku"] = "'" + "0012345"
    first_name = changed[0]["Name"]
    summary = run(engine, "shopify-orders", write(tmp_path / "full.csv", changed))
    assert summary.errors == []
    assert scalar(engine, select(func.count()).select_from(StoreOrder)) == len(first_lines(rows))
    assert scalar(engine, select(func.count()).select_from(OrderLine)) == len(rows)
    with db.read_session(engine) as session:
        codes = session.execute(
            select(OrderLine.sku_code).join(StoreOrder).where(StoreOrder.name == first_name)
        ).scalars()
        assert list(codes) == ["0012345"]
        assert session.execute(select(Sku.id).where(Sku.code == "0012345")).scalar() is not None


def bad_copy(tmp_path: Path, line: int, column: str, value: str) -> Path:
    rows = read(GBP)
    rows[line - 2][column] = value
    return write(tmp_path / "bad.csv", rows)


@pytest.mark.parametrize(
    ("line", "column", "value", "message"),
    [
        (3, "Lineitem quantity", "1.5", "'1.5' is not a whole number"),
        (4, "Total", "forty", "'forty' is not a number"),
        (5, "Currency", "XYZ", "'XYZ' is not a currency code"),
        (6, "Currency", "", "empty on the first line of order"),
    ],
)
def test_bad_cells_are_refused_with_file_line_and_column(
    engine: Engine, tmp_path: Path, line: int, column: str, value: str, message: str
) -> None:
    path = bad_copy(tmp_path, line, column, value)
    summary = run(engine, "shopify-orders", path)
    assert summary.failed
    assert [(e.line, e.column) for e in summary.errors] == [(line, column)]
    assert message in summary.errors[0].problem
    assert str(summary.errors[0]).startswith(f"{path}:{line}: {column}: ")
    assert scalar(engine, select(func.count()).select_from(StoreOrder)) == 0
    assert scalar(engine, select(func.count()).select_from(DailySales)) == 0

    skipped = run(engine, "shopify-orders", path, rejects=tmp_path / "rejects.csv")
    assert skipped.written and skipped.rejected == 1
    assert scalar(engine, select(func.count()).select_from(OrderLine)) == len(read(GBP)) - 1


def test_a_products_file_says_what_it_looks_like(engine: Engine) -> None:
    with pytest.raises(ImportFailed) as failed:
        run(engine, "shopify-orders", FIXTURES / "shopify_products_ayonne.csv")
    assert "import it as 'shopify-products'" in str(failed.value)


def sales_report(tmp_path: Path, days: list[tuple[date, int, float, float]]) -> Path:
    path = tmp_path / "sales_over_time.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "Day",
                "Orders",
                "Gross sales",
                "Discounts",
                "Returns",
                "Net sales",
                "Shipping charges",
                "Taxes",
                "Total sales",
            ]
        )
        for day, orders, total, returns in days:
            out.writerow(
                [
                    day.isoformat(),
                    orders,
                    f"{total + returns:.2f}",
                    "0.00",
                    f"{-returns:.2f}",
                    f"{total:.2f}",
                    "0.00",
                    "0.00",
                    f"{total:.2f}",
                ]
            )
    return path


def test_sales_over_time_report_fills_the_till_and_orders_win_their_days(engine: Engine, tmp_path: Path) -> None:
    run(engine, "shopify-orders", GBP)
    order_day = date.fromisoformat(read(GBP)[0]["Created at"][:10])
    with db.read_session(engine) as session:
        from_orders = session.get(StoreDaily, order_day)
        assert from_orders is not None
        kept = (from_orders.orders, from_orders.revenue)
    report = sales_report(tmp_path, [(date(2025, 1, 2), 4, 250.5, 10.0), (order_day, 99, 9999.0, 0.0)])
    summary = run(engine, "shopify-sales", report)
    assert summary.errors == [] and summary.inserted == 1
    assert summary.ignored_reasons == {"days the imported orders cover (orders win)": 1}
    with db.read_session(engine) as session:
        aggregate = session.get(StoreDaily, date(2025, 1, 2))
        assert aggregate is not None
        assert (aggregate.orders, aggregate.revenue, aggregate.refunds) == (4, 250.5, 10.0)
        again = session.get(StoreDaily, order_day)
        assert again is not None and (again.orders, again.revenue) == kept
    with pytest.raises(ImportFailed) as failed:  # the table kind would read its revenue as 0
        run(engine, "store-daily", report)
    assert "shopify-sales" in str(failed.value)


def inventory_file(tmp_path: Path, codes: list[str]) -> Path:
    path = tmp_path / "inventory.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Handle", "Title", "SKU", "Location", "On hand"])
        for code in codes:
            out.writerow([code, f"Product {code}", code, "Shop location", 40])
    return path


def test_board_velocity_and_blended_roas_come_from_the_orders(engine: Engine, tmp_path: Path) -> None:
    rows = read(GBP)
    orders = first_lines(rows)
    now = datetime(2025, 12, 8, 12, tzinfo=UTC)
    today = now.date()
    window = 28
    start = today - timedelta(days=window)
    # Independently: units per SKU in the board's window (cancelled orders sold nothing).
    units: dict[str, int] = defaultdict(int)
    for row in rows:
        first = orders[row["Name"]]
        day = date.fromisoformat(first["Created at"][:10])
        if row["Lineitem sku"] and not first["Cancelled at"] and start <= day < today:
            units[row["Lineitem sku"]] += int(row["Lineitem quantity"])
    code = max(sorted(units), key=lambda c: units[c])
    # Net till over the period: totals less refunds of orders not voided / cancelled unpaid.
    period = Period(date(2025, 11, 1), date(2025, 12, 7))
    revenue = sum(
        float(o["Total"]) - float(o["Refunded Amount"] or 0)
        for o in orders.values()
        if period.contains(date.fromisoformat(o["Created at"][:10]))
        and o["Financial Status"] != "voided"
        and not (o["Cancelled at"] and not o["Paid at"])
    )

    codes = sorted({row["Lineitem sku"] for row in rows if row["Lineitem sku"]})
    assert run(engine, "shopify-inventory", inventory_file(tmp_path, codes)).errors == []
    assert run(engine, "shopify-orders", GBP).errors == []
    with db.write_session(engine) as session:
        channel = AdChannel(code="tiktok", name="TikTok")
        session.add(channel)
        session.flush()
        campaign = Campaign(channel_id=channel.id or 0, name="Dresses", currency="GBP")
        session.add(campaign)
        session.flush()
        session.add_all(AdStatDaily(campaign_id=campaign.id or 0, day=day, spend=10.0) for day in period.each_day())
    forget_sales_history()
    with db.read_session(engine) as session:
        board = build_board(session, now)
        row = next(r for r in board.rows if r.code == code)
        assert row.velocity == pytest.approx(units[code] / window)
        report = load_report(session, period, now)
    assert report.blended.store_revenue == pytest.approx(revenue, abs=0.01)
    assert report.blended.blended_roas == pytest.approx(revenue / (10.0 * period.days), abs=1e-4)
    assert report.blended.revenue_basis == "net of refunds"


def test_blended_roas_without_store_figures_is_no_data(engine: Engine) -> None:
    with db.write_session(engine) as session:
        channel = AdChannel(code="meta", name="Meta")
        session.add(channel)
        session.flush()
        campaign = Campaign(channel_id=channel.id or 0, name="Prospecting")
        session.add(campaign)
        session.flush()
        session.add(AdStatDaily(campaign_id=campaign.id or 0, day=date(2026, 11, 19), spend=50.0, revenue=80.0))
    with db.read_session(engine) as session:
        report = load_report(session, Period(date(2026, 11, 13), date(2026, 11, 19)), FIXED_NOW)
    assert report.blended.ad_spend == 50.0
    assert report.blended.blended_roas is None and report.blended.spend_share is None
