"""Every change to a ticket: claim, assign, priority, status, tags, reply, note, escalate, bulk, undo.

Each change runs in one write transaction that (1) locks the row (BEGIN IMMEDIATE on SQLite,
SELECT ... FOR UPDATE on PostgreSQL), (2) refuses a stale edit when the caller's
``expected_version`` is not the row's version, (3) applies the change and recomputes the SLA
summary (a policy change applies from this update), (4) writes a ticket event and an audit row,
and (5) returns a ``Change`` that ``undo`` can reverse while nobody has touched the ticket since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from dtc_tui import db, errors
from dtc_tui.errors import Conflict, NotFound, UserError
from dtc_tui.i18n import N_, _
from dtc_tui.models import Person, Ticket, TicketEvent, TicketMessage
from dtc_tui.models.base import table_of
from dtc_tui.models.tickets import PRIORITIES, STATUSES
from dtc_tui.services.common import audit
from dtc_tui.services.common.text import clean_text, one_line
from dtc_tui.services.mail.outbox import ReplyIdentity, enqueue_reply
from dtc_tui.services.tickets.sla import (
    CLOSED_STATUSES,
    PAUSING_STATUSES,
    paused_minutes_between,
    pausing_statuses,
)
from dtc_tui.services.tickets.sla_store import SlaContext, record_breach

# Fields an undo may restore (never timestamps of replies: a recorded reply is a fact).
UNDOABLE = (
    "assignee_id",
    "refund_status",
    "priority",
    "status",
    "tags",
    "is_open",
    "solved_at",
    "paused_since",
    "paused_minutes",
    "escalated_to_id",
    "escalated_at",
)


class TicketError(UserError):
    """A change the operator asked for that cannot be made; the message says why."""


class TicketNotFound(TicketError, NotFound):
    pass


class StaleEdit(TicketError, errors.StaleEdit):
    """Someone else changed the ticket since the operator loaded it."""


class ClaimConflict(TicketError, Conflict):
    def __init__(self, message: str, holder: str) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class Change:
    ticket_id: int
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    version_after: int
    message: str = ""

    @property
    def noop(self) -> bool:
        """Nothing changed (the ticket already had the value): nothing was written, nothing to undo."""
        return not self.before and not self.after


@dataclass(frozen=True)
class BulkChange:
    """One bulk change as one undo step: every ticket it changed, undone together or not at all."""

    action: str
    changes: tuple[Change, ...]
    description: str = ""  # "priority low"

    @property
    def ticket_ids(self) -> list[int]:
        return [c.ticket_id for c in self.changes]


@dataclass
class BulkResult:
    changes: list[Change] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    unchanged: list[int] = field(default_factory=list)  # already had the value: no event, no audit row

    def as_undo_step(self, description: str = "") -> BulkChange | None:
        return BulkChange(self.changes[0].action, tuple(self.changes), description) if self.changes else None


def operator_person(session: Session, operator: str) -> Person:
    """The operator's Person (by OS user name or handle), created on first use.

    A shared box has OS users who are not yet on the Team screen; their first claim should work
    and leave them visible there rather than fail.
    """
    return _find_person(session, operator) or _insert_person(session, operator)


def _find_person(session: Session, operator: str) -> Person | None:
    """The operator's Person by OS user name, else by handle (a team member named before they log in)."""
    person = session.execute(select(Person).where(col(Person.os_user) == operator)).scalars().first()
    if person is None:
        person = session.execute(select(Person).where(col(Person.handle) == operator)).scalars().first()
    return person


def _insert_person(session: Session, operator: str) -> Person:
    """An upsert: the same new operator claiming from several processes at once must not fail
    (PostgreSQL does not serialise the select-then-insert the way SQLite's BEGIN IMMEDIATE does)."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        person = Person(name=operator, handle=operator, os_user=operator)
        session.add(person)
        session.flush()
        return person
    table = table_of(Person)
    values = {
        "name": operator,
        "handle": operator,
        "os_user": operator,
        "timezone": "UTC",
        "work_hours": "09:00-18:00",
        "work_days": "12345",
        "active": True,
        "version": 1,
    }
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing(index_elements=["handle"]))
    else:
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        session.execute(postgresql_insert(table).values(**values).on_conflict_do_nothing(index_elements=["handle"]))
    return session.execute(select(Person).where(col(Person.handle) == operator)).scalars().one()


def find_operator_id(session: Session, operator: str) -> int | None:
    """The operator's person id without creating one (for the "Mine" view)."""
    person = _find_person(session, operator)
    return None if person is None else person.id


def _handle(session: Session, person_id: int | None) -> str:
    if person_id is None:
        return "nobody"
    person = session.get(Person, person_id)
    return person.handle if person else f"person {person_id}"


def _lock(session: Session, ticket_id: int) -> Ticket:
    """The ticket, row-locked on PostgreSQL (SQLite: the writer already holds the database lock),
    read fresh even when the session has it already."""
    stmt = select(Ticket).where(col(Ticket.id) == ticket_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    ticket = session.execute(stmt).scalars().first()
    if ticket is None:
        raise TicketNotFound(_("ticket {id} does not exist").format(id=ticket_id))
    return ticket


def _snapshot(ticket: Ticket, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(ticket, name) for name in fields}


def _check_version(ticket: Ticket, expected: int | None, session: Session) -> None:
    if expected is not None and ticket.version != expected:
        from dtc_tui.models import AuditLog

        last = session.execute(
            select(col(AuditLog.actor))
            .where(col(AuditLog.entity) == "ticket", col(AuditLog.entity_id) == str(ticket.id))
            .order_by(col(AuditLog.id).desc())
            .limit(1)
        ).scalar()
        if last:
            message = _(
                "ticket {id} was changed by {who} since you opened it; the fresh version is shown, "
                "check it and try again"
            ).format(id=ticket.id, who=last)
        else:
            message = _(
                "ticket {id} was changed since you opened it; the fresh version is shown, check it and try again"
            ).format(id=ticket.id)
        raise StaleEdit(message)


def _apply(
    session: Session,
    ticket: Ticket,
    *,
    action: str,
    operator: str,
    now: datetime,
    mutate: Callable[[Ticket], None],
    watched: Iterable[str],
    data: dict[str, Any] | None = None,
    ctx: SlaContext | None = None,
    skip_unchanged: bool = False,
) -> Change:
    """Mutate, bump the version, write the event and the audit row. With ``skip_unchanged`` a change
    that changes no field (the ticket already had the value) writes nothing and returns a no-op."""
    watched = tuple(dict.fromkeys((*watched, *UNDOABLE)))
    before = _snapshot(ticket, watched)
    ctx = ctx or SlaContext(session)
    # A clock this change stops (a reply, a solve) may already be late: record it before it stops.
    for clock in ctx.clocks(ticket, now):
        if clock.state == "breached" and clock.due_at is not None and ticket.id is not None:
            record_breach(session, ticket.id, clock.metric, clock.due_at, now)
    mutate(ticket)
    if skip_unchanged and _snapshot(ticket, watched) == before:
        return Change(ticket.id or 0, action, {}, {}, ticket.version)
    ticket.version += 1
    ticket.updated_at = now
    ctx.apply(ticket, now)
    after = _snapshot(ticket, watched)
    changed_before = {k: v for k, v in before.items() if after[k] != v}
    changed_after = {k: after[k] for k in changed_before}
    session.add(ticket)
    session.add(
        TicketEvent(
            ticket_id=ticket.id or 0,
            kind=action,
            actor=operator,
            at=now,
            data=audit._json({**(data or {}), **{k: v for k, v in changed_after.items()}}) or "{}",
        )
    )
    audit.record(
        session,
        actor=operator,
        now=now,
        entity="ticket",
        entity_id=ticket.id,
        action=action,
        before=changed_before,
        after=changed_after,
    )
    return Change(ticket.id or 0, action, changed_before, changed_after, ticket.version)


def _set_status(ticket: Ticket, status: str, now: datetime, ctx: SlaContext) -> None:
    """Status with its pause and solve bookkeeping (see the rules in services/tickets/sla.py).

    The resolution clock pauses in the statuses the policy names, and a re-opened ticket resumes it
    where it stopped: the time spent solved is added to the paused minutes.
    """
    if status not in STATUSES:
        raise TicketError(
            _("unknown status {value!r}; use one of {known}").format(value=status, known=", ".join(STATUSES))
        )
    policy = ctx.current_policy(ticket)
    pausing = pausing_statuses(policy)
    was_paused = ticket.paused_since is not None
    if was_paused and status not in pausing:
        ticket.paused_minutes += paused_minutes_between(policy, ticket.paused_since, now)  # type: ignore[arg-type]
        ticket.paused_since = None
    if status in pausing and not was_paused:
        ticket.paused_since = now
    if status in CLOSED_STATUSES:
        ticket.is_open = False
        ticket.solved_at = ticket.solved_at or now
        ticket.awaiting_since = None
    else:
        if ticket.solved_at is not None:
            ticket.paused_minutes += paused_minutes_between(policy, ticket.solved_at, now)
        ticket.is_open = True
        ticket.solved_at = None
    ticket.status = status


# --- single-ticket changes ---------------------------------------------------------------------


def claim(engine: Engine, ticket_id: int, operator: str, now: datetime) -> Change:
    """Compare-and-set: the ticket becomes the operator's only if nobody has it.

    Exactly one of two simultaneous claims wins; the other gets ``ClaimConflict`` naming the holder.
    """
    with db.write_session(engine) as session:
        me = _find_person(session, operator)
        new_person = me is None
        if me is None:
            me = _insert_person(session, operator)
        # The new version comes back with the update: no second read of the ticket (on
        # PostgreSQL each statement is a round trip, and the claim is a key press).
        version = session.execute(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.assignee_id).is_(None))
            .values(assignee_id=me.id, version=Ticket.version + 1, updated_at=now)
            .returning(col(Ticket.version))
        ).scalar()
        if version is None:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                raise TicketNotFound(_("ticket {id} does not exist").format(id=ticket_id))
            holder = _handle(session, ticket.assignee_id)
            if ticket.assignee_id == me.id:
                raise ClaimConflict(_("ticket {id} is already yours").format(id=ticket_id), holder)
            raise ClaimConflict(
                _("ticket {id} is already claimed by {holder}").format(id=ticket_id, holder=holder), holder
            )
        before = {"assignee_id": None}
        after = {"assignee_id": me.id}
        session.add(
            TicketEvent(
                ticket_id=ticket_id,
                kind="claim",
                actor=operator,
                at=now,
                data=audit._json({"assignee": me.handle}) or "{}",
            )
        )
        audit.record(
            session,
            actor=operator,
            now=now,
            entity="ticket",
            entity_id=ticket_id,
            action="claim",
            before=before,
            after=after,
        )
        message = _("ticket {id} is now yours").format(id=ticket_id)
        if new_person:  # the claim put a new person on the team: say so, it shows on the Team screen
            message += "; " + _(
                "{operator!r} was not on the team and was added to the team matrix as a new person "
                "(set the name, hours and roles on the Team screen, key 4)"
            ).format(operator=operator)
        return Change(ticket_id, "claim", before, after, int(version), message)


def assign(
    engine: Engine,
    ticket_id: int,
    person_id: int | None,
    operator: str,
    now: datetime,
    expected_version: int | None = None,
) -> Change:
    with db.write_session(engine) as session:
        ticket = _lock(session, ticket_id)
        _check_version(ticket, expected_version, session)
        if person_id is not None:
            person = session.get(Person, person_id)
            if person is None or not person.active:
                raise TicketError(_("person {id} does not exist or is inactive").format(id=person_id))

        def mutate(t: Ticket) -> None:
            t.assignee_id = person_id

        change = _apply(
            session,
            ticket,
            action="assign",
            operator=operator,
            now=now,
            mutate=mutate,
            watched=("assignee_id",),
            data={"assignee": _handle(session, person_id)},
            skip_unchanged=True,
        )
        if change.noop:
            return Change(
                **{
                    **change.__dict__,
                    "message": _("ticket {id} already has that owner; nothing changed").format(id=ticket_id),
                }
            )
        who = _handle(session, person_id) if person_id is not None else _("nobody")
        message = _("ticket {id} assigned to {who}").format(id=ticket_id, who=who)
        return Change(**{**change.__dict__, "message": message})


def set_priority(
    engine: Engine, ticket_id: int, priority: str, operator: str, now: datetime, expected_version: int | None = None
) -> Change:
    if priority not in PRIORITIES:
        raise TicketError(
            _("unknown priority {value!r}; use one of {known}").format(value=priority, known=", ".join(PRIORITIES))
        )
    with db.write_session(engine) as session:
        ticket = _lock(session, ticket_id)
        _check_version(ticket, expected_version, session)

        def mutate(t: Ticket) -> None:
            t.priority = priority

        return _apply(
            session,
            ticket,
            action="priority",
            operator=operator,
            now=now,
            mutate=mutate,
            watched=("priority", "policy_id"),
            skip_unchanged=True,
        )


def set_status(
    engine: Engine, ticket_id: int, status: str, operator: str, now: datetime, expected_version: int | None = None
) -> Change:
    with db.write_session(engine) as session:
        ticket = _lock(session, ticket_id)
        _check_version(ticket, expected_version, session)
        ctx = SlaContext(session)
        return _apply(
            session,
            ticket,
            action="status",
            operator=operator,
            now=now,
            mutate=lambda t: _set_status(t, status, now, ctx),
            watched=("status",),
            ctx=ctx,
            skip_unchanged=True,
        )


def set_tags(
    engine: Engine, ticket_id: int, tags: str, operator: str, now: datetime, expected_version: int | None = None
) -> Change:
    clean = " ".join(dict.fromkeys(one_line(tags).lower().replace(",", " ").split()))
    with db.write_session(engine) as session:
        ticket = _lock(session, ticket_id)
        _check_version(ticket, expected_version, session)

        def mutate(t: Ticket) -> None:
            t.tags = clean

        return _apply(
            session,
            ticket,
            action="tags",
            operator=operator,
            now=now,
            mutate=mutate,
            watched=("tags",),
            skip_unchanged=True,
        )


# The refund states a ticket can carry (None: no refund involved). "pending"/"promised" are what the
# "refund not paid" and "refund not synced" signals look for; "synced" says order processing has it.
REFUND_STATES: dict[str, str] = {
    "none": N_("no refund involved"),
    "pending": N_("pending: the refund is to be made"),
    "promised": N_("promised to the customer"),
    "synced": N_("synced: order processing made / recorded it"),
}


def set_refund_status(
    engine: Engine, ticket_id: int, state: str, operator: str, now: datetime, expected_version: int | None = None
) -> Change:
    """Set the ticket's refund state (``none`` clears it): how the refund signals are closed from the app."""
    if state not in REFUND_STATES:
        raise TicketError(
            _("unknown refund state {value!r}; one of {known}").format(value=state, known=", ".join(REFUND_STATES))
        )
    value = None if state == "none" else state
    with db.write_session(engine) as session:
        ticket = _lock(session, ticket_id)
        _check_version(ticket, expected_version, session)

        def mutate(t: Ticket) -> None:
            t.refund_status = value

        change = _apply(
            session,
            ticket,
            action="refund_status",
            operator=operator,
            now=now,
            mutate=mutate,
            watched=("refund_status",),
            skip_unchanged=True,
        )
        said = _("nothing changed") if change.noop else _("refund {state}").format(state=state)
        return Change(**{**change.__dict__, "message": _("ticket {id}: {said}").format(id=ticket_id, said=said)})


def add_reply(
    engine: Engine,
    ticket_id: int,
    body: str,
    operator: str,
    now: datetime,
    expected_version: int | None = None,
    *,
    status_after: str | None = None,
    priority_after: str | None = None,
    add_tags: str = "",
    remove_tags: str = "",
    mail_from: ReplyIdentity | None = None,
) -> Change:
    """Record that the customer was answered: stops the reply clocks.

    ``status_after`` ("send and set pending/solved"), ``priority_after`` and the tags to add or
    remove (a macro's changes) are applied in the same change: one event, one audit row, one undo.
    The operator's draft of this reply is deleted in the same transaction.

    With ``mail_from`` (mail is configured) the reply is also queued in the outbox, in this same
    transaction, for the sender to mail to the customer; without it nothing is sent.
    """
    from dtc_tui.services.tickets import drafts

    body = clean_text(body).strip()
    if not body:
        raise TicketError(_("a reply needs some text"))
    if status_after is not None and status_after not in STATUSES:
        raise TicketError(
            _("unknown status {value!r}; use one of {known}").format(value=status_after, known=", ".join(STATUSES))
        )
    if priority_after is not None and priority_after not in PRIORITIES:
        raise TicketError(
            _("unknown priority {value!r}; use one of {known}").format(
                value=priority_after, known=", ".join(PRIORITIES)
            )
        )
    added, removed = _tag_words(add_tags), _tag_words(remove_tags)
    with db.write_session(engine) as session:
        ticket = _lock(session, ticket_id)
        _check_version(ticket, expected_version, session)
        ctx = SlaContext(session)
        drafts.delete_in(session, ticket_id, operator)
        message = TicketMessage(ticket_id=ticket_id, kind="reply", author=operator, body=body, created_at=now)
        session.add(message)
        queued = None
        if mail_from is not None:
            session.flush()
            queued = enqueue_reply(session, ticket, message, mail_from, now)

        def mutate(t: Ticket) -> None:
            t.first_response_at = t.first_response_at or now
            t.last_agent_reply_at = now
            t.awaiting_since = None
            t.agent_replies += 1
            target = status_after or ("open" if t.status == "new" else t.status)
            if target != t.status:
                _set_status(t, target, now, ctx)
            if priority_after is not None:
                t.priority = priority_after
            if added or removed:
                tags = [tag for tag in t.tags.split() if tag not in removed]
                t.tags = " ".join(dict.fromkeys([*tags, *added]))

        change = _apply(
            session,
            ticket,
            action="reply",
            operator=operator,
            now=now,
            mutate=mutate,
            watched=("first_response_at", "awaiting_since", "agent_replies", "priority", "policy_id"),
            ctx=ctx,
            data={"chars": len(body), **({"mail_to": queued.to_address} if queued else {})},
        )
        if mail_from is None:
            return change
        note = (
            _("reply queued to {address}").format(address=queued.to_address)
            if queued
            else _("reply recorded; the customer has no email address")
        )
        return Change(**{**change.__dict__, "message": note})


def _tag_words(value: str) -> list[str]:
    return list(dict.fromkeys(one_line(value).lower().replace(",", " ").split()))


def add_note(engine: Engine, ticket_id: int, body: str, operator: str, now: datetime) -> Change:
    """An internal note: visible to the team only; no effect on SLA clocks."""
    body = clean_text(body).strip()
    if not body:
        raise TicketError(_("a note needs some text"))
    with db.write_session(engine) as session:
        ticket = _lock(session, ticket_id)
        session.add(TicketMessage(ticket_id=ticket_id, kind="note", author=operator, body=body, created_at=now))
        return _apply(
            session,
            ticket,
            action="note",
            operator=operator,
            now=now,
            mutate=lambda t: None,
            watched=(),
            data={"chars": len(body)},
        )


def customer_message(engine: Engine, ticket_id: int, body: str, author: str, now: datetime) -> Change:
    """The customer wrote: a new next-response cycle starts; a paused or solved ticket reopens."""
    with db.write_session(engine) as session:
        return record_customer_message(session, _lock(session, ticket_id), body, author, now)


def record_customer_message(
    session: Session,
    ticket: Ticket,
    body: str,
    author: str,
    now: datetime,
    *,
    message_id: str | None = None,
    ctx: SlaContext | None = None,
) -> Change:
    """``customer_message`` inside the caller's transaction (the mail reader batches many)."""
    body = clean_text(body).strip()
    ctx = ctx or SlaContext(session)
    session.add(
        TicketMessage(
            ticket_id=ticket.id or 0,
            kind="customer",
            author=one_line(author, 120),
            body=body,
            created_at=now,
            message_id=message_id,
        )
    )

    def mutate(t: Ticket) -> None:
        t.last_customer_message_at = now
        t.awaiting_since = t.awaiting_since or now
        if t.status in PAUSING_STATUSES or t.status in CLOSED_STATUSES:
            _set_status(t, "open", now, ctx)

    return _apply(
        session,
        ticket,
        action="customer_message",
        operator=one_line(author, 120),
        now=now,
        mutate=mutate,
        watched=("awaiting_since", "last_customer_message_at"),
        ctx=ctx,
    )


@dataclass(frozen=True)
class EscalationTarget:
    person_id: int | None
    handle: str | None
    reason: str


def escalation_target(session: Session, category: str, now: datetime, default_owner: str = "") -> EscalationTarget:
    """Who gets an escalated ticket: the role matrix's routing (``services.team.route``).

    A site incident goes to the tech owner at once, a payment dispute to whoever owns payments
    (domain.md); when routing finds nobody, the configured ``default_escalation_owner`` does.
    An owner who is off duty with no backup still gets it, and the reason says so.
    """
    from dtc_tui.services.team import matrix as team

    route = team.route(session, category, now)
    if route.person_id is not None:
        return EscalationTarget(route.person_id, route.person_handle, route.reason)
    if default_owner:
        person = session.execute(select(Person).where(col(Person.handle) == default_owner)).scalars().first()
        if person is not None:
            return EscalationTarget(person.id, person.handle, f"{route.reason}; default escalation owner")
    return EscalationTarget(None, None, route.reason)


def escalate(
    engine: Engine,
    ticket_id: int,
    operator: str,
    now: datetime,
    expected_version: int | None = None,
    *,
    default_owner: str = "",
) -> Change:
    """Hand the ticket to the owner of its category (role-matrix routing) and raise its priority."""
    with db.write_session(engine) as session:
        ticket = _lock(session, ticket_id)
        _check_version(ticket, expected_version, session)
        target = escalation_target(session, ticket.category, now, default_owner)
        if target.person_id is None:
            raise TicketError(
                _("nobody to escalate {category} tickets to: {reason}").format(
                    category=ticket.category, reason=target.reason
                )
            )

        def mutate(t: Ticket) -> None:
            t.escalated_to_id = target.person_id
            t.escalated_at = now
            t.assignee_id = target.person_id
            if PRIORITIES.index(t.priority) < PRIORITIES.index("high"):
                t.priority = "high"

        change = _apply(
            session,
            ticket,
            action="escalate",
            operator=operator,
            now=now,
            mutate=mutate,
            watched=("priority", "policy_id"),
            data={"to": target.handle, "reason": target.reason},
        )
        return Change(
            **{
                **change.__dict__,
                "message": _("escalated to {who}: {reason}").format(who=target.handle, reason=target.reason),
            }
        )


# --- several tickets at once -------------------------------------------------------------------


def bulk(
    engine: Engine,
    ticket_ids: Iterable[int],
    *,
    operator: str,
    now: datetime,
    assignee_id: int | None = None,
    assign_to_nobody: bool = False,
    status: str | None = None,
    priority: str | None = None,
) -> BulkResult:
    """One transaction for all marked tickets: all change or, on an error, none do."""
    if status is not None and status not in STATUSES:
        raise TicketError(_("unknown status {value!r}").format(value=status))
    if priority is not None and priority not in PRIORITIES:
        raise TicketError(_("unknown priority {value!r}").format(value=priority))
    result = BulkResult()
    wanted = sorted(set(ticket_ids))
    with db.write_session(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            # Every marked ticket locked before the first one changes: a change's triggers lock roll-up
            # rows that other tickets share, so a bulk change holding a roll-up row while it waits for
            # the next ticket deadlocked with a claim holding that ticket and wanting the same row.
            session.execute(
                select(col(Ticket.id)).where(col(Ticket.id).in_(wanted)).order_by(col(Ticket.id)).with_for_update()
            )
        ctx = SlaContext(session)
        for ticket_id in wanted:  # sorted: two bulk changes lock rows in the same order
            try:
                ticket = _lock(session, ticket_id)  # a concurrent claim is waited for, never overwritten
            except TicketNotFound:
                result.skipped[ticket_id] = _("does not exist")
                continue

            def mutate(t: Ticket) -> None:
                if assignee_id is not None or assign_to_nobody:
                    t.assignee_id = assignee_id
                if priority is not None:
                    t.priority = priority
                if status is not None:
                    _set_status(t, status, now, ctx)

            change = _apply(
                session,
                ticket,
                action="bulk",
                operator=operator,
                now=now,
                mutate=mutate,
                watched=(),
                ctx=ctx,
                skip_unchanged=True,
            )
            if change.noop:
                result.unchanged.append(ticket_id)
            else:
                result.changes.append(change)
    return result


def undo(engine: Engine, change: Change | BulkChange, operator: str, now: datetime) -> list[Change]:
    """Reverse ``change`` (one ticket's, or a whole bulk change in one transaction) if every ticket is
    still as that change left it; otherwise refuse, naming the tickets and who changed them since."""
    changes = change.changes if isinstance(change, BulkChange) else (change,)
    what = (
        _("the bulk change ({what}) on {count} tickets").format(
            what=change.description or change.action, count=len(changes)
        )
        if isinstance(change, BulkChange)
        else _("the last change ({what}) on ticket {id}").format(what=change.action, id=change.ticket_id)
    )
    restorable = {c.ticket_id: {k: v for k, v in c.before.items() if k in UNDOABLE} for c in changes}
    if not any(restorable.values()):
        if changes and changes[0].action in ("reply", "note"):
            raise TicketError(_("{what} cannot be undone: a recorded reply or note is kept").format(what=what))
        raise TicketError(_("{what} cannot be undone: it changed no field that undo restores").format(what=what))
    with db.write_session(engine) as session:
        tickets = {c.ticket_id: _lock(session, c.ticket_id) for c in sorted(changes, key=lambda c: c.ticket_id)}
        moved = [c.ticket_id for c in changes if tickets[c.ticket_id].version != c.version_after]
        if moved:
            from dtc_tui.models import AuditLog

            who = sorted(
                {
                    actor
                    for ticket_id in moved
                    if (
                        actor := session.execute(
                            select(col(AuditLog.actor))
                            .where(col(AuditLog.entity) == "ticket", col(AuditLog.entity_id) == str(ticket_id))
                            .order_by(col(AuditLog.id).desc())
                            .limit(1)
                        ).scalar()
                    )
                }
            )
            shown = ", ".join(f"#{i}" for i in moved[:5])
            if len(moved) > 5:
                shown += " " + _("and {count} more").format(count=len(moved) - 5)
            if who:
                message = _(
                    "{what} cannot be undone: ticket {shown} changed again since by {who}; "
                    "nothing was undone (undo is no longer safe)"
                ).format(what=what, shown=shown, who=", ".join(who))
            else:
                message = _(
                    "{what} cannot be undone: ticket {shown} changed again since; "
                    "nothing was undone (undo is no longer safe)"
                ).format(what=what, shown=shown)
            raise StaleEdit(message)
        done = []
        ctx = SlaContext(session)
        for c in changes:
            fields = restorable[c.ticket_id]
            if not fields:
                continue

            def mutate(t: Ticket, fields: dict[str, Any] = fields) -> None:
                for name, value in fields.items():
                    setattr(t, name, value)

            done.append(
                _apply(
                    session,
                    tickets[c.ticket_id],
                    action="undo",
                    operator=operator,
                    now=now,
                    mutate=mutate,
                    watched=tuple(fields),
                    data={"undid": c.action},
                    ctx=ctx,
                )
            )
        return done


def create_ticket(
    engine: Engine,
    *,
    subject: str,
    channel: str,
    now: datetime,
    actor: str,
    customer_name: str = "",
    customer_tier: str = "standard",
    category: str = "product",
    priority: str = "normal",
    language: str = "en",
    body: str = "",
    created_at: datetime | None = None,
) -> int:
    """A new ticket from a customer (phone call written down, tests); its SLA clocks start at once."""
    from dtc_tui.models import Customer

    with db.write_session(engine) as session:
        customer = Customer(name=one_line(customer_name or "Unknown customer", 200), tier=customer_tier)
        session.add(customer)
        session.flush()
        return open_ticket(
            session,
            subject=subject,
            channel=channel,
            now=now,
            actor=actor,
            customer=customer,
            category=category,
            priority=priority,
            language=language,
            body=body,
            created_at=created_at,
        )


def open_ticket(
    session: Session,
    *,
    subject: str,
    channel: str,
    now: datetime,
    actor: str,
    customer: Any,
    category: str = "product",
    priority: str = "normal",
    language: str = "en",
    language_detected: bool = False,
    body: str = "",
    created_at: datetime | None = None,
    message_id: str | None = None,
    ctx: SlaContext | None = None,
) -> int:
    """``create_ticket`` inside the caller's transaction, for an existing ``customer`` (the mail reader)."""
    from dtc_tui.models.tickets import CHANNELS

    if channel not in CHANNELS:
        raise TicketError(
            _("unknown channel {value!r}; use one of {known}").format(value=channel, known=", ".join(CHANNELS))
        )
    if priority not in PRIORITIES:
        raise TicketError(_("unknown priority {value!r}").format(value=priority))
    created = created_at or now
    ticket = Ticket(
        **new_ticket_values(
            subject=subject,
            channel=channel,
            language=language,
            language_detected=language_detected,
            category=category,
            priority=priority,
            customer_id=customer.id,
            created=created,
        )
    )
    session.add(ticket)
    session.flush()
    session.add(
        TicketMessage(
            ticket_id=ticket.id or 0, **first_message_values(customer.name, body, subject, created, message_id)
        )
    )
    (ctx or SlaContext(session)).apply(ticket, now)
    session.add(TicketEvent(ticket_id=ticket.id or 0, kind="created", actor=actor, at=created, data="{}"))
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="ticket",
        entity_id=ticket.id,
        action="create",
        after=created_audit(ticket.subject, channel, priority),
    )
    return ticket.id or 0


def new_ticket_values(
    *,
    subject: str,
    channel: str,
    language: str,
    language_detected: bool,
    category: str,
    priority: str,
    customer_id: int | None,
    created: datetime,
) -> dict[str, Any]:
    """A new customer ticket's own values (the rest are the model's defaults): ``open_ticket`` and the
    mail reader's batch inserts (``services/mail/bulk.py``) build their tickets from these."""
    return {
        "subject": one_line(subject, 500),
        "channel": channel,
        "language": language,
        "language_detected": language_detected,
        "category": category,
        "priority": priority,
        "status": "new",
        "customer_id": customer_id,
        "created_at": created,
        "updated_at": created,
        "awaiting_since": created,
        "last_customer_message_at": created,
        "due_sort_at": created,
    }


def first_message_values(
    author: str, body: str, subject: str, created: datetime, message_id: str | None
) -> dict[str, Any]:
    """The customer's first message of a new ticket (its text, or the subject when it has none)."""
    return {
        "kind": "customer",
        "author": author,
        "body": clean_text(body or subject),
        "created_at": created,
        "message_id": message_id,
    }


def created_audit(subject: str, channel: str, priority: str) -> dict[str, Any]:
    """What the audit row of a new ticket keeps."""
    return {"subject": subject, "channel": channel, "priority": priority}


@dataclass(frozen=True)
class PersonChoice:
    id: int
    handle: str
    name: str


def assignable_people(session: Session) -> list[PersonChoice]:
    rows = session.execute(
        select(col(Person.id), col(Person.handle), col(Person.name))
        .where(col(Person.active))
        .order_by(col(Person.handle))
    )
    return [PersonChoice(int(r[0]), r[1], r[2]) for r in rows]


def auto_assign(engine: Engine, ticket_ids: Iterable[int], *, operator: str, now: datetime) -> BulkResult:
    """Give each unassigned ticket to the owner its category routes to (role matrix: the accountable
    person, or the backup when the owner is off duty). Tickets that already have an owner, or whose
    category routes to nobody, are skipped with the reason. One transaction."""
    from dtc_tui.services.team import matrix as team

    result = BulkResult()
    with db.write_session(engine) as session:
        routes = team.route_all(session, now)
        ctx = SlaContext(session)
        for ticket_id in sorted(set(ticket_ids)):  # sorted: two bulk changes lock rows in the same order
            try:
                ticket = _lock(session, ticket_id)  # a concurrent claim is waited for, never overwritten
            except TicketNotFound:
                result.skipped[ticket_id] = _("does not exist")
                continue
            if ticket.assignee_id is not None:
                result.skipped[ticket_id] = _("already owned by {who}").format(who=_handle(session, ticket.assignee_id))
                continue
            route = routes.get(ticket.category) or team.route(session, ticket.category, now)
            if route.person_id is None:
                result.skipped[ticket_id] = route.reason
                continue

            def mutate(t: Ticket, person_id: int = route.person_id) -> None:
                t.assignee_id = person_id

            result.changes.append(
                _apply(
                    session,
                    ticket,
                    action="auto_assign",
                    operator=operator,
                    now=now,
                    mutate=mutate,
                    watched=("assignee_id",),
                    ctx=ctx,
                    data={"to": route.person_handle, "via": route.via},
                )
            )
    return result
