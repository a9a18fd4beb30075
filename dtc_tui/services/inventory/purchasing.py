"""Purchase orders and transfers: draft from the board's suggestions, edit, send, receive, cancel.

Rules:
- A PO has one supplier and one destination warehouse (the model's shape), so "one draft per
  supplier" means one per supplier and warehouse; lines for a pair that already has a draft join it.
- Only drafts have editable lines. Sending sets ``expected_at`` = now + the longest lead time of the
  lines (the SKU's override, else the supplier's) unless a date is given; it stays editable while
  the PO is open.
- Receiving adds to ``stock_level.on_hand`` in the same transaction as the receipt (an atomic
  ``on_hand = on_hand + n``); more than the open quantity is refused. A PO with every line complete
  is "received", else "partial". Cancelling a partial PO keeps what already arrived.
- Every change bumps the PO's ``version`` with a compare-and-set; a stale edit is refused.
- A transfer is drafted, then dispatched (stock leaves the source), then received (stock arrives).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, update
from sqlalchemy import select as sa_select  # sqlmodel's select is typed for up to 4 columns
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dtc_tui import db, errors
from dtc_tui.errors import UserError
from dtc_tui.i18n import _
from dtc_tui.models import PurchaseOrder, PurchaseOrderLine, Sku, StockLevel, StockTransfer, Supplier, Warehouse
from dtc_tui.models.base import table_of
from dtc_tui.services.common import audit
from dtc_tui.services.common import settings as settings_service

OPEN_STATUSES = ("draft", "sent", "partial")
FIRST_NUMBER = 1001


class PurchasingError(UserError, ValueError):
    """A request the operator can fix; the message is one line."""


class StaleEdit(PurchasingError, errors.StaleEdit):
    """Someone else changed the purchase order since it was read."""


@dataclass(frozen=True)
class PoLine:
    sku_id: int
    code: str
    name: str
    qty_ordered: int
    qty_received: int
    unit_cost: float

    @property
    def open_qty(self) -> int:
        return max(self.qty_ordered - self.qty_received, 0)


@dataclass(frozen=True)
class PoSummary:
    id: int
    number: str
    supplier: str
    warehouse: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    expected_at: datetime | None
    received_at: datetime | None
    lines: int
    units_ordered: int
    units_received: int
    value: float
    late_days: int  # open and past its expected date by this many days (0 otherwise)
    version: int
    note: str

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def as_dict(self) -> dict[str, object]:
        return {
            "number": self.number,
            "supplier": self.supplier,
            "warehouse": self.warehouse,
            "status": self.status,
            "created_at": self.created_at,
            "sent_at": self.sent_at,
            "expected_at": self.expected_at,
            "received_at": self.received_at,
            "lines": self.lines,
            "units_ordered": self.units_ordered,
            "units_received": self.units_received,
            "value": round(self.value, 2),
            "late_days": self.late_days,
            "version": self.version,
        }


@dataclass(frozen=True)
class PoDetail:
    summary: PoSummary
    lines: tuple[PoLine, ...]


@dataclass(frozen=True)
class DraftLine:
    sku_id: int
    warehouse_id: int
    qty: int


@dataclass(frozen=True)
class TransferRow:
    id: int
    sku_id: int
    code: str
    from_warehouse: str
    to_warehouse: str
    qty: int
    status: str
    created_at: datetime
    expected_at: datetime | None

    @property
    def ref(self) -> str:
        return f"TR-{self.id}"


# --- reading --------------------------------------------------------------------------------------


def _late_days(status: str, expected: datetime | None, now: datetime) -> int:
    if status not in ("sent", "partial") or expected is None:
        return 0
    return max((now.date() - expected.date()).days, 0)


def list_pos(
    session: Session, now: datetime, *, statuses: Sequence[str] | None = None, po_ids: Sequence[int] | None = None
) -> list[PoSummary]:
    """POs with their totals; open ones first (soonest expected first), then the rest, newest first."""
    totals = (
        sa_select(
            col(PurchaseOrderLine.po_id),
            func.count().label("n"),
            func.coalesce(func.sum(col(PurchaseOrderLine.qty_ordered)), 0).label("ordered"),
            func.coalesce(func.sum(col(PurchaseOrderLine.qty_received)), 0).label("received"),
            func.coalesce(func.sum(col(PurchaseOrderLine.qty_ordered) * col(PurchaseOrderLine.unit_cost)), 0).label(
                "value"
            ),
        )
        .group_by(col(PurchaseOrderLine.po_id))
        .subquery()
    )
    stmt = (
        sa_select(
            PurchaseOrder,
            col(Supplier.name),
            col(Warehouse.code),
            totals.c.n,
            totals.c.ordered,
            totals.c.received,
            totals.c.value,
        )
        .join(Supplier, col(Supplier.id) == col(PurchaseOrder.supplier_id))
        .join(Warehouse, col(Warehouse.id) == col(PurchaseOrder.warehouse_id))
        .outerjoin(totals, totals.c.po_id == PurchaseOrder.id)
    )
    if statuses:
        stmt = stmt.where(col(PurchaseOrder.status).in_(list(statuses)))
    if po_ids is not None:
        stmt = stmt.where(col(PurchaseOrder.id).in_(list(po_ids)))
    result = []
    for po, supplier, warehouse, n, ordered, received, value in session.execute(stmt):
        result.append(
            PoSummary(
                id=po.id or 0,
                number=po.number,
                supplier=supplier,
                warehouse=warehouse,
                status=po.status,
                created_at=po.created_at,
                sent_at=po.sent_at,
                expected_at=po.expected_at,
                received_at=po.received_at,
                lines=int(n or 0),
                units_ordered=int(ordered or 0),
                units_received=int(received or 0),
                value=float(value or 0),
                late_days=_late_days(po.status, po.expected_at, now),
                version=po.version,
                note=po.note,
            )
        )
    far = datetime.max.replace(tzinfo=now.tzinfo)
    open_rows = sorted(
        (p for p in result if p.is_open), key=lambda p: (p.status != "draft", p.expected_at or far, p.number)
    )
    closed = sorted((p for p in result if not p.is_open), key=lambda p: (p.created_at, p.number), reverse=True)
    return open_rows + closed


def find_po(session: Session, reference: str | int) -> PurchaseOrder:
    if isinstance(reference, int) or str(reference).isdigit():
        po = session.get(PurchaseOrder, int(reference))
        if po is None:  # "1001" may mean PO-1001
            po = session.exec(select(PurchaseOrder).where(PurchaseOrder.number == f"PO-{reference}")).first()
    else:
        po = session.exec(
            select(PurchaseOrder).where(func.upper(PurchaseOrder.number) == str(reference).strip().upper())
        ).first()
    if po is None:
        raise PurchasingError(_("no purchase order {ref}").format(ref=reference))
    return po


def po_detail(session: Session, reference: str | int, now: datetime) -> PoDetail:
    po = find_po(session, reference)
    summary = list_pos(session, now, po_ids=[po.id or 0])[0]
    rows = session.execute(
        sa_select(
            col(PurchaseOrderLine.sku_id),
            col(Sku.code),
            col(Sku.name),
            col(PurchaseOrderLine.qty_ordered),
            col(PurchaseOrderLine.qty_received),
            col(PurchaseOrderLine.unit_cost),
        )
        .join(Sku, col(Sku.id) == col(PurchaseOrderLine.sku_id))
        .where(col(PurchaseOrderLine.po_id) == po.id)
        .order_by(Sku.code)
    )
    return PoDetail(summary, tuple(PoLine(*row) for row in rows))


def open_pos_for_sku(session: Session, sku_id: int, now: datetime) -> list[tuple[PoSummary, PoLine]]:
    """Open POs holding the SKU, with the SKU's line (for the board's detail view)."""
    ids = [
        row[0]
        for row in session.execute(
            select(PurchaseOrderLine.po_id)
            .join(PurchaseOrder, col(PurchaseOrder.id) == col(PurchaseOrderLine.po_id))
            .where(PurchaseOrderLine.sku_id == sku_id, col(PurchaseOrder.status).in_(OPEN_STATUSES))
        )
    ]
    if not ids:
        return []
    lines = {
        row[0]: PoLine(sku_id, row[1], row[2], row[3], row[4], row[5])
        for row in session.execute(
            sa_select(
                col(PurchaseOrderLine.po_id),
                col(Sku.code),
                col(Sku.name),
                col(PurchaseOrderLine.qty_ordered),
                col(PurchaseOrderLine.qty_received),
                col(PurchaseOrderLine.unit_cost),
            )
            .join(Sku, col(Sku.id) == col(PurchaseOrderLine.sku_id))
            .where(col(PurchaseOrderLine.sku_id) == sku_id, col(PurchaseOrderLine.po_id).in_(ids))
        )
    }
    return [(summary, lines[summary.id]) for summary in list_pos(session, now, po_ids=ids)]


# --- writing ------------------------------------------------------------------------------------


def _next_number(session: Session) -> str:
    highest = FIRST_NUMBER - 1
    for (number,) in session.execute(select(PurchaseOrder.number).where(col(PurchaseOrder.number).like("PO-%"))):
        match = re.fullmatch(r"PO-(\d+)", number)
        if match:
            highest = max(highest, int(match.group(1)))
    return f"PO-{highest + 1}"


def _snapshot(po: PurchaseOrder) -> dict[str, object]:
    return {"status": po.status, "expected_at": po.expected_at, "version": po.version}


def _bump(session: Session, po: PurchaseOrder, expected_version: int | None, **values: object) -> None:
    """Compare-and-set on the PO's version; refuses a stale edit."""
    version = po.version if expected_version is None else expected_version
    result = session.exec(
        update(PurchaseOrder)
        .where(col(PurchaseOrder.id) == po.id, col(PurchaseOrder.version) == version)
        .values(version=version + 1, **values)
    )
    if result.rowcount != 1:
        raise StaleEdit(_("{po} was changed by someone else; reload and try again").format(po=po.number))
    session.refresh(po)


def _locked_po(session: Session, reference: str | int) -> PurchaseOrder:
    po = find_po(session, reference)
    # On PostgreSQL take the row lock; SQLite's write session already holds the database lock.
    return session.exec(select(PurchaseOrder).where(PurchaseOrder.id == po.id).with_for_update()).one()


def draft_from_lines(engine: Engine, lines: Iterable[DraftLine], *, actor: str, now: datetime) -> list[str]:
    """Draft POs for the given SKU-warehouse quantities: one per supplier and warehouse.

    Lines join an existing draft for the same supplier and warehouse (a SKU already on it has its
    quantity raised). Returns the PO numbers touched.
    """
    wanted = [line for line in lines if line.qty > 0]
    if not wanted:
        raise PurchasingError(_("nothing to order: no marked row has a suggested quantity"))
    with db.write_session(engine) as session:
        skus = {s.id: s for s in session.exec(select(Sku).where(col(Sku.id).in_({ln.sku_id for ln in wanted})))}
        groups: dict[tuple[int, int], list[DraftLine]] = defaultdict(list)
        for line in wanted:
            sku = skus.get(line.sku_id)
            if sku is None:
                raise PurchasingError(_("no SKU with id {id}").format(id=line.sku_id))
            if sku.supplier_id is None:
                raise PurchasingError(_("{sku} has no supplier; set one before ordering").format(sku=sku.code))
            groups[(sku.supplier_id, line.warehouse_id)].append(line)
        touched: list[str] = []
        for (supplier_id, warehouse_id), group in sorted(groups.items()):
            po = session.exec(
                select(PurchaseOrder)
                .where(
                    PurchaseOrder.supplier_id == supplier_id,
                    PurchaseOrder.warehouse_id == warehouse_id,
                    PurchaseOrder.status == "draft",
                )
                .order_by(col(PurchaseOrder.id))
            ).first()
            if po is None:
                po = PurchaseOrder(
                    number=_next_number(session),
                    supplier_id=supplier_id,
                    warehouse_id=warehouse_id,
                    status="draft",
                    created_at=now,
                )
                session.add(po)
                try:
                    session.flush()
                except IntegrityError as exc:  # another operator took the number a moment ago
                    raise PurchasingError(_("another PO was created at the same moment; try again")) from exc
                audit.record(
                    session,
                    actor=actor,
                    now=now,
                    entity="purchase_order",
                    entity_id=po.number,
                    action="create",
                    after={"supplier_id": supplier_id, "warehouse_id": warehouse_id},
                )
            else:
                _bump(session, po, None)
            existing = {
                ln.sku_id: ln for ln in session.exec(select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po.id))
            }
            for line in group:
                current = existing.get(line.sku_id)
                if current is None:
                    current = PurchaseOrderLine(
                        po_id=po.id or 0, sku_id=line.sku_id, qty_ordered=0, unit_cost=skus[line.sku_id].cost
                    )
                    existing[line.sku_id] = current
                before = current.qty_ordered
                current.qty_ordered += line.qty
                session.add(current)
                audit.record(
                    session,
                    actor=actor,
                    now=now,
                    entity="purchase_order",
                    entity_id=po.number,
                    action="line",
                    before={"sku": skus[line.sku_id].code, "qty": before},
                    after={"sku": skus[line.sku_id].code, "qty": current.qty_ordered},
                )
            touched.append(po.number)
        return touched


def set_line_qty(
    engine: Engine,
    reference: str | int,
    sku_id: int,
    qty: int,
    *,
    expected_version: int | None,
    actor: str,
    now: datetime,
) -> None:
    """Change a draft line's quantity; 0 removes the line."""
    if qty < 0:
        raise PurchasingError(_("a quantity cannot be negative"))
    with db.write_session(engine) as session:
        po = _locked_po(session, reference)
        if po.status != "draft":
            raise PurchasingError(
                _("{po} is {status}: only draft lines can be edited").format(po=po.number, status=_(po.status))
            )
        line = session.exec(
            select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po.id, PurchaseOrderLine.sku_id == sku_id)
        ).first()
        if line is None:
            raise PurchasingError(_("{po} has no line for that SKU").format(po=po.number))
        _bump(session, po, expected_version)
        before = line.qty_ordered
        if qty == 0:
            session.delete(line)
        else:
            line.qty_ordered = qty
            session.add(line)
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="purchase_order",
            entity_id=po.number,
            action="line",
            before={"sku_id": sku_id, "qty": before},
            after={"sku_id": sku_id, "qty": qty},
        )


def add_line(
    engine: Engine,
    reference: str | int,
    sku_code: str,
    qty: int,
    *,
    expected_version: int | None,
    actor: str,
    now: datetime,
) -> None:
    if qty <= 0:
        raise PurchasingError(_("a new line needs a quantity above 0"))
    with db.write_session(engine) as session:
        po = _locked_po(session, reference)
        if po.status != "draft":
            raise PurchasingError(
                _("{po} is {status}: lines can be added to drafts only").format(po=po.number, status=_(po.status))
            )
        sku = session.exec(select(Sku).where(func.upper(Sku.code) == sku_code.strip().upper())).first()
        if sku is None:
            raise PurchasingError(_("no SKU {code}").format(code=sku_code))
        if sku.supplier_id != po.supplier_id:
            raise PurchasingError(_("{sku} comes from another supplier than {po}").format(sku=sku.code, po=po.number))
        line = session.exec(
            select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po.id, PurchaseOrderLine.sku_id == sku.id)
        ).first()
        _bump(session, po, expected_version)
        if line is None:
            line = PurchaseOrderLine(po_id=po.id or 0, sku_id=sku.id or 0, qty_ordered=0, unit_cost=sku.cost)
        before = line.qty_ordered
        line.qty_ordered += qty
        session.add(line)
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="purchase_order",
            entity_id=po.number,
            action="line",
            before={"sku": sku.code, "qty": before},
            after={"sku": sku.code, "qty": line.qty_ordered},
        )


def default_expected(session: Session, po: PurchaseOrder, now: datetime) -> datetime:
    """now + the longest lead time among the lines (SKU override, else the supplier's)."""
    supplier = session.get(Supplier, po.supplier_id)
    base = (
        supplier.lead_time_days
        if supplier is not None
        else int(settings_service.get(session, "inventory.default_lead_time_days"))
    )
    overrides = [
        row[0]
        for row in session.execute(
            select(Sku.lead_time_days)
            .join(PurchaseOrderLine, col(PurchaseOrderLine.sku_id) == col(Sku.id))
            .where(PurchaseOrderLine.po_id == po.id, col(Sku.lead_time_days).is_not(None))
        )
    ]
    return now + timedelta(days=max([base, *overrides]))


def mark_sent(
    engine: Engine,
    reference: str | int,
    *,
    expected_version: int | None,
    actor: str,
    now: datetime,
    expected_at: datetime | None = None,
) -> datetime:
    """Draft -> sent. Returns the expected arrival."""
    with db.write_session(engine) as session:
        po = _locked_po(session, reference)
        if po.status != "draft":
            raise PurchasingError(_("{po} is {status}, not a draft").format(po=po.number, status=_(po.status)))
        count = session.execute(
            select(func.count()).select_from(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po.id)
        ).scalar_one()
        if not count:
            raise PurchasingError(_("{po} has no lines").format(po=po.number))
        expected = expected_at or default_expected(session, po, now)
        if expected < now - timedelta(days=1):
            raise PurchasingError(_("the expected arrival is in the past"))
        before = _snapshot(po)
        _bump(session, po, expected_version, status="sent", sent_at=now, expected_at=expected)
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="purchase_order",
            entity_id=po.number,
            action="send",
            before=before,
            after=_snapshot(po),
        )
        return expected


def set_expected(
    engine: Engine,
    reference: str | int,
    expected_at: datetime,
    *,
    expected_version: int | None,
    actor: str,
    now: datetime,
) -> None:
    with db.write_session(engine) as session:
        po = _locked_po(session, reference)
        if po.status not in ("sent", "partial"):
            raise PurchasingError(
                _("{po} is {status}: only sent POs have an arrival date").format(po=po.number, status=_(po.status))
            )
        before = _snapshot(po)
        _bump(session, po, expected_version, expected_at=expected_at)
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="purchase_order",
            entity_id=po.number,
            action="expected",
            before=before,
            after=_snapshot(po),
        )


@dataclass(frozen=True)
class Receipt:
    number: str
    status: str
    received: dict[str, int]  # SKU code -> units received now


def receive(
    engine: Engine,
    reference: str | int,
    quantities: Mapping[str, int] | None = None,
    *,
    expected_version: int | None = None,
    actor: str,
    now: datetime,
) -> Receipt:
    """Receive the open quantity of every line (``quantities`` None) or the given SKU-code quantities.

    The stock of the PO's warehouse rises in the same transaction.
    """
    with db.write_session(engine) as session:
        po = _locked_po(session, reference)
        if po.status not in ("sent", "partial"):
            raise PurchasingError(
                _("{po} is {status}: only sent POs can be received").format(po=po.number, status=_(po.status))
            )
        lines = {
            sku.code.upper(): (line, sku)
            for line, sku in session.execute(
                select(PurchaseOrderLine, Sku)
                .join(Sku, col(Sku.id) == col(PurchaseOrderLine.sku_id))
                .where(PurchaseOrderLine.po_id == po.id)
            ).all()
        }
        if quantities is None:
            plan = {code: line.qty_ordered - line.qty_received for code, (line, _s) in lines.items()}
        else:
            plan = {}
            for code, qty in quantities.items():
                key = code.strip().upper()
                if key not in lines:
                    raise PurchasingError(_("{po} has no line for {sku}").format(po=po.number, sku=code))
                line = lines[key][0]
                if qty < 0:
                    raise PurchasingError(_("{sku}: a received quantity cannot be negative").format(sku=code))
                if qty > line.qty_ordered - line.qty_received:
                    raise PurchasingError(
                        _("{sku}: {qty} is more than the {open} still open on {po}").format(
                            sku=code, qty=qty, open=line.qty_ordered - line.qty_received, po=po.number
                        )
                    )
                plan[key] = qty
        plan = {code: qty for code, qty in plan.items() if qty > 0}
        if not plan:
            raise PurchasingError(_("nothing to receive on {po}").format(po=po.number))
        before = _snapshot(po)
        received: dict[str, int] = {}
        for code, qty in plan.items():
            line, sku = lines[code]
            line.qty_received += qty
            session.add(line)
            _add_stock(session, sku.id or 0, po.warehouse_id, qty, now=now, receipt=True)
            audit.record(
                session,
                actor=actor,
                now=now,
                entity="stock_level",
                entity_id=f"{sku.code}@{po.warehouse_id}",
                action="receive",
                after={"po": po.number, "qty": qty},
            )
            received[sku.code] = qty
        session.flush()
        complete = all(line.qty_received >= line.qty_ordered for line, _s in lines.values())
        status = "received" if complete else "partial"
        _bump(session, po, expected_version, status=status, received_at=now if complete else None)
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="purchase_order",
            entity_id=po.number,
            action="receive",
            before=before,
            after={**_snapshot(po), "received": received},
        )
        return Receipt(po.number, status, received)


def cancel(engine: Engine, reference: str | int, *, expected_version: int | None, actor: str, now: datetime) -> str:
    with db.write_session(engine) as session:
        po = _locked_po(session, reference)
        if po.status not in OPEN_STATUSES:
            raise PurchasingError(
                _("{po} is {status} and cannot be cancelled").format(po=po.number, status=_(po.status))
            )
        before = _snapshot(po)
        _bump(session, po, expected_version, status="cancelled")
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="purchase_order",
            entity_id=po.number,
            action="cancel",
            before=before,
            after=_snapshot(po),
        )
        return po.number


def _add_stock(session: Session, sku_id: int, warehouse_id: int, qty: int, *, now: datetime, receipt: bool) -> None:
    """on_hand += qty atomically (a new stock row when the SKU was never in that warehouse)."""
    values: dict[str, object] = {"on_hand": StockLevel.on_hand + qty, "version": StockLevel.version + 1}
    if receipt:
        values["last_received_at"] = now
    result = session.exec(
        update(StockLevel)
        .where(col(StockLevel.sku_id) == sku_id, col(StockLevel.warehouse_id) == warehouse_id)
        .values(**values)
    )
    if result.rowcount == 0:
        if qty < 0:
            raise PurchasingError(_("no stock to take from that warehouse"))
        _insert_stock(session, sku_id, warehouse_id, qty, now if receipt else None)


def _insert_stock(session: Session, sku_id: int, warehouse_id: int, qty: int, received_at: datetime | None) -> None:
    """The first stock row of a SKU in a warehouse, as an upsert: two receipts at once (two POs,
    two processes) both find no row on PostgreSQL, where the second insert would otherwise fail
    with an IntegrityError; here it adds its quantity to the row the first one created."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        session.add(StockLevel(sku_id=sku_id, warehouse_id=warehouse_id, on_hand=qty, last_received_at=received_at))
        session.flush()
        return
    table = table_of(StockLevel)
    values: dict[str, Any] = {
        "sku_id": sku_id,
        "warehouse_id": warehouse_id,
        "on_hand": qty,
        "committed": 0,
        "last_received_at": received_at,
        "version": 1,
    }
    changes: dict[str, Any] = {"on_hand": table.c.on_hand + qty, "version": table.c.version + 1}
    if received_at is not None:
        changes["last_received_at"] = received_at
    keys = [table.c.sku_id, table.c.warehouse_id]
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(table).values(**values).on_conflict_do_update(index_elements=keys, set_=changes))
    else:
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        session.execute(
            postgresql_insert(table).values(**values).on_conflict_do_update(index_elements=keys, set_=changes)
        )


# --- transfers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferLine:
    sku_id: int
    from_warehouse_id: int
    to_warehouse_id: int
    qty: int


def list_transfers(session: Session, *, open_only: bool = True, sku_id: int | None = None) -> list[TransferRow]:
    from sqlalchemy.orm import aliased

    source, target = aliased(Warehouse), aliased(Warehouse)
    stmt = (
        sa_select(
            col(StockTransfer.id),
            col(StockTransfer.sku_id),
            col(Sku.code),
            col(source.code),
            col(target.code),
            col(StockTransfer.qty),
            col(StockTransfer.status),
            col(StockTransfer.created_at),
            col(StockTransfer.expected_at),
        )
        .join(Sku, col(Sku.id) == col(StockTransfer.sku_id))
        .join(source, col(source.id) == col(StockTransfer.from_warehouse_id))
        .join(target, col(target.id) == col(StockTransfer.to_warehouse_id))
        .order_by(col(StockTransfer.id).desc())
    )
    if open_only:
        stmt = stmt.where(col(StockTransfer.status).in_(("draft", "in_transit")))
    if sku_id is not None:
        stmt = stmt.where(col(StockTransfer.sku_id) == sku_id)
    return [TransferRow(*row) for row in session.execute(stmt)]


def _available(session: Session, sku_id: int, warehouse_id: int) -> int:
    row = session.execute(
        select(StockLevel.on_hand - StockLevel.committed).where(
            StockLevel.sku_id == sku_id, StockLevel.warehouse_id == warehouse_id
        )
    ).first()
    return int(row[0]) if row else 0


def draft_transfers(engine: Engine, lines: Iterable[TransferLine], *, actor: str, now: datetime) -> list[int]:
    created: list[int] = []
    with db.write_session(engine) as session:
        for line in lines:
            if line.qty <= 0:
                continue
            if line.from_warehouse_id == line.to_warehouse_id:
                raise PurchasingError(_("a transfer needs two different warehouses"))
            if _available(session, line.sku_id, line.from_warehouse_id) < line.qty:
                raise PurchasingError(_("the source warehouse does not have that many units available"))
            transfer = StockTransfer(
                sku_id=line.sku_id,
                from_warehouse_id=line.from_warehouse_id,
                to_warehouse_id=line.to_warehouse_id,
                qty=line.qty,
                status="draft",
                created_at=now,
            )
            session.add(transfer)
            session.flush()
            audit.record(
                session,
                actor=actor,
                now=now,
                entity="stock_transfer",
                entity_id=transfer.id,
                action="create",
                after={
                    "sku_id": line.sku_id,
                    "from": line.from_warehouse_id,
                    "to": line.to_warehouse_id,
                    "qty": line.qty,
                },
            )
            created.append(transfer.id or 0)
    if not created:
        raise PurchasingError(_("nothing to transfer: no marked row has a suggested transfer"))
    return created


def _transfer(session: Session, transfer_id: int, status: str) -> StockTransfer:
    transfer = session.exec(select(StockTransfer).where(StockTransfer.id == transfer_id).with_for_update()).first()
    if transfer is None:
        raise PurchasingError(_("no transfer TR-{id}").format(id=transfer_id))
    if transfer.status != status:
        raise PurchasingError(
            _("TR-{id} is {status}, not {wanted}").format(
                id=transfer_id, status=_(transfer.status.replace("_", " ")), wanted=_(status.replace("_", " "))
            )
        )
    return transfer


def dispatch_transfer(engine: Engine, transfer_id: int, *, actor: str, now: datetime) -> datetime:
    """Draft -> in transit: the units leave the source now; returns the expected arrival."""
    with db.write_session(engine) as session:
        transfer = _transfer(session, transfer_id, "draft")
        if _available(session, transfer.sku_id, transfer.from_warehouse_id) < transfer.qty:
            raise PurchasingError(
                _("TR-{id}: the source no longer has {qty} units available").format(id=transfer_id, qty=transfer.qty)
            )
        _add_stock(session, transfer.sku_id, transfer.from_warehouse_id, -transfer.qty, now=now, receipt=False)
        days = int(settings_service.get(session, "inventory.transfer_days"))
        transfer.status, transfer.expected_at = "in_transit", now + timedelta(days=days)
        session.add(transfer)
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="stock_transfer",
            entity_id=transfer_id,
            action="dispatch",
            after={"qty": transfer.qty, "expected_at": transfer.expected_at},
        )
        return transfer.expected_at


def receive_transfer(engine: Engine, transfer_id: int, *, actor: str, now: datetime) -> None:
    with db.write_session(engine) as session:
        transfer = _transfer(session, transfer_id, "in_transit")
        _add_stock(session, transfer.sku_id, transfer.to_warehouse_id, transfer.qty, now=now, receipt=False)
        transfer.status, transfer.received_at = "received", now
        session.add(transfer)
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="stock_transfer",
            entity_id=transfer_id,
            action="receive",
            after={"qty": transfer.qty},
        )


def cancel_transfer(engine: Engine, transfer_id: int, *, actor: str, now: datetime) -> None:
    with db.write_session(engine) as session:
        transfer = _transfer(session, transfer_id, "draft")
        transfer.status = "cancelled"
        session.add(transfer)
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="stock_transfer",
            entity_id=transfer_id,
            action="cancel",
            after={"status": "cancelled"},
        )


def parse_expected(value: str, now: datetime) -> datetime:
    """'2026-12-20' or '+14' (days from today) -> an aware datetime at the current time of day."""
    value = value.strip()
    try:
        if value.startswith("+"):
            return now + timedelta(days=int(value[1:]))
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise PurchasingError(_("{value!r} is not a date like 2026-12-20 or +14").format(value=value)) from exc
    return now.replace(year=day.year, month=day.month, day=day.day)
