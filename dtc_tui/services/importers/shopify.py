"""Shopify product CSV (legacy and current columns) -> SKUs; inventory CSV -> stock levels.

Products: one SKU per variant row, keyed on the SKU code. A row with an empty ``Title`` and the
same handle continues the product above (its title and status apply). Shopify writes a leading
``'`` before numeric SKUs and barcodes (``'25970``, so spreadsheets keep them as text): it is
removed. A variant without a SKU is keyed on its handle and options (code ``handle/Blue / M``,
the same in the inventory export); image-only rows are skipped. A SKU on two products (a
product and its ``-copy``) is imported once, from its first row, with a warning.
A barcode in scientific notation (``3.65275E+11``) lost its digits in a spreadsheet: it is not
imported (warning) rather than stored wrong.

Inventory: one stock record per SKU and location, keyed on (SKU, warehouse). A location is
matched to a warehouse by name or code and created when new; a SKU unknown here is created
from the row's title and options. ``not stocked`` means no stock record: nothing is created
(an existing record is left as it is). Negative on-hand is kept and flagged (warning).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from dtc_tui.i18n import N_, _
from dtc_tui.models import Sku, StockLevel, Warehouse
from dtc_tui.models.base import table_of
from dtc_tui.services.importers.base import Importer, RowCheck
from dtc_tui.services.importers.columns import Columns, field

SKU = table_of(Sku)
STOCK = table_of(StockLevel)
WAREHOUSE = table_of(Warehouse)
STATUSES = ("active", "draft", "archived")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?e\+?\d+$", re.IGNORECASE)
_OPTIONS = tuple(field(f"option{n}", f"Option{n} Value") for n in (1, 2, 3))


def sku_code(check: RowCheck, name: str = "sku") -> str:
    """The cell without the ``'`` Shopify puts before numeric values."""
    return check.text(name, max_length=65).removeprefix("'").strip()


def variant_code(handle: str, variant: str) -> str:
    """A code for a variant without a SKU: ``handle/options``, shortened with a digest past 64."""
    code = f"{handle}/{variant}" if variant else handle
    if len(code) <= 64:
        return code
    digest = hashlib.sha1(code.encode()).hexdigest()[:8]
    return f"{code[:55]}~{digest}"


def variant_name(check: RowCheck) -> str:
    values = [check.text(f"option{n}", limit=60) for n in (1, 2, 3)]
    values = [value for value in values if value and value.lower() != "default title"]
    return " / ".join(values)[:200]


class ShopifyProducts(Importer):
    kind = "shopify-products"
    title = "Shopify products (CSV)"
    entity = "sku"
    area = "inventory"
    tables = ("sku",)
    columns = Columns(
        (
            field("handle", "Handle", "URL handle", required=True),
            field("title", "Title", required=True),
            field("sku", "Variant SKU", "SKU"),
            *_OPTIONS,
            field("grams", "Variant Grams", "Weight value (grams)"),
            field("price", "Variant Price", "Price"),
            field("cost", "Cost per item"),
            field("barcode", "Variant Barcode", "Barcode"),
            field("status", "Status"),
        )
    )

    def begin(self, source: Any, *, writing: bool) -> None:
        super().begin(source, writing=writing)
        self.product: dict[str, Any] | None = None

    def parse(self, row: Any, check: RowCheck) -> dict[str, Any] | None:
        handle = check.text("handle", required=True, max_length=200)
        title = check.text("title", limit=300)
        if title:
            status = check.raw("status").lower() or "active"
            if status not in STATUSES:
                check.problem(
                    "status",
                    _("unknown status {shown!r} (expected {choices})").format(
                        shown=check.raw("status"), choices=", ".join(STATUSES)
                    ),
                )
            self.product = {"handle": handle, "name": title, "status": status}
        elif self.product is None or self.product["handle"] != handle:
            check.problem("title", _("empty on the first row of product {handle!r}").format(handle=handle))
            return None
        product = self.product
        code = sku_code(check)
        if len(code) > 64:
            check.problem("sku", _("longer than 64 characters"))
        variant = variant_name(check)
        price = check.number("price")
        if not code:
            if not variant and price is None:
                self.ignore(N_("image-only rows"))
                return None
            code = variant_code(handle, variant)
            self.note(_("variants without a SKU are keyed on handle and options (code 'handle/option values')"))
        record: dict[str, Any] = {
            "code": code,
            "name": product["name"],
            "product_handle": product["handle"],
            "variant": variant,
            "status": product["status"],
        }
        for name, column in (("price", "price"), ("cost", "cost"), ("weight_grams", "grams")):
            value = price if column == "price" else check.number(column)
            if value is not None:
                if value < 0:
                    check.problem(column, _("negative"))
                record[name] = value
        barcode = check.text("barcode", max_length=65).removeprefix("'").strip()
        if barcode and _SCIENTIFIC.match(barcode):
            self.warn(
                _("barcode in scientific notation (a spreadsheet dropped its digits): not imported"), line=row.line
            )
        elif barcode:
            record["barcode"] = barcode
        return record

    def key(self, record: dict[str, Any]) -> Hashable | None:
        return record["code"]

    def describe_key(self, key: Hashable) -> str:
        return f"SKU {key}"

    def merge_duplicate(self, line: int, first_line: int, key: Hashable) -> bool:
        self.warn(
            _("SKU {sku!r} is on two products (a copied product?): imported once, from line {line}").format(
                sku=key, line=first_line
            ),
            line=line,
        )
        return True

    def write(self, session: Session, batch: list[tuple[int, dict[str, Any]]]) -> None:
        # Group by the columns carried: a blank cost on one row must not overwrite a stored cost.
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for _line, record in batch:
            groups.setdefault(tuple(sorted(record)), []).append(record)
        for columns, rows in groups.items():
            outcome = self.baselines.upsert_merged(
                session,
                SKU,
                ("code",),
                rows,
                compare=[c for c in columns if c != "code"],
                describe=lambda row: f"SKU {row['code']}",
                insert_defaults={"version": 1},
            )
            self.inserted += len(outcome.inserted)
            self.updated += len(outcome.updated)
            self.unchanged += outcome.unchanged


class ShopifyInventory(Importer):
    kind = "shopify-inventory"
    title = "Shopify inventory (CSV)"
    entity = "stock record"
    area = "inventory"
    tables = ("stock_level", "sku")
    columns = Columns(
        (
            field("sku", "SKU", "Variant SKU", required=True),
            field("location", "Location", required=True),
            field("on_hand", "On hand (current)", "On hand", required=True),
            field("committed", "Committed"),
            field("handle", "Handle"),
            field("title", "Title"),
            *_OPTIONS,
            field("available", "Available"),
            field("incoming", "Incoming"),
        )
    )

    def parse(self, row: Any, check: RowCheck) -> dict[str, Any] | None:
        if check.raw("on_hand").lower() == "not stocked":
            self.ignore(N_("not stocked at the location (no stock record)"))
            return None
        code = sku_code(check)
        location = check.text("location", required=True, limit=120)
        handle = check.text("handle", limit=200)
        variant = variant_name(check)
        if not code and handle:
            code = variant_code(handle, variant)  # as the products import keys it
            self.note(_("rows without a SKU are matched on handle and options (code 'handle/option values')"))
        if not code:
            self.warn(_("no SKU and no handle: the row cannot be matched to a SKU (not imported)"), line=row.line)
            self.ignore(N_("rows without a SKU"))
            return None
        on_hand = check.integer("on_hand", required=True)
        committed = 0 if check.raw("committed").lower() == "not stocked" else check.integer("committed") or 0
        if on_hand is not None and on_hand < 0:
            self.warn(_("negative on hand kept (sold before it was received, or a count error)"), line=row.line)
        return {
            "code": code,
            "location": location,
            "on_hand": on_hand,
            "committed": committed,
            "name": check.text("title", limit=300) or code,
            "handle": handle or None,
            "variant": variant,
        }

    def key(self, record: dict[str, Any]) -> Hashable | None:
        return (record["code"], record["location"].lower())

    def describe_key(self, key: Any) -> str:
        code, location = key
        return f"SKU {code} at {location}"

    def merge_duplicate(self, line: int, first_line: int, key: Any) -> bool:
        code, location = key
        self.warn(
            _(
                "SKU {sku!r} at {location} is on two products (a copied product?): stock imported once, "
                "from line {line}"
            ).format(sku=code, location=location, line=first_line),
            line=line,
        )
        return True

    def prepare(self, session: Session) -> None:
        self.warehouses: dict[str, int] = {}
        self.warehouse_codes: set[str] = set()
        for warehouse_id, code, name in session.execute(select(WAREHOUSE.c.id, WAREHOUSE.c.code, WAREHOUSE.c.name)):
            self.warehouses.setdefault(name.strip().lower(), warehouse_id)
            self.warehouses.setdefault(code.strip().lower(), warehouse_id)
            self.warehouse_codes.add(code.upper())
        self.sku_ids: dict[str, int] = {}

    def _warehouse(self, session: Session, location: str) -> int:
        key = location.strip().lower()
        if key not in self.warehouses:
            code = warehouse_code(location, self.warehouse_codes)
            session.execute(WAREHOUSE.insert(), [{"code": code, "name": location, "region": "", "delivery_days": 3}])
            warehouse_id = session.execute(select(WAREHOUSE.c.id).where(WAREHOUSE.c.code == code)).scalar_one()
            self.warehouses[key] = warehouse_id
            self.warehouse_codes.add(code)
            self.created["warehouse"] += 1
        return self.warehouses[key]

    def _skus(self, session: Session, records: list[dict[str, Any]]) -> None:
        wanted = {r["code"]: r for r in records if r["code"] not in self.sku_ids}
        if not wanted:
            return
        codes = list(wanted)
        self._load_skus(session, codes)
        missing = [wanted[code] for code in codes if code not in self.sku_ids]
        if missing:
            session.execute(
                SKU.insert(),
                [
                    {
                        "code": r["code"],
                        "name": r["name"],
                        "product_handle": r["handle"],
                        "variant": r["variant"],
                        "status": "active",
                        "version": 1,
                    }
                    for r in missing
                ],
            )
            self.created["sku"] += len(missing)
            self._load_skus(session, [r["code"] for r in missing])

    def _load_skus(self, session: Session, codes: list[str]) -> None:
        for start in range(0, len(codes), 500):
            query = select(SKU.c.code, SKU.c.id).where(SKU.c.code.in_(codes[start : start + 500]))
            self.sku_ids.update(dict(session.execute(query).all()))

    def write(self, session: Session, batch: list[tuple[int, dict[str, Any]]]) -> None:
        records = [record for _line, record in batch]
        self._skus(session, records)
        rows = [
            {
                "sku_id": self.sku_ids[r["code"]],
                "warehouse_id": self._warehouse(session, r["location"]),
                "on_hand": r["on_hand"],
                "committed": r["committed"],
            }
            for r in records
        ]
        outcome = self.baselines.upsert_merged(
            session,
            STOCK,
            ("sku_id", "warehouse_id"),
            rows,
            compare=("on_hand", "committed"),
            describe=lambda row: f"stock of SKU id {row['sku_id']} in warehouse id {row['warehouse_id']}",
            insert_defaults={"version": 1},
        )
        self.inserted += len(outcome.inserted)
        self.updated += len(outcome.updated)
        self.unchanged += outcome.unchanged


def warehouse_code(name: str, taken: set[str]) -> str:
    """A short unique code for a new warehouse: the location's name in capitals."""
    base = re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-")[:18].rstrip("-") or "WH"
    code, suffix = base, 2
    while code in taken:
        code = f"{base}-{suffix}"
        suffix += 1
    return code
