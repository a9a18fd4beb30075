"""The fast orders import gives exactly what the import gave before it was made fast.

``tests/data/orders_import_reference.json`` was written by the import as it was before (run
``python -m tests.test_orders_import_fast --write-reference`` on that code to write it again):
every table's rows (ids included; kept as a count and a SHA-256 of the rows), the summaries
(counts, warnings, notes, errors) and the rejects file, for the sample exports and a generated
one with refunds, cancellations, other currencies, lines without SKU, repeated line keys, orders
split apart, bad and cut-short rows,
the team's edits and an edited re-import. The test replays the same steps and compares.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update
from sqlmodel import SQLModel

from dtc_tui import db
from dtc_tui.models import OrderLine, Refund, StoreOrder
from dtc_tui.models.base import table_of
from dtc_tui.services.importers.pipeline import run_import
from tests.conftest import FIXED_NOW, FIXTURES

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = DATA / "orders_import_reference.json"
# The same steps with tiny batches: orders cut across write batches (the reference differs a little:
# a new SKU takes its name from the last line of the batch that creates it).
REFERENCE_TINY = DATA / "orders_import_reference_tiny.json"
GBP = FIXTURES / "shopify_orders_gbp.csv"
BDT = FIXTURES / "shopify_orders_bdt_cod.csv"


def header() -> list[str]:
    with open(GBP, encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def generated_rows(lines: int = 1200, seed: int = 11) -> list[dict[str, str]]:
    """An export shaped like the bench's (order fields on the first line only), with variety."""
    rng = random.Random(seed)
    names = header()
    start = FIXED_NOW - timedelta(days=60)
    rows: list[dict[str, str]] = []
    orders = 0
    while len(rows) < lines:
        orders += 1
        count = rng.choice((1, 1, 1, 2, 2, 3, 4))
        created = start + timedelta(minutes=rng.randrange(60 * 24 * 60))
        offset = rng.choice(("+0000", "-0700", "+0530"))
        stamp = created.strftime(f"%Y-%m-%d %H:%M:%S {offset}")
        prices = [round(rng.uniform(8, 90), 2) for _ in range(count)]
        total = round(sum(prices) + 4.0, 2)
        roll = rng.random()
        refunded = total if roll < 0.08 else (round(prices[0] / 2, 2) if roll < 0.16 else 0.0)
        currency = "EUR" if rng.random() < 0.05 else "GBP"
        skus = [("" if rng.random() < 0.05 else f"SKU-{rng.randrange(40):04d}") for _ in range(count)]
        if count >= 2 and rng.random() < 0.2:
            skus[1] = skus[0]  # the same SKU twice in one order: line keys sku:X and sku:X#2
        for position, price in enumerate(prices):
            sku = skus[position]
            row = {name: "" for name in names}
            row.update(
                {
                    "Name": f"#{1000 + orders}",
                    "Created at": stamp,
                    "Lineitem quantity": str(rng.choice((1, 1, 2, 3))),
                    "Lineitem name": f"Product {sku or rng.choice(('custom', 'gift', 'Custom'))} - M",
                    "Lineitem price": f"{price:.2f}",
                    "Lineitem sku": ("'" + sku) if sku and rng.random() < 0.1 else sku,
                    "Lineitem fulfillment status": rng.choice(("fulfilled", "pending")),
                    "Lineitem discount": rng.choice(("0.00", "0.00", "1.50")),
                    "Lineitem requires shipping": rng.choice(("true", "false", "")),
                    "Lineitem compare at price": rng.choice(("", f"{price + 5:.2f}")),
                    "Vendor": rng.choice(("", "Acme")),
                }
            )
            if position == 0:
                status = "refunded" if refunded == total else ("partially_refunded" if refunded else "paid")
                row.update(
                    {
                        "Email": rng.choice((f"Customer{rng.randrange(300)}@Example.com", "")),
                        "Financial Status": status,
                        "Paid at": stamp if rng.random() < 0.9 else "",
                        "Fulfillment Status": "fulfilled",
                        "Fulfilled at": (created + timedelta(days=1)).strftime(f"%Y-%m-%d %H:%M:%S {offset}")
                        if rng.random() < 0.7
                        else "",
                        "Currency": currency,
                        "Subtotal": f"{sum(prices):.2f}",
                        "Shipping": "4.00",
                        "Taxes": rng.choice(("0.00", "1.20", "")),
                        "Total": f"{total:.2f}",
                        "Discount Amount": "0.00",
                        "Discount Code": rng.choice(("", "", "WELCOME10")),
                        "Refunded Amount": f"{refunded:.2f}" if refunded or rng.random() < 0.5 else "",
                        "Cancelled at": stamp if refunded == total and rng.random() < 0.5 else "",
                        "Source": rng.choice(("web", "web", "tiktok", "pos")),
                        "Id": str(5_000_000 + orders),
                        "Billing Name": rng.choice(("", f"Customer {orders}")),
                        "Shipping Name": rng.choice(("", f"Ship {orders}")),
                        "Shipping Method": rng.choice(("", "Standard")),
                        "Payment Method": rng.choice(("", "Shopify Payments", "Cash on Delivery (COD)")),
                        "Billing Country": rng.choice(("", "GB", "DE")),
                        "Tags": rng.choice(("", "vip, repeat")),
                        "Note Attributes": rng.choice(("", "utm_campaign: spring_sale\nutm_source: tiktok")),
                        "Outstanding Balance": rng.choice(("", "0.00", "12.00")),
                        "Location": rng.choice(("", "", "Shop location", "Warehouse B")),
                    }
                )
            rows.append(row)
    return rows


def spoil(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Bad rows of every kind the importer refuses or warns about."""
    rows = [dict(row) for row in rows]
    firsts = [index for index, row in enumerate(rows) if row["Currency"]]
    rows[firsts[3]]["Currency"] = "XYZ"  # the order's later lines are refused with it
    rows[firsts[5]]["Total"] = "forty"
    rows[firsts[7]]["Currency"] = ""
    rows[firsts[9]]["Total"] = "-3.00"
    rows[firsts[11]]["Financial Status"] = "refunded"
    rows[firsts[11]]["Refunded Amount"] = ""
    rows[firsts[13] + 0]["Lineitem quantity"] = "1.5"
    rows[firsts[15]]["Created at"] = "yesterday"
    rows[firsts[17]]["Lineitem sku"] = ""
    rows[firsts[17]]["Lineitem name"] = ""
    rows[firsts[19]]["Lineitem sku"] = "X" * 70
    rows[firsts[21]]["Name"] = ""
    # An order whose lines are not together: one of its lines again further down.
    rows.insert(firsts[40] + 1, dict(rows[firsts[25]], **{"Currency": "", "Total": ""}))
    # Line keys that meet: sku:K, sku:K (-> sku:K#2), then a SKU literally named K#2.
    base = dict(rows[firsts[30]])
    base["Lineitem sku"] = "K"
    second = {name: "" for name in base} | {
        key: base[key] for key in ("Name", "Lineitem quantity", "Lineitem name", "Lineitem price")
    }
    block = [base, dict(second, **{"Lineitem sku": "K"}), dict(second, **{"Lineitem sku": "K#2"})]
    end = firsts[31]
    rows[firsts[30] : end] = block
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], *, short_line: int | None = None) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        names = list(rows[0])
        out.writerow(names)
        for index, row in enumerate(rows):
            cells = [row[name] for name in names]
            if short_line is not None and index == short_line:
                cells = cells[:20]
            out.writerow(cells)
    return path


def dump(engine: Engine) -> dict[str, list[Any]]:
    """Every table's rows, ordered by primary key, values as text: [row count, sha256 of the rows]."""
    tables: dict[str, list[Any]] = {}
    with db.read_session(engine) as session:
        for table in sorted(SQLModel.metadata.sorted_tables, key=lambda t: t.name):
            if table.name in ("alembic_version", "db_activity"):
                continue
            order = ", ".join(column.name for column in table.primary_key.columns) or "1"
            query = text(f"SELECT * FROM {table.name} ORDER BY {order}")  # names from the metadata
            rows = [[None if value is None else str(value) for value in row] for row in session.execute(query)]
            if rows:
                digest = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
                tables[table.name] = [len(rows), digest]
    return tables


def summary_of(result: Any, tmp: Path) -> dict[str, Any]:
    data = result.as_dict()
    data.pop("seconds")
    return json.loads(json.dumps(data, default=str).replace(str(tmp), "<tmp>"))


def team_edits(engine: Engine) -> None:
    """What the team did between imports: a refund state set, a line's status, a refund amount."""
    order, line, refund = table_of(StoreOrder), table_of(OrderLine), table_of(Refund)
    with db.write_session(engine) as session:
        names = list(session.execute(select(order.c.name).order_by(order.c.id)).scalars())
        session.execute(update(order).where(order.c.name.in_(names[2:6])).values(financial_status="refunded"))
        session.execute(update(order).where(order.c.name == names[8]).values(tags="team tag"))
        first_line = session.execute(select(line.c.id).order_by(line.c.id).limit(1)).scalar_one()
        session.execute(update(line).where(line.c.id == first_line).values(fulfillment_status="returned"))
        first_refund = session.execute(select(refund.c.id).order_by(refund.c.id).limit(1)).scalar()
        if first_refund is not None:
            session.execute(update(refund).where(refund.c.id == first_refund).values(amount=1.0))


def edited(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The next export: refunds changed, an order's line gone, a team-edited field changed too."""
    rows = [dict(row) for row in rows]
    firsts = [index for index, row in enumerate(rows) if row["Currency"]]
    rows[firsts[2]]["Financial Status"] = "partially_refunded"  # the team set "refunded": a conflict
    rows[firsts[2]]["Refunded Amount"] = "5.00"
    rows[firsts[4]]["Refunded Amount"] = ""  # the refund is gone from the export
    rows[firsts[4]]["Financial Status"] = "paid"
    rows[firsts[10]]["Total"] = "999.99"
    multi = next(i for i in firsts if i + 1 < len(rows) and not rows[i + 1]["Currency"])
    del rows[multi + 1]  # a line left its order
    return rows


def scenario(url: str, tmp: Path) -> dict[str, Any]:
    """The steps; each gives a summary and the tables after it."""
    out: dict[str, Any] = {}

    def step(label: str, engine: Engine, path: Path, **options: Any) -> None:
        result = run_import(
            engine, "shopify-orders", path, now=FIXED_NOW, actor="tester", display_name=path.name, **options
        )
        entry: dict[str, Any] = {"summary": summary_of(result, tmp), "tables": dump(engine)}
        rejects = options.get("rejects")
        if rejects is not None and Path(rejects).exists():
            entry["rejects"] = Path(rejects).read_text(encoding="utf-8")
        out[label] = entry

    def fresh(name: str) -> Engine:
        engine = db.make_engine(f"{url}/{name}.db")
        db.ensure_current(engine)
        return engine

    samples = fresh("samples")
    step("gbp", samples, GBP)
    step("bdt", samples, BDT)
    step("gbp again", samples, GBP)

    rows = generated_rows()
    clean = write_csv(tmp / "generated.csv", rows)
    world = fresh("generated")
    step("dry run", world, clean, dry_run=True)
    step("first import", world, clean)
    step("re-import", world, clean)
    team_edits(world)
    step("edited re-import", world, write_csv(tmp / "edited.csv", edited(rows)))
    step("edited again", world, tmp / "edited.csv")

    bad = write_csv(tmp / "bad.csv", spoil(rows), short_line=50)
    broken = fresh("bad")
    step("bad file", broken, bad)
    step("bad file, rejects", broken, bad, rejects=tmp / "rejects.csv")
    step("bad file, rejects again", broken, bad, rejects=tmp / "rejects2.csv")
    return out


def tiny_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Orders cut across write batches, and the customer cache emptied often."""
    from dtc_tui.services.importers import pipeline, shopify_orders

    monkeypatch.setattr(pipeline, "CHECK_BATCH", 3)
    monkeypatch.setattr(pipeline, "WRITE_BATCH", 5)
    monkeypatch.setattr(shopify_orders, "CUSTOMERS_KEPT", 4, raising=False)


@pytest.mark.parametrize("batches", ["as shipped", "tiny"])
def test_orders_import_matches_the_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batches: str) -> None:
    if batches == "tiny":
        tiny_batches(monkeypatch)
    expected = json.loads((REFERENCE_TINY if batches == "tiny" else REFERENCE).read_text(encoding="utf-8"))
    got = json.loads(json.dumps(scenario(f"sqlite:///{tmp_path}", tmp_path)))
    assert list(got) == list(expected)
    for label in expected:
        assert got[label]["summary"] == expected[label]["summary"], label
        assert got[label].get("rejects") == expected[label].get("rejects"), label
        assert list(got[label]["tables"]) == list(expected[label]["tables"]), label
        for table, rows in expected[label]["tables"].items():
            assert got[label]["tables"][table] == rows, (label, table)


def test_the_reference_covers_what_it_says() -> None:
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))
    bad = expected["bad file"]["summary"]
    problems = " ".join(bad["errors"])
    for wanted in (
        "not together",
        "was refused",
        "is not a currency code",
        "negative",
        "duplicate of line",
        "cut short",
    ):
        assert wanted in problems, wanted
    assert expected["bad file, rejects"]["summary"]["written"]
    edited_run = expected["edited re-import"]["summary"]
    assert edited_run["updated"] and any("team's value was kept" in w for w in edited_run["warnings"])
    assert any("no longer in their orders were removed" in w for w in edited_run["warnings"])


if __name__ == "__main__" and "--write-reference" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        found = scenario(f"sqlite:///{work}", Path(work))
    REFERENCE.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")
    with tempfile.TemporaryDirectory() as work, pytest.MonkeyPatch.context() as patch:
        tiny_batches(patch)
        found = scenario(f"sqlite:///{work}", Path(work))
    REFERENCE_TINY.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {REFERENCE} and {REFERENCE_TINY}")
    pytest.main([__file__, "-q"])  # and check it reads back the same
