"""New mail into tickets: from a Maildir (the box's own mail server) or an IMAP folder.

Each mail is read once (``mail_inbound`` keeps its source and key, and its Message-ID catches the
same mail arriving twice), then becomes one of:
- a message on an existing ticket, found by In-Reply-To/References (a Message-ID we stored, ours or
  the customer's), else by ``[#1234]`` in the subject when the sender is that ticket's customer;
- a new ticket, for a customer matched by address or created;
- an event on the ticket it threads to (or nothing) when it is an auto-reply, a bounce, bulk mail
  or mail from the team's own addresses: those never open a ticket or restart a clock;
- an entry in the "could not read" list with the reason; the fetch goes on.
A customer message goes through ``ops.record_customer_message`` (the clock rules live there).
A batch of mails is one transaction, written by ``bulk`` with one insert per table; what ``bulk``
cannot do exactly as ``ingest_one`` does goes mail by mail here (a savepoint each on a failure).
"""

from __future__ import annotations

import logging
import mailbox
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from dtc_tui import db
from dtc_tui.i18n import _
from dtc_tui.models import Customer, MailCursor, MailInbound, Ticket, TicketEvent, TicketMessage
from dtc_tui.services.common import audit
from dtc_tui.services.common.language import UNKNOWN as UNKNOWN_LANGUAGE
from dtc_tui.services.common.language import Detector
from dtc_tui.services.common.localefmt import number
from dtc_tui.services.common.text import one_line
from dtc_tui.services.mail.outbox import TICKET_TAG
from dtc_tui.services.mail.parse import ParsedMail, Unreadable, parse
from dtc_tui.services.mail.settings import MailSettings
from dtc_tui.services.tickets import ops
from dtc_tui.services.tickets.sla_store import SlaContext

log = logging.getLogger(__name__)
ACTOR = "mail"
BATCH = 200
T = TypeVar("T")


@dataclass
class FetchReport:
    read: int = 0
    tickets: int = 0
    messages: int = 0
    events: int = 0
    ignored: int = 0
    duplicates: int = 0
    unreadable: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, outcome: str) -> None:
        self.read += 1
        name = {"ticket": "tickets", "message": "messages", "event": "events", "duplicate": "duplicates"}
        attr = name.get(outcome, outcome)
        setattr(self, attr, getattr(self, attr) + 1)

    def summary(self) -> str:
        return _(
            "{read} read: {tickets} new tickets, {messages} replies on tickets, {events} kept as events, "
            "{ignored} ignored, {duplicates} already read, {unreadable} could not be read"
        ).format(
            read=number(self.read),
            tickets=number(self.tickets),
            messages=number(self.messages),
            events=number(self.events),
            ignored=number(self.ignored),
            duplicates=number(self.duplicates),
            unreadable=number(self.unreadable),
        )


@dataclass(frozen=True)
class RawMail:
    source_ref: str
    raw: bytes
    size: int | None = None  # the mail's size when ``raw`` is only its head (IMAP, over the limit)


# --- one mail -----------------------------------------------------------------------------------


class BatchLookup:
    """What a batch of mails needs to know, read in two queries up front instead of per mail:
    which Message-IDs are already on tickets (duplicates, threading) and which customers exist.
    Kept up to date as the batch adds tickets, so mail threading within the batch works too."""

    def __init__(self, session: Session, mails: list[ParsedMail]) -> None:
        self.session = session
        self.detect_language = Detector()
        ids = {mid for mail in mails for mid in (mail.message_id, *mail.thread_ids)}
        self.ticket_of: dict[str, int] = {}
        for chunk in _chunks(sorted(ids), 500):
            rows = session.execute(
                select(col(TicketMessage.message_id), col(TicketMessage.ticket_id))
                .where(col(TicketMessage.message_id).in_(chunk))
                .order_by(col(TicketMessage.id))
            )
            self.ticket_of.update({mid: int(tid) for mid, tid in rows})
        emails = sorted({mail.from_address for mail in mails})
        self.customers: dict[str, Customer] = {}
        for chunk in _chunks(emails, 500):
            found = session.execute(
                select(Customer).where(func.lower(col(Customer.email)).in_(chunk)).order_by(col(Customer.id).desc())
            ).scalars()
            self.customers.update({(c.email or "").lower(): c for c in found})

    def thread_ticket(self, mail: ParsedMail) -> int | None:
        for mid in mail.thread_ids:
            if mid in self.ticket_of:
                return self.ticket_of[mid]
        tag = TICKET_TAG.search(mail.subject)
        if tag:
            # A subject tag alone is trusted only from the ticket's own customer: anyone can type "[#12]".
            row = self.session.execute(
                select(col(Ticket.id))
                .join(Customer, col(Customer.id) == col(Ticket.customer_id))
                .where(col(Ticket.id) == int(tag.group(1)), func.lower(col(Customer.email)) == mail.from_address)
            ).scalar()
            if row is not None:
                return int(row)
        return None

    def customer(self, mail: ParsedMail) -> Customer:
        customer = self.customers.get(mail.from_address)
        if customer is None:
            name = mail.from_name or mail.from_address.partition("@")[0]
            customer = Customer(name=one_line(name, 200), email=mail.from_address[:200])
            self.session.add(customer)
            self.session.flush()
            self.customers[mail.from_address] = customer
        return customer


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _save_attachments(mail: ParsedMail, folder: str) -> ParsedMail:
    """Write each attachment's bytes under ``folder`` with mode 0600 (never opened or run)."""
    if not folder or not mail.attachments:
        return mail
    import hashlib
    from dataclasses import replace

    base = Path(folder).expanduser() / hashlib.sha256(mail.message_id.encode()).hexdigest()[:16]
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    saved = []
    for index, attachment in enumerate(mail.attachments):
        if attachment.payload is None:
            saved.append(attachment)
            continue
        path = base / f"{index + 1:02d}-{attachment.name}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(attachment.payload)
        os.chmod(path, 0o600)  # an existing file keeps its mode on O_CREAT: set it
        saved.append(replace(attachment, payload=None, note=f"saved as {path}"))
    return replace(mail, attachments=saved)


def _record(session: Session, source: str, ref: str, outcome: str, now: datetime, **values: object) -> None:
    session.add(MailInbound(source=source, source_ref=ref, outcome=outcome, received_at=now, **values))  # type: ignore[arg-type]


def read_mail(raw: RawMail, settings: MailSettings) -> ParsedMail | Unreadable:
    """Parse outside any transaction (the write lock is held only for the database part)."""
    try:
        return parse(
            raw.raw,
            max_message_bytes=int(settings.max_message_mb * 1024 * 1024),
            max_attachment_bytes=int(settings.max_attachment_mb * 1024 * 1024),
            size=raw.size,
        )
    except Unreadable as exc:
        return exc


def ingest_one(
    session: Session,
    mail: ParsedMail | Unreadable,
    *,
    source: str,
    source_ref: str,
    settings: MailSettings,
    now: datetime,
    ctx: SlaContext,
    own: set[str],
    lookup: BatchLookup,
) -> str:
    """Store one read mail in the open transaction; returns its outcome."""
    if isinstance(mail, Unreadable):
        _record(session, source, source_ref, "unreadable", now, reason=str(mail)[:500])
        return "unreadable"
    facts = {"message_id": mail.message_id, "from_address": mail.from_address[:250], "subject": mail.subject[:500]}
    seen = lookup.ticket_of.get(mail.message_id)
    if seen is not None:
        _record(session, source, source_ref, "duplicate", now, ticket_id=seen, reason="already on the ticket", **facts)
        return "duplicate"
    ticket_id = lookup.thread_ticket(mail)
    not_customer = "mail from the team's own address" if mail.from_address in own else mail.auto_reason
    if not_customer:
        if ticket_id is None:
            _record(session, source, source_ref, "ignored", now, reason=not_customer[:500], **facts)
            return "ignored"
        session.add(
            TicketEvent(
                ticket_id=ticket_id,
                kind="mail_ignored",
                actor=ACTOR,
                at=now,
                data=ignored_event_data(mail, not_customer),
            )
        )
        _record(session, source, source_ref, "event", now, ticket_id=ticket_id, reason=not_customer[:500], **facts)
        return "event"
    mail = _save_attachments(mail, settings.attachment_dir)
    author = f"{mail.from_name} <{mail.from_address}>" if mail.from_name else mail.from_address
    if ticket_id is not None:
        lock = session.get_bind().dialect.name == "postgresql"
        ticket = session.get(Ticket, ticket_id, with_for_update=lock)
        assert ticket is not None
        ops.record_customer_message(session, ticket, mail.body(), author, now, message_id=mail.message_id, ctx=ctx)
        lookup.ticket_of[mail.message_id] = ticket_id
        _record(session, source, source_ref, "message", now, ticket_id=ticket_id, **facts)
        return "message"
    body = mail.body()
    language = lookup.detect_language(mail.subject, body)
    new_id = ops.open_ticket(
        session,
        subject=mail.subject or "(no subject)",
        channel="email",
        language=language,
        language_detected=language != UNKNOWN_LANGUAGE,
        now=now,
        actor=ACTOR,
        customer=lookup.customer(mail),
        body=body,
        message_id=mail.message_id,
        ctx=ctx,
    )
    lookup.ticket_of[mail.message_id] = new_id
    _record(session, source, source_ref, "ticket", now, ticket_id=new_id, **facts)
    return "ticket"


def ingest(
    engine: Engine,
    mails: Iterable[RawMail],
    *,
    source: str,
    settings: MailSettings,
    now: datetime,
    report: FetchReport | None = None,
    on_done: object = None,
) -> FetchReport:
    """Read ``mails`` in batches of ``BATCH`` per transaction.

    A batch is stored in one go; when that fails for a reason of ours (a bug, a constraint), it is
    stored again mail by mail, each in a savepoint, and the one that fails is listed as unreadable
    with the reason while the others are kept. A database that is busy or gone stops the fetch
    (nothing is marked read; the next poll tries again). ``on_done(ref)`` runs after each batch's
    commit for every mail in it (IMAP marks them processed then).
    """
    from sqlalchemy.exc import OperationalError

    report = report or FetchReport()
    own = settings.own_addresses()
    known = _known_refs(engine, source)
    batch: list[RawMail] = []

    def store(parsed: list[tuple[RawMail, ParsedMail | Unreadable]], one_by_one: bool) -> list[str]:
        outcomes = []
        with db.write_session(engine) as session, session.no_autoflush:
            # No autoflush: the lookup answers what a query would, and rows go out in few flushes.
            ctx = SlaContext(session)
            lookup = BatchLookup(session, [m for _item, m in parsed if isinstance(m, ParsedMail)])
            for item, mail in parsed:
                args: dict[str, Any] = {
                    "source": source,
                    "source_ref": item.source_ref,
                    "settings": settings,
                    "now": now,
                }
                if not one_by_one:
                    outcomes.append(ingest_one(session, mail, ctx=ctx, own=own, lookup=lookup, **args))
                    continue
                try:
                    with session.begin_nested():
                        outcome = ingest_one(session, mail, ctx=ctx, own=own, lookup=lookup, **args)
                    # Counted once the savepoint is released: without autoflush its rows are written
                    # then, and a failure there had the mail counted twice (stored and unreadable).
                    outcomes.append(outcome)
                except OperationalError:
                    raise
                except Exception as exc:
                    reason = f"could not be stored: {type(exc).__name__}: {one_line(str(exc), 300)}"
                    with session.begin_nested():
                        _record(session, source, item.source_ref, "unreadable", now, reason=reason[:500])
                    outcomes.append("unreadable")
        return outcomes

    def store_fast(parsed: list[tuple[RawMail, ParsedMail | Unreadable]]) -> list[str]:
        from dtc_tui.services.mail import bulk  # it builds on this module

        with db.write_session(engine) as session, session.no_autoflush:
            refs = [(item.source_ref, mail) for item, mail in parsed]
            return bulk.store(session, refs, source=source, settings=settings, now=now)

    def flush() -> None:
        if not batch:
            return
        parsed = [(item, read_mail(item, settings)) for item in batch]
        try:
            outcomes = store_fast(parsed)
        except OperationalError:
            raise
        except Exception as exc:  # bulk.SlowPath, or whatever it did not foresee: the reference way, exact
            log.debug("mail batch stored the slow way: %s: %s", type(exc).__name__, exc)
            outcomes = store_slow(parsed)
        for outcome in outcomes:
            report.add(outcome)
        if callable(on_done):
            for item in batch:
                on_done(item.source_ref)
        batch.clear()

    def store_slow(parsed: list[tuple[RawMail, ParsedMail | Unreadable]]) -> list[str]:
        try:
            return store(parsed, one_by_one=False)
        except OperationalError:
            raise
        except Exception:
            return store(parsed, one_by_one=True)

    for item in mails:
        if item.source_ref in known:
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
    flush()
    return report


def ignored_event_data(mail: ParsedMail, why: str) -> str:
    """The event data of a mail kept on its ticket but not as a customer message (auto-reply, our own)."""
    return audit._json({"from": mail.from_address, "subject": mail.subject, "why": why}) or "{}"


def _known_refs(engine: Engine, source: str) -> set[str]:
    with db.read_session(engine) as session:
        return set(
            session.execute(select(col(MailInbound.source_ref)).where(col(MailInbound.source) == source)).scalars()
        )


# --- Maildir ------------------------------------------------------------------------------------


def maildir_source(path: str) -> str:
    return f"maildir:{Path(path).expanduser().resolve()}"


def _maildir_mails(path: str, known: set[str]) -> Iterator[RawMail]:
    box = mailbox.Maildir(Path(path).expanduser(), factory=None, create=False)
    for key in sorted(box.iterkeys()):
        if key in known:
            continue
        try:
            raw = box.get_bytes(key)
        except (OSError, KeyError):  # delivered and removed meanwhile
            continue
        yield RawMail(key, raw)


def fetch_maildir(engine: Engine, settings: MailSettings, now: datetime, path: str | None = None) -> FetchReport:
    """Every mail of the Maildir not read before (tracked by its key; the files are left in place)."""
    folder = path or settings.maildir
    if not folder or not (Path(folder).expanduser() / "cur").is_dir():
        raise FileNotFoundError(
            _("{folder} is not a Maildir (no cur/ new/ tmp/ folders)").format(folder=folder or _("(no maildir set)"))
        )
    source = maildir_source(folder)
    return ingest(
        engine, _maildir_mails(folder, _known_refs(engine, source)), source=source, settings=settings, now=now
    )


# --- "could not read" list and status ---------------------------------------------------------


@dataclass(frozen=True)
class InboundEntry:
    source: str
    source_ref: str
    outcome: str
    reason: str
    from_address: str
    subject: str
    received_at: datetime
    ticket_id: int | None


def recent(session: Session, *, outcome: str | None = None, limit: int = 50) -> list[InboundEntry]:
    stmt = select(MailInbound).order_by(col(MailInbound.id).desc()).limit(limit)
    if outcome:
        stmt = stmt.where(col(MailInbound.outcome) == outcome)
    return [
        InboundEntry(r.source, r.source_ref, r.outcome, r.reason, r.from_address, r.subject, r.received_at, r.ticket_id)
        for r in session.execute(stmt).scalars()
    ]


def inbound_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(col(MailInbound.outcome), func.count()).group_by(col(MailInbound.outcome)))
    return {outcome: int(n) for outcome, n in rows}


def cursor(session: Session, source: str) -> MailCursor | None:
    return session.execute(select(MailCursor).where(col(MailCursor.source) == source)).scalars().first()
