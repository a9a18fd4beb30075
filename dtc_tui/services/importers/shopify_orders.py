"""Shopify's orders export (``orders_export_1.csv``) -> orders, order lines, fulfilments, refunds;
Shopify's "Sales over time" report -> the store's daily totals.

Orders export: one line per line item; the order-level fields (Financial Status, Currency, Total,
Refunded Amount, Cancelled at...) are written on an order's first line only, and the lines of an
order follow each other. An order is keyed on its name (``#1001``), a line on its SKU inside the
order, or on its line item name when it has no SKU (said in the summary: such a line counts in the
store's revenue but not in any SKU's sales). Shopify writes a leading ``'`` before numeric SKUs: it
is stripped. A SKU unknown here is created from the line item name rather than its units dropped.

Times keep the offset the shop wrote (``2023-04-09 19:46:45 -0700``); an order's day is its day in
that offset (the shop's day). The export carries only the total refunded (no time): it becomes one
refund record per order. ``Fulfilled at`` becomes a fulfilment without carrier or tracking (the
export has none). The customer is matched by e-mail to the help desk's customers (created if new).

Re-importing an overlapping export updates the orders it carries and never duplicates them; lines
that left an order are removed. The daily sales per SKU and the store's daily figures are
rebuilt for every day the file touches, in the same transaction (``services.orders.daily``).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Hashable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from dtc_tui.i18n import _
from dtc_tui.models import Customer, Fulfillment, OrderLine, Refund, Sku, StoreDaily, StoreOrder
from dtc_tui.models.base import table_of
from dtc_tui.services.common import audit
from dtc_tui.services.importers.base import Importer, RowCheck, number_text
from dtc_tui.services.importers.columns import Columns, field
from dtc_tui.services.importers.errors import ImportFailed, RowError
from dtc_tui.services.importers.reader import CsvSource
from dtc_tui.services.importers.upsert import upsert
from dtc_tui.services.orders import daily, warehouses

ORDER = table_of(StoreOrder)
LINE = table_of(OrderLine)
FULFILLMENT = table_of(Fulfillment)
REFUND = table_of(Refund)
SKU = table_of(Sku)
CUSTOMER = table_of(Customer)
STORE_DAILY = table_of(StoreDaily)
EXPORT = "orders-export"  # the source of refunds and fulfilments derived from the export
_DIGITS = re.compile(r"\d+")
_UTM_CAMPAIGN = re.compile(r"^\s*utm_campaign\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
CHUNK = 500
CUSTOMERS_KEPT = 20_000  # e-mail -> customer id, kept across batches up to this many


@cache
def known_currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def strip_sku(code: str) -> str:
    """Shopify writes ``'`` before numeric SKUs so spreadsheets keep their digits."""
    return code[1:].strip() if code.startswith("'") else code


def order_number(name: str) -> str:
    """The digits a customer quotes: ``#1001`` -> ``1001``; a name without digits stays as it is."""
    found = _DIGITS.findall(name)
    return "".join(found) if found else name.strip().lstrip("#")


def shop_day(raw: str, moment: datetime, fallback_zone: Any) -> date:
    """The day in the offset the shop wrote (the store's own day); without one, in ``--tz``."""
    try:
        written = datetime.fromisoformat(raw.strip())
    except ValueError:
        written = None
    if written is not None and written.tzinfo is not None:
        return written.date()
    return moment.astimezone(fallback_zone).date()


def looks_like(cells: list[str], own_kind: str) -> str | None:
    """The import kind whose columns a header matches best, when it is not ``own_kind``."""
    from dtc_tui.services.importers import FORMAT_KINDS, importer_class

    best: tuple[int, str] | None = None
    for kind in FORMAT_KINDS:
        if kind == own_kind:
            continue
        try:
            score = importer_class(kind).columns.score(cells)
        except Exception:  # a kind that cannot be loaded is simply not a candidate
            continue
        if score >= 2 and (best is None or score > best[0]):
            best = (score, kind)
    return best[1] if best else None


def open_checked(importer: Importer, path: Path, name: str) -> CsvSource:
    """Open the CSV; a file that is clearly another export says which one it looks like."""
    try:
        return CsvSource(path, importer.columns, name=name)
    except ImportFailed as failed:
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                cells = next(csv.reader(handle), [])
        except (OSError, UnicodeDecodeError, csv.Error):
            raise failed from None
        other = looks_like(cells, importer.kind)
        if other is None:
            raise
        from dtc_tui.services.importers import describe

        raise ImportFailed(
            [
                RowError(
                    name,
                    1,
                    "header",
                    _("this is not {title}: it looks like {other_title}; import it as {kind!r}").format(
                        title=importer.title, other_title=describe(other), kind=other
                    ),
                ),
                *failed.errors,
            ]
        ) from None


class ShopifyOrders(Importer):
    kind = "shopify-orders"
    title = "a Shopify orders export"
    entity = "order line"
    area = "orders"
    tables = ("store_order", "order_line", "fulfillment", "refund", "daily_sales", "store_daily", "sku", "customer")
    columns = Columns(
        (
            field("name", "Name", required=True),
            field("quantity", "Lineitem quantity", required=True),
            field("line_name", "Lineitem name", required=True),
            field("created_at", "Created at", required=True),
            field("currency", "Currency", required=True),
            field("total", "Total", required=True),
            field("email", "Email"),
            field("financial_status", "Financial Status"),
            field("paid_at", "Paid at"),
            field("fulfillment_status", "Fulfillment Status"),
            field("fulfilled_at", "Fulfilled at"),
            field("subtotal", "Subtotal"),
            field("shipping", "Shipping"),
            field("taxes", "Taxes"),
            field("discount_code", "Discount Code"),
            field("discount", "Discount Amount"),
            field("shipping_method", "Shipping Method"),
            field("price", "Lineitem price"),
            field("compare_at", "Lineitem compare at price"),
            field("sku", "Lineitem sku"),
            field("requires_shipping", "Lineitem requires shipping"),
            field("line_fulfillment", "Lineitem fulfillment status"),
            field("line_discount", "Lineitem discount"),
            field("billing_name", "Billing Name"),
            field("shipping_name", "Shipping Name"),
            field("shipping_country", "Shipping Country"),
            field("billing_country", "Billing Country"),
            field("note_attributes", "Note Attributes"),
            field("cancelled_at", "Cancelled at"),
            field("payment_method", "Payment Method"),
            field("refunded", "Refunded Amount"),
            field("vendor", "Vendor"),
            field("outstanding", "Outstanding Balance"),
            field("location", "Location"),
            field("external_id", "Id"),
            field("tags", "Tags"),
            field("source", "Source"),
        )
    )

    def open(self, path: Path, name: str) -> CsvSource:
        return open_checked(self, path, name)

    def begin(self, source: Any, *, writing: bool) -> None:
        super().begin(source, writing=writing)
        self.current: str | None = None  # the order whose lines are being read
        self.current_keys: Counter[str] = Counter()
        self.current_lines: dict[str, int] = {}  # the current order's accepted line keys -> their line
        self.finished: dict[str, int] = {}  # orders already read -> their first line
        self.refused: dict[str, int] = {}  # orders whose first line was refused -> that line

    # --- reading ---------------------------------------------------------------------------

    def parse(self, row: Any, check: RowCheck) -> dict[str, Any] | None:
        name = check.text("name", required=True, max_length=40)
        if not name:
            return None
        order: dict[str, Any] | None = None
        if name != self.current:
            if name in self.finished:
                check.problem(
                    "name",
                    _("lines of order {order} are not together (its first line is {line})").format(
                        order=name, line=self.finished[name]
                    ),
                )
                return None
            self.finished[name] = row.line
            self.current, self.current_keys, self.current_lines = name, Counter(), {}
            order = self._order(row, check, name)
        elif name in self.refused:
            check.problem(
                "name",
                _("the first line of order {order} (line {line}) was refused").format(
                    order=name, line=self.refused[name]
                ),
            )
        line = self._line(row, check)
        if check.problems:
            if self.finished[name] == row.line:  # the order's later lines are refused with it
                self.refused[name] = row.line
            return None
        if line is None:
            return None
        line_key = line["line_key"]
        first = self.current_lines.get(line_key)
        if first is not None:
            # Keys are unique inside an order and orders are not split, so a repeated key is the
            # current order's; checked here rather than by the pipeline, which would keep every
            # line's key in memory (the message is the pipeline's own).
            check.problems.append(
                (
                    "row",
                    f"duplicate of line {first} ({self.describe_key((name, line_key))}) with different values",
                )
            )
            return None
        self.current_lines[line_key] = row.line
        # Tuples of items, not dicts: the pipeline hashes records to spot repeated rows.
        return {"name": name, "order": tuple(order.items()) if order else None, "line": tuple(line.items())}

    def _order(self, row: Any, check: RowCheck, name: str) -> dict[str, Any] | None:
        missing = [key for key in ("currency", "total", "created_at") if not check.raw(key)]
        if missing:
            for key in missing:
                check.problem(
                    key,
                    _("empty on the first line of order {order} (Shopify writes the order's fields there)").format(
                        order=name
                    ),
                )
            return None
        currency = check.raw("currency").upper()
        if currency not in known_currencies():
            check.problem(
                "currency",
                _("{code!r} is not a currency code (ISO 4217, e.g. USD, GBP)").format(code=check.raw("currency")),
            )
        created = check.moment("created_at", required=True)
        total = check.number("total", required=True)
        if created is None or total is None:
            return None
        email = check.text("email", max_length=200).lower() or None
        note = check.text("note_attributes", multiline=True)
        campaign = _UTM_CAMPAIGN.search(note)
        order: dict[str, Any] = {
            "name": name,
            "number": order_number(name),
            "external_id": check.text("external_id", max_length=64) or None,
            "email": email,
            "customer_name": check.text("billing_name", limit=200) or check.text("shipping_name", limit=200),
            "created_at": created,
            "created_day": shop_day(check.raw("created_at"), created, self.tz),
            "paid_at": check.moment("paid_at"),
            "fulfilled_at": check.moment("fulfilled_at"),
            "cancelled_at": check.moment("cancelled_at"),
            "currency": currency,
            "total": total,
            "financial_status": check.text("financial_status", limit=30).lower(),
            "fulfillment_status": check.text("fulfillment_status", limit=30).lower(),
            "channel": check.text("source", limit=60),
            "tags": check.text("tags", limit=2000),
            "discount_code": check.text("discount_code", limit=200),
            "shipping_method": check.text("shipping_method", limit=200),
            "payment_method": check.text("payment_method", limit=200),
            "shipping_country": check.text("shipping_country", limit=60) or check.text("billing_country", limit=60),
            "campaign": campaign.group(1)[:200] if campaign else None,
            "location": check.text("location", limit=120),
            "outstanding": check.number("outstanding"),
        }
        for key, column in (("subtotal", "subtotal"), ("discount", "discount"), ("shipping", "shipping")):
            order[key] = check.number(column) or 0.0
        order["taxes"] = check.number("taxes") or 0.0
        order["refunded"] = check.number("refunded") or 0.0
        for key in ("total", "subtotal", "shipping", "refunded"):
            if order[key] < 0:
                check.problem(key, _("negative"))
        if order["financial_status"] in ("refunded", "partially_refunded") and not order["refunded"]:
            self.warn(_("refunded order without a refunded amount: no refund recorded"), line=row.line)
        return order

    def _line(self, row: Any, check: RowCheck) -> dict[str, Any] | None:
        quantity = check.integer("quantity", required=True)
        line_name = check.text("line_name", limit=300)
        code = strip_sku(check.text("sku"))  # the length is the code's, without Shopify's leading '
        if len(code) > 64:
            check.problem("sku", _("longer than 64 characters"))
        if not code and not line_name:
            check.problem("line_name", _("empty, and the line has no SKU: the line cannot be told apart"))
        if quantity is None:
            return None
        if not code:
            self.warn(_("line without a SKU: kept by its line item name; not in any SKU's daily sales"), line=row.line)
        base = f"sku:{code}" if code else f"name:{line_name.lower()}"
        self.current_keys[base] += 1
        seen = self.current_keys[base]
        return {  # line_key first: key() reads it by position
            "line_key": base[:396] + (f"#{seen}" if seen > 1 else ""),
            "position": sum(self.current_keys.values()),
            "sku_code": code or None,
            "name": line_name,
            "quantity": quantity,
            "price": check.number("price") or 0.0,
            "compare_at_price": check.number("compare_at"),
            "discount": check.number("line_discount") or 0.0,
            "fulfillment_status": check.text("line_fulfillment", limit=30).lower(),
            "requires_shipping": check.boolean("requires_shipping"),
            "vendor": check.text("vendor", limit=200),
        }

    def key(self, record: dict[str, Any]) -> Hashable | None:
        return None  # duplicates are caught in ``parse`` (an order's lines follow each other)

    def describe_key(self, key: Any) -> str:
        name, line_key = key
        return f"order {name}, line {line_key}"

    # --- writing ---------------------------------------------------------------------------

    def prepare(self, session: Session) -> None:
        # Per batch (plus the batch's last order, whose lines may go on in the next one): ids of
        # the batch's orders, those stored before this import, and the line keys each one has here.
        self.order_ids: dict[str, int] = {}
        self.existing_orders: set[int] = set()
        self.file_lines: dict[int, set[str]] = {}
        self.lines_gone: list[int] = []  # removed at the end, so new lines get the ids they always got
        self.sku_ids: dict[str, int] = {}
        self.customer_ids: dict[str, int] = {}
        self.days: set[date] = set()
        self.places = warehouses.WarehousePicker(session, self.created)

    def write(self, session: Session, batch: list[tuple[int, dict[str, Any]]]) -> None:
        orders = [dict(record["order"]) for _line, record in batch if record["order"] is not None]
        if orders:
            self._write_orders(session, orders)
        self._write_lines(session, [(record["name"], dict(record["line"])) for _line, record in batch])
        last = batch[-1][1]["name"]
        done = [order_id for name, order_id in self.order_ids.items() if name != last]
        self._find_lines_gone(session, done)
        kept = {last: self.order_ids[last]} if last in self.order_ids else {}
        self.order_ids = kept
        self.existing_orders &= set(kept.values())
        self.file_lines = {order_id: self.file_lines.get(order_id, set()) for order_id in kept.values()}
        if len(self.customer_ids) > CUSTOMERS_KEPT:  # a bounded cache: a miss is looked up again
            self.customer_ids.clear()

    def _write_orders(self, session: Session, orders: list[dict[str, Any]]) -> None:
        self._customers(session, orders)
        rows = []
        for order in orders:
            row = {key: value for key, value in order.items() if key != "location"}
            row["source"] = "shopify"
            row["location"] = order["location"]
            row["customer_id"] = self.customer_ids.get(order["email"] or "")
            row["warehouse_id"] = self.places.for_location(session, order["location"])
            rows.append(row)
            self.days.add(order["created_day"])
        compare = sorted({name for row in rows for name in row} - {"source", "name"})
        outcome = self.baselines.upsert_merged(
            session,
            ORDER,
            ("source", "name"),
            rows,
            compare=compare,
            describe=lambda row: f"order {row['name']}",
            insert_defaults={"version": 1},
        )
        self.created["order"] += len(outcome.inserted)
        self.touched += len(outcome.updated)
        names = [order["name"] for order in orders]
        new = {row["name"] for row in outcome.inserted}
        for start in range(0, len(names), CHUNK):
            query = select(ORDER.c.name, ORDER.c.id).where(
                ORDER.c.source == "shopify", ORDER.c.name.in_(names[start : start + CHUNK])
            )
            for name, order_id in session.execute(query):
                self.order_ids[name] = order_id
                if name not in new:
                    self.existing_orders.add(order_id)
        self._refunds_and_fulfilments(session, orders)

    def _customers(self, session: Session, orders: list[dict[str, Any]]) -> None:
        wanted = {o["email"]: o["customer_name"] for o in orders if o["email"] and o["email"] not in self.customer_ids}
        if not wanted:
            return
        self._load_customers(session, list(wanted))
        missing = [email for email in wanted if email not in self.customer_ids]
        if missing:
            session.execute(
                CUSTOMER.insert(),
                [{"name": wanted[email] or email, "email": email, "tier": "standard", "tags": ""} for email in missing],
            )
            self.created["customer"] += len(missing)
            self._load_customers(session, missing)

    def _load_customers(self, session: Session, emails: list[str]) -> None:
        lowered = func.lower(CUSTOMER.c.email)
        for start in range(0, len(emails), CHUNK):
            query = select(lowered, func.min(CUSTOMER.c.id)).where(lowered.in_(emails[start : start + CHUNK]))
            self.customer_ids.update(dict(session.execute(query.group_by(lowered)).all()))

    def _refunds_and_fulfilments(self, session: Session, orders: list[dict[str, Any]]) -> None:
        refunds, no_refund, shipped = [], [], []
        for order in orders:
            order_id = self.order_ids[order["name"]]
            if order["refunded"] > 0:
                refunds.append(
                    {
                        "order_id": order_id,
                        "source": EXPORT,
                        "external_id": "",
                        "amount": order["refunded"],
                        "currency": order["currency"],
                    }
                )
            elif order_id in self.existing_orders:
                no_refund.append(order_id)
            if order["fulfilled_at"] is not None:
                shipped.append(
                    {
                        "order_id": order_id,
                        "source": EXPORT,
                        "tracking_number": "",
                        "status": "fulfilled",
                        "shipped_at": order["fulfilled_at"],
                    }
                )
        if refunds:
            upsert(session, REFUND, ("order_id", "source", "external_id"), refunds)
        if no_refund:  # the export no longer shows a refund (an edited order): drop the one it gave
            session.execute(REFUND.delete().where(REFUND.c.order_id.in_(no_refund), REFUND.c.source == EXPORT))
        if shipped:
            upsert(session, FULFILLMENT, ("order_id", "source", "tracking_number"), shipped)

    def _skus(self, session: Session, lines: list[dict[str, Any]]) -> None:
        wanted = {line["sku_code"]: line["name"] for line in lines if line["sku_code"]}
        codes = [code for code in wanted if code not in self.sku_ids]
        if not codes:
            return
        self._load_skus(session, codes)
        missing = [code for code in codes if code not in self.sku_ids]
        if missing:
            session.execute(
                SKU.insert(),
                [{"code": code, "name": wanted[code] or code, "status": "active", "version": 1} for code in missing],
            )
            self.created["sku"] += len(missing)
            self._load_skus(session, missing)

    def _load_skus(self, session: Session, codes: list[str]) -> None:
        for start in range(0, len(codes), CHUNK):
            query = select(SKU.c.code, SKU.c.id).where(SKU.c.code.in_(codes[start : start + CHUNK]))
            self.sku_ids.update(dict(session.execute(query).all()))

    def _write_lines(self, session: Session, records: list[tuple[str, dict[str, Any]]]) -> None:
        self._skus(session, [line for _name, line in records])
        rows = []
        for name, line in records:
            order_id = self.order_ids[name]
            rows.append({**line, "order_id": order_id, "sku_id": self.sku_ids.get(line["sku_code"] or "")})
            self.file_lines.setdefault(order_id, set()).add(line["line_key"])
        outcome = upsert(session, LINE, ("order_id", "line_key"), rows)
        self.inserted += len(outcome.inserted)
        self.updated += len(outcome.updated)
        self.unchanged += outcome.unchanged

    def finish(self, session: Session) -> None:
        self._find_lines_gone(session, list(self.order_ids.values()))
        self._drop_lines_gone(session)
        result = daily.rebuild_days(session, self.days)
        for message in result.notes():
            self.warn(message)
        audit.bump(session, "inventory")  # the board and the ads screen read what was rebuilt
        audit.bump(session, "ads")

    def _find_lines_gone(self, session: Session, order_ids: list[int]) -> None:
        """Lines of these orders (all their lines in the file written) that the export no longer has."""
        existing = sorted(order_id for order_id in order_ids if order_id in self.existing_orders)
        for start in range(0, len(existing), CHUNK):
            part = existing[start : start + CHUNK]
            query = select(LINE.c.id, LINE.c.order_id, LINE.c.line_key).where(LINE.c.order_id.in_(part))
            self.lines_gone.extend(
                line_id
                for line_id, order_id, line_key in session.execute(query)
                if line_key not in self.file_lines.get(order_id, ())
            )

    def _drop_lines_gone(self, session: Session) -> None:
        """Lines an order no longer has in this export (an edited order) are removed."""
        gone = self.lines_gone
        for start in range(0, len(gone), CHUNK):
            session.execute(LINE.delete().where(LINE.c.id.in_(gone[start : start + CHUNK])))
        if gone:
            self.touched += len(gone)
            self.warn(
                _("{count} order lines no longer in their orders were removed").format(count=number_text(len(gone)))
            )


class ShopifySalesReport(Importer):
    """Shopify's "Sales over time" report by day -> the store's daily orders, revenue and refunds.

    Revenue follows the ``orders.revenue_basis`` setting: ``net`` is Total sales (after discounts
    and returns, with shipping and taxes: what the orders' totals less refunds add up to), ``gross``
    adds the returns back. Refunds are the returns as a positive amount. Days the imported orders
    cover are left to the orders (orders win; the report is the fallback for stores without them).
    """

    kind = "shopify-sales"
    title = "Shopify's Sales over time report"
    entity = "store day"
    area = "ads"
    tables = ("store_daily",)
    columns = Columns(
        (
            field("day", "Day", "Date", required=True),
            field("orders", "Orders", required=True),
            field("gross", "Gross sales"),
            field("discounts", "Discounts"),
            field("returns", "Returns"),
            field("net", "Net sales"),
            field("shipping", "Shipping charges", "Shipping"),
            field("taxes", "Taxes"),
            field("total", "Total sales"),
        )
    )

    def open(self, path: Path, name: str) -> CsvSource:
        source = open_checked(self, path, name)
        header = source.header
        if not header.has("total") and not header.has("net"):
            raise ImportFailed(
                [RowError(name, header.line, "header", "missing column 'Total sales' (or 'Net sales'): no revenue")]
            )
        return source

    def prepare(self, session: Session) -> None:
        from dtc_tui.services.common import settings

        self.basis = settings.get(session, "orders.revenue_basis")

    def parse(self, row: Any, check: RowCheck) -> dict[str, Any] | None:
        day = check.day("day", required=True)
        orders = check.integer("orders", required=True)
        returns = abs(check.number("returns") or 0.0)
        total = check.number("total")
        if total is None and check.raw("net"):
            net = check.number("net") or 0.0
            total = net + (check.number("shipping") or 0.0) + (check.number("taxes") or 0.0)
        if total is None:
            check.problem("total", _("empty; a value is required"))
        if day is None or orders is None or total is None:
            return None
        return {"day": day, "orders": orders, "total": total, "returns": returns}

    def key(self, record: dict[str, Any]) -> Hashable | None:
        return record["day"]

    def write(self, session: Session, batch: list[tuple[int, dict[str, Any]]]) -> None:
        days = [record["day"] for _line, record in batch]
        covered = daily.days_with_orders(session, days)
        rows = []
        for _line, record in batch:
            if record["day"] in covered:
                self.ignored_reasons["days the imported orders cover (orders win)"] += 1
                continue
            revenue = record["total"] + (record["returns"] if self.basis == "gross" else 0.0)
            rows.append(
                {"day": record["day"], "orders": record["orders"], "revenue": revenue, "refunds": record["returns"]}
            )
        outcome = upsert(session, STORE_DAILY, ("day",), rows)
        self.inserted += len(outcome.inserted)
        self.updated += len(outcome.updated)
        self.unchanged += outcome.unchanged
