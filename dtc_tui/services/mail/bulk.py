"""A batch of read mail stored with one insert per table, instead of ORM rows flushed per ticket.

``inbound.ingest_one`` (mail by mail, through the ORM) stays the reference and the fallback: what
this module cannot do exactly as it does raises ``SlowPath`` before anything is written, and the
batch is stored that way instead. That is: a clock already breached (its breach would be recorded
in the middle of the mail), a subject tag that may name a ticket this batch opens, anything added
to the session behind this module's back. The rows of each table go in in mail order, so their
ids come out as the slow way gives them.

New tickets are built as drafts (plain attributes, no ORM object) the way ``ops.open_ticket``
builds them; a customer reply goes through ``ops.record_customer_message`` itself (the clock rules
live there) with a ``_Sink`` for a session that collects the rows it adds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlmodel import Session, SQLModel, col

from dtc_tui.models import AuditLog, ChangeCounter, Customer, MailInbound, Ticket, TicketEvent, TicketMessage
from dtc_tui.models.base import table_of
from dtc_tui.services.common import audit
from dtc_tui.services.common.language import UNKNOWN as UNKNOWN_LANGUAGE
from dtc_tui.services.common.text import one_line
from dtc_tui.services.mail.inbound import ACTOR, BatchLookup, _chunks, _save_attachments, ignored_event_data
from dtc_tui.services.mail.outbox import TICKET_TAG
from dtc_tui.services.mail.parse import ParsedMail, Unreadable
from dtc_tui.services.mail.settings import MailSettings
from dtc_tui.services.tickets import ops
from dtc_tui.services.tickets.sla_store import SlaContext

# Subject tags above this are refused by the database (PostgreSQL's integer): the slow way says so.
_MAX_ID = 2**31 - 1


class SlowPath(Exception):
    """This batch needs ``inbound.ingest_one`` mail by mail; the text says why."""


@cache
def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    """A new row's values as the model fills them in (every column, so one insert fits all rows)."""
    return {
        name: info.get_default(call_default_factory=True)
        for name, info in model.model_fields.items()
        if name in table_of(model).c and name != "id"
    }


@dataclass
class _Rows:
    """The batch's new rows per table, in mail order. Negative ids stand for the batch's new
    tickets and customers until they are inserted."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[SimpleNamespace] = field(default_factory=list)
    other: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    bumps: Counter[str] = field(default_factory=Counter)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.other.setdefault(table, []).append(row)


class _Sink:
    """The few Session calls ``ops.record_customer_message`` makes, its rows collected in ``_Rows``.

    Anything else it would ask of the database (``exec``: a breach to look up and record) or
    write (a statement other than the change counter's bump) is left to the slow way."""

    def __init__(self, session: Session, rows: _Rows) -> None:
        self._session = session
        self._rows = rows

    def add(self, obj: object) -> None:
        if isinstance(obj, Ticket | SimpleNamespace):
            return  # the ticket itself: in the session already, or a draft of this batch
        if not isinstance(obj, TicketMessage | TicketEvent | AuditLog):
            raise SlowPath(f"a {type(obj).__name__} row")
        table = table_of(type(obj))
        self._rows.add(table.name, {c.name: getattr(obj, c.name) for c in table.columns if c.name != "id"})
        if isinstance(obj, AuditLog):
            self._rows.bumps[audit.ENTITY_AREA.get(obj.entity, obj.entity)] += 1

    def get_bind(self) -> Any:
        return self._session.get_bind()

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> None:
        if getattr(statement, "table", None) is not table_of(ChangeCounter):
            raise SlowPath("a statement of its own")
        # audit.bump: counted in add() and written once for the batch

    def exec(self, *args: Any, **kwargs: Any) -> None:
        raise SlowPath("a breach to record")


class _BatchSla(SlaContext):
    """The batch's SLA context; a customer it creates (a negative id) has the new row's tier."""

    def tier_of(self, customer_id: int | None) -> str:
        if customer_id is not None and customer_id < 0:
            return str(_defaults(Customer)["tier"])
        return super().tier_of(customer_id)


class _Batch:
    """One batch's walk: outcomes decided mail by mail as ``ingest_one`` decides them, rows kept."""

    def __init__(
        self, session: Session, mails: list[ParsedMail], *, source: str, settings: MailSettings, now: datetime
    ):
        self.session, self.source, self.settings, self.now = session, source, settings, now
        self.lookup = BatchLookup(session, mails)
        self.own = settings.own_addresses()
        self.rows = _Rows()
        self.sink = cast(Session, _Sink(session, self.rows))  # duck-typed: the calls ops makes
        self.ctx = _BatchSla(session)
        self.new_customers: dict[str, SimpleNamespace] = {}
        self.ticket_defaults = _defaults(Ticket)
        self.inbound_defaults = _defaults(MailInbound)
        self.customer_defaults = _defaults(Customer)

    # --- what the database says, read up front --------------------------------------------

    def preload(self, mails: list[ParsedMail]) -> None:
        """The tickets the batch may answer (locked on PostgreSQL, in id order) and the owners of
        the subject tags, in a few queries instead of one per mail."""
        self.max_ticket_id = int(
            self.session.execute(select(col(Ticket.id)).order_by(col(Ticket.id).desc())).scalar() or 0
        )
        tags = {int(m.group(1)) for mail in mails if (m := TICKET_TAG.search(mail.subject))}
        self.tag_owner: dict[int, str] = {}
        for chunk in _chunks(sorted(t for t in tags if t <= self.max_ticket_id), 500):
            rows = self.session.execute(
                select(col(Ticket.id), col(Customer.email))
                .join(Customer, col(Customer.id) == col(Ticket.customer_id))
                .where(col(Ticket.id).in_(chunk))
            )
            self.tag_owner.update({int(tid): (email or "").lower() for tid, email in rows})
        ids = sorted(
            {self.lookup.ticket_of[m] for mail in mails for m in mail.thread_ids if m in self.lookup.ticket_of}
        )
        ids = sorted({*ids, *self.tag_owner})
        lock = self.session.get_bind().dialect.name == "postgresql"
        self.tickets: dict[int, Ticket] = {}  # held here: the session's identity map holds them weakly
        for chunk in _chunks(ids, 500):
            query = select(Ticket).where(col(Ticket.id).in_(chunk)).order_by(col(Ticket.id))
            found = self.session.execute(query.with_for_update() if lock else query).scalars()
            self.tickets.update({int(t.id or 0): t for t in found})

    def thread_ticket(self, mail: ParsedMail) -> int | None:
        """``BatchLookup.thread_ticket`` from what ``preload`` read."""
        for mid in mail.thread_ids:
            if mid in self.lookup.ticket_of:
                return self.lookup.ticket_of[mid]
        tag = TICKET_TAG.search(mail.subject)
        if not tag:
            return None
        number = int(tag.group(1))
        if number > self.max_ticket_id:
            if number > _MAX_ID or self.rows.tickets:
                raise SlowPath("a subject tag past the last ticket")  # refused, or a ticket of this batch
            return None
        return number if self.tag_owner.get(number) == mail.from_address else None

    # --- one mail -------------------------------------------------------------------------

    def inbound(self, ref: str, outcome: str, **values: object) -> None:
        self.rows.add(
            "mail_inbound",
            {**self.inbound_defaults, "source": self.source, "source_ref": ref, "outcome": outcome}
            | {"received_at": self.now, **values},
        )

    def one(self, mail: ParsedMail | Unreadable, ref: str) -> str:
        """What ``inbound.ingest_one`` does with this mail, as rows."""
        if isinstance(mail, Unreadable):
            self.inbound(ref, "unreadable", reason=str(mail)[:500])
            return "unreadable"
        facts = {"message_id": mail.message_id, "from_address": mail.from_address[:250], "subject": mail.subject[:500]}
        seen = self.lookup.ticket_of.get(mail.message_id)
        if seen is not None:
            self.inbound(ref, "duplicate", ticket_id=seen, reason="already on the ticket", **facts)
            return "duplicate"
        ticket_id = self.thread_ticket(mail)
        not_customer = "mail from the team's own address" if mail.from_address in self.own else mail.auto_reason
        if not_customer:
            if ticket_id is None:
                self.inbound(ref, "ignored", reason=not_customer[:500], **facts)
                return "ignored"
            data = ignored_event_data(mail, not_customer)
            self.rows.add(
                "ticket_event",
                {"ticket_id": ticket_id, "kind": "mail_ignored", "actor": ACTOR, "at": self.now, "data": data},
            )
            self.inbound(ref, "event", ticket_id=ticket_id, reason=not_customer[:500], **facts)
            return "event"
        mail = _save_attachments(mail, self.settings.attachment_dir)
        author = f"{mail.from_name} <{mail.from_address}>" if mail.from_name else mail.from_address
        if ticket_id is not None:
            ticket = self.ticket(ticket_id)
            ops.record_customer_message(
                self.sink, ticket, mail.body(), author, self.now, message_id=mail.message_id, ctx=self.ctx
            )
            self.lookup.ticket_of[mail.message_id] = ticket_id
            self.inbound(ref, "message", ticket_id=ticket_id, **facts)
            return "message"
        new_id = self.open_ticket(mail)
        self.lookup.ticket_of[mail.message_id] = new_id
        self.inbound(ref, "ticket", ticket_id=new_id, **facts)
        return "ticket"

    def ticket(self, ticket_id: int) -> Ticket:
        if ticket_id < 0:
            return cast(Ticket, self.rows.tickets[-ticket_id - 1])  # a draft: the attributes ops reads
        return self.tickets[ticket_id]

    def customer(self, mail: ParsedMail) -> Any:
        """``BatchLookup.customer``, a new one as a draft (inserted before the tickets)."""
        found = self.lookup.customers.get(mail.from_address) or self.new_customers.get(mail.from_address)
        if found is not None:
            return found
        name = mail.from_name or mail.from_address.partition("@")[0]
        row = {**self.customer_defaults, "name": one_line(name, 200), "email": mail.from_address[:200]}
        self.rows.customers.append(row)
        draft = SimpleNamespace(id=-len(self.rows.customers), name=row["name"])
        self.new_customers[mail.from_address] = draft
        return draft

    def open_ticket(self, mail: ParsedMail) -> int:
        """``ops.open_ticket`` for the mail reader's values (channel email, category product, normal)."""
        body = mail.body()
        language = self.lookup.detect_language(mail.subject, body)
        subject = mail.subject or "(no subject)"
        customer = self.customer(mail)
        now = self.now
        draft = SimpleNamespace(**self.ticket_defaults)
        draft.__dict__.update(
            id=-(len(self.rows.tickets) + 1),
            **ops.new_ticket_values(
                subject=subject,
                channel="email",
                language=language,
                language_detected=language != UNKNOWN_LANGUAGE,
                category="product",
                priority="normal",
                customer_id=customer.id,
                created=now,
            ),
        )
        self.rows.tickets.append(draft)
        message = ops.first_message_values(customer.name, body, subject, now, mail.message_id)
        self.rows.add("ticket_message", {"ticket_id": draft.id, **message})
        self.ctx.apply(cast(Ticket, draft), now)  # a breach here is added to the session: the slow way then
        self.rows.add(
            "ticket_event", {"ticket_id": draft.id, "kind": "created", "actor": ACTOR, "at": now, "data": "{}"}
        )
        created = ops.created_audit(draft.subject, "email", "normal")
        self.rows.add(
            "audit_log",
            audit.entry_row(actor=ACTOR, now=now, entity="ticket", entity_id=draft.id, action="create", after=created),
        )
        self.rows.bumps[audit.ENTITY_AREA["ticket"]] += 1
        return int(draft.id)

    # --- writing ----------------------------------------------------------------------------

    def write(self) -> None:
        """Customers, then tickets (their ids replace the stand-ins), then the rest; one insert each."""
        if self.session.new or self.session.deleted:
            raise SlowPath("rows added outside the batch (a breach)")
        customer_ids = self._insert(table_of(Customer), self.rows.customers, returning=True)
        ticket_rows = [
            {**{k: getattr(t, k) for k in self.ticket_defaults}, "customer_id": _real(t.customer_id, customer_ids)}
            for t in self.rows.tickets
        ]
        ticket_ids = self._insert(table_of(Ticket), ticket_rows, returning=True)
        for name in ("ticket_message", "ticket_event", "audit_log", "mail_inbound"):
            rows = self.rows.other.get(name, [])
            for row in rows:
                if "ticket_id" in row:
                    row["ticket_id"] = _real(row["ticket_id"], ticket_ids)
                if name == "audit_log" and row["entity"] == "ticket":
                    row["entity_id"] = str(_real(int(row["entity_id"]), ticket_ids))
            self._insert(SQLModel.metadata.tables[name], rows)
        self.session.flush()  # the answered tickets' changes
        for area, count in sorted(self.rows.bumps.items()):
            audit.bump(self.session, area, by=count)

    def _insert(self, table: Table, rows: list[dict[str, Any]], returning: bool = False) -> list[int]:
        if not rows:
            return []
        if not returning:
            self.session.execute(insert(table), rows)
            return []
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [int(i) for i in self.session.execute(statement, rows).scalars()]


def _real(value: int | None, ids: list[int]) -> int | None:
    """A stand-in (-1, -2...) for the n-th new row's id."""
    return ids[-value - 1] if value is not None and value < 0 else value


def store(
    session: Session,
    parsed: list[tuple[str, ParsedMail | Unreadable]],
    *,
    source: str,
    settings: MailSettings,
    now: datetime,
) -> list[str]:
    """Store the batch (source ref, read mail) in the session's transaction; the outcomes in order.
    Raises ``SlowPath`` (nothing written) when it has to go mail by mail."""
    mails = [m for _ref, m in parsed if isinstance(m, ParsedMail)]
    batch = _Batch(session, mails, source=source, settings=settings, now=now)
    batch.preload(mails)
    outcomes = [batch.one(mail, ref) for ref, mail in parsed]
    batch.write()
    return outcomes
