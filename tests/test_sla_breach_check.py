"""The stored breach check (issue 20): ``sla check`` computes only the tickets that can have a new
breach, and still records exactly what a full recomputation of every ticket would, on both backends.

Default policies (sla_defaults): Standard = first response 12 h, next response 12 h, resolution
48 h; Urgent = 1 h / 2 h / 8 h; calendar hours.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from dtc_tui import db
from dtc_tui.models import SlaBreach, SlaPolicy, Ticket
from dtc_tui.services.tickets import ops, sla_admin
from dtc_tui.services.tickets.sla import FAR_FUTURE
from dtc_tui.services.tickets.sla_breaches import record_every_breach
from dtc_tui.services.tickets.sla_policies import SlaRules
from dtc_tui.services.tickets.sla_store import SlaContext
from tests.conftest import FIXED_NOW, FIXTURES

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
Key = tuple[int, str, datetime]


def recorded(engine: Engine) -> set[Key]:
    with db.read_session(engine) as session:
        return {
            (t, m, d) for t, m, d in session.execute(select(SlaBreach.ticket_id, SlaBreach.metric, SlaBreach.due_at))
        }


def full_recomputation(engine: Engine, now: datetime, *, running_only: bool = True) -> set[Key]:
    """Every breached clock at ``now``, computed from scratch (no stored state): by default the
    running clocks of open tickets (what a check must have recorded), else every clock of every ticket."""
    with db.read_session(engine) as session:
        ctx = SlaContext(session)
        query = select(Ticket).where(Ticket.is_open) if running_only else select(Ticket)  # type: ignore[arg-type]
        return {
            (ticket.id, clock.metric, clock.due_at)
            for ticket in session.execute(query).scalars()
            if ticket.id is not None
            for clock in ctx.clocks(ticket, now)
            if clock.state == "breached" and clock.due_at is not None and (clock.running or not running_only)
        }


def sla_check(engine: Engine, now: datetime, *, via: str = "connection") -> int:
    """``record_every_breach`` as ``sla check`` runs it (a Core connection, no ORM), or as the app's
    tick does (``via="session"``, an ORM write session)."""
    if via == "session":
        with db.write_session(engine) as session:
            return record_every_breach(session, now)
    with db.write_connection(engine) as connection:
        return record_every_breach(connection, now)


def computed_tickets(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids ``record_every_breach`` computes clocks for, from here on."""
    seen: list[int] = []
    original = SlaRules.clocks

    def counting(self: SlaRules, ticket: Ticket, now: datetime) -> list:  # type: ignore[type-arg]
        seen.append(ticket.id or 0)
        return original(self, ticket, now)

    monkeypatch.setattr(SlaRules, "clocks", counting)
    return seen


def new_ticket(engine: Engine, created: datetime, priority: str = "normal") -> int:
    return ops.create_ticket(
        engine, subject="Where is my order?", channel="email", category="logistics", actor="test", now=created,
        priority=priority,
    )  # fmt: skip


def test_random_writes_and_clock_advances_record_what_a_full_recomputation_finds(engine: Engine) -> None:
    """After every check, each breach a full recomputation of every open ticket finds is recorded;
    and nothing is recorded that no computation of a ticket as it stood ever found."""
    rng = random.Random(20)
    now = START
    ids = [new_ticket(engine, now - timedelta(minutes=rng.randrange(0, 3000)), rng.choice(["normal", "urgent"]))]
    found: set[Key] = set()  # what the checks found (and so must have recorded)
    allowed: set[Key] = set()  # every breached clock ever computed, stopped ones included
    last_change: ops.Change | ops.BulkChange | None = None
    checks = 0
    for step in range(60):
        now += timedelta(minutes=rng.choice([5, 20, 45, 90, 180, 400, 900]))
        allowed |= full_recomputation(engine, now, running_only=False)
        if rng.random() < 0.7:  # most steps: the check runs, as a fresh process (or the app's tick) would
            sla_check(engine, now, via=rng.choice(["connection", "session"]))
            checks += 1
            due_now = full_recomputation(engine, now)
            assert due_now <= recorded(engine), f"step {step}: missed {due_now - recorded(engine)}"
            found |= due_now
        for _ in range(rng.randrange(0, 4)):
            action = rng.randrange(10)
            ticket_id = rng.choice(ids)
            try:
                if action == 0:
                    ids.append(new_ticket(engine, now - timedelta(minutes=rng.randrange(0, 600))))
                elif action == 1:
                    last_change = ops.add_reply(engine, ticket_id, "On it", "ana", now)
                elif action == 2:
                    last_change = ops.customer_message(engine, ticket_id, "Any news?", "Cleo", now)
                elif action == 3:
                    status = rng.choice(["open", "pending", "on_hold", "solved"])
                    last_change = ops.set_status(engine, ticket_id, status, "ana", now)
                elif action == 4:
                    last_change = ops.set_priority(engine, ticket_id, rng.choice(["normal", "urgent"]), "ana", now)
                elif action == 5:
                    marked = rng.sample(ids, min(3, len(ids)))
                    result = ops.bulk(engine, marked, operator="ana", now=now, priority=rng.choice(["high", "urgent"]))
                    last_change = result.as_undo_step("priority")
                elif action == 6 and last_change is not None:
                    ops.undo(engine, last_change, "ana", now)
                    last_change = None
                elif action == 7:  # a policy change moves the clocks behind the first: checked at once
                    with db.write_session(engine) as session:
                        sla_admin.save_policy(
                            session,
                            rng.choice(["Standard", "Urgent"]),
                            {"resolution_minutes": rng.choice([180, 480, 900, 2880])},
                            actor="lead",
                            now=now,
                        )
                    sla_check(engine, now)
                    due_now = full_recomputation(engine, now)
                    assert due_now <= recorded(engine), f"step {step}: missed {due_now - recorded(engine)}"
                    found |= due_now
                elif action == 8:
                    last_change = ops.set_status(engine, ticket_id, "open", "ana", now)
            except ops.TicketError:
                pass  # a change the ticket refuses (undo after a later change, re-opening an open one)
            allowed |= full_recomputation(engine, now, running_only=False)
    assert found <= recorded(engine) <= allowed
    assert checks > 30 and len(found) > 20  # the run did check, and breach
    assert {metric for _t, metric, _d in found} == {"first_response", "next_response", "resolution"}


def test_a_fresh_check_computes_only_the_tickets_with_a_clock_come_due(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    urgent = new_ticket(engine, START, "urgent")  # first response due 10:00, resolution 17:00
    calm = [new_ticket(engine, START) for _ in range(3)]  # due 21:00 and later
    seen = computed_tickets(monkeypatch)
    assert sla_check(engine, START + timedelta(hours=2)) == 1  # the urgent first response
    assert seen == [urgent]
    seen.clear()
    assert sla_check(engine, START + timedelta(hours=3)) == 0
    assert seen == []  # nothing came due: an index probe, no clock computed
    assert sla_check(engine, START + timedelta(hours=8, minutes=1)) == 1  # its resolution, behind the first
    assert seen == [urgent]
    seen.clear()
    with db.read_session(engine) as session:
        checks = dict(session.execute(select(Ticket.id, Ticket.breach_check_at)).all())
    assert checks[urgent] == FAR_FUTURE  # every running clock is past due: nothing more without a write
    assert {checks[t] for t in calm} == {START + timedelta(hours=12)}  # their first response
    assert sla_check(engine, START + timedelta(hours=13)) == 3
    assert sorted(seen) == calm
    assert recorded(engine) == full_recomputation(engine, START + timedelta(hours=13))


@pytest.mark.parametrize("stale", ["null", "earlier"])
def test_a_missing_or_early_check_still_records_every_breach(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, stale: str
) -> None:
    """NULL (a row from before the column, or from a writer that does not know it) and any time
    before the true one mean "compute again": never a breach left out."""
    tickets = [new_ticket(engine, START, "urgent"), new_ticket(engine, START), new_ticket(engine, START)]
    ops.set_status(engine, tickets[2], "pending", "ana", START + timedelta(minutes=5))  # paused
    now = START + timedelta(hours=13)
    with db.write_session(engine) as session:
        table = Ticket.__table__  # type: ignore[attr-defined]
        value = None if stale == "null" else START - timedelta(days=1)
        session.execute(update(table).values(breach_check_at=value))
    seen = computed_tickets(monkeypatch)
    # urgent: first response and resolution; the other two their first response (pending pauses
    # only the resolution clock)
    assert sla_check(engine, now) == 4
    assert sorted(seen) == tickets
    assert recorded(engine) == full_recomputation(engine, now)
    seen.clear()
    assert sla_check(engine, now + timedelta(minutes=1)) == 0
    assert seen == []  # each got its check back


def test_every_check_a_write_stores_is_no_later_than_its_next_breach(engine: Engine) -> None:
    """The invariant the skipping relies on, after each kind of write: the stored check is at or
    before every running clock's due time that is not recorded yet."""
    now = START
    first = new_ticket(engine, now, "urgent")
    second = new_ticket(engine, now)
    now += timedelta(hours=3)
    sla_check(engine, now)  # urgent first response recorded, its check moves to the resolution's 17:00
    ops.add_reply(engine, second, "Hello", "ana", now)
    ops.customer_message(engine, second, "And?", "Cleo", now + timedelta(minutes=1))
    with db.write_session(engine) as session:  # resolution 2 h: the urgent one is due at 11:00 now
        sla_admin.save_policy(session, "Urgent", {"resolution_minutes": 120}, actor="lead", now=now)
    with db.read_session(engine) as session:
        ctx = SlaContext(session)
        known = recorded(engine)
        for ticket in session.execute(select(Ticket)).scalars():
            pending = [
                c.due_at
                for c in ctx.clocks(ticket, now)
                if c.running and c.due_at is not None and (ticket.id, c.metric, c.due_at) not in known
            ]
            if pending:
                assert ticket.breach_check_at is not None and ticket.breach_check_at <= min(pending), ticket.id
    assert sla_check(engine, now) == 1  # the urgent resolution, due 11:00 under the new target
    assert (first, "resolution", START + timedelta(hours=2)) in recorded(engine)


def test_imported_and_reimported_tickets_are_checked_like_any_other(engine: Engine, tmp_path: Path) -> None:
    """The importers write the safe check (the first due time); a re-import that changes a ticket's
    clocks writes it again, so the next check computes it."""
    from dtc_tui.services.importers.pipeline import run_import

    source = FIXTURES / "zendesk_tickets.csv"
    run_import(engine, "zendesk", source, now=FIXED_NOW, actor="tester", tz="Europe/Berlin")
    with db.read_session(engine) as session:
        rows = session.execute(select(Ticket.next_due_at, Ticket.breach_check_at).where(Ticket.is_open)).all()
    assert rows and all(check == due for due, check in rows)
    later = FIXED_NOW + timedelta(hours=2)
    sla_check(engine, later)
    assert full_recomputation(engine, later) <= recorded(engine)
    # Every ticket urgent now (1 h / 2 h / 8 h): their clocks move earlier on the re-import.
    lines = source.read_text(encoding="utf-8").splitlines()
    changed = tmp_path / "zendesk_tickets.csv"
    changed.write_text(
        "\n".join(
            [lines[0], *(line.replace(",Normal,", ",Urgent,").replace(",High,", ",Urgent,") for line in lines[1:])]
        )
        + "\n",
        encoding="utf-8",
    )
    later += timedelta(hours=1)
    run_import(engine, "zendesk", changed, now=later, actor="tester", tz="Europe/Berlin")
    for now in (later, later + timedelta(hours=6), later + timedelta(days=3)):
        sla_check(engine, now)
        assert full_recomputation(engine, now) <= recorded(engine)
    assert {m for _t, m, _d in recorded(engine)} >= {"first_response", "resolution"}


def test_the_demo_stores_every_check_so_a_first_check_computes_nothing_new(
    demo_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = computed_tickets(monkeypatch)
    assert sla_check(demo_engine, FIXED_NOW) == 0  # the generator recorded what was due at its time
    assert seen == []
    later = FIXED_NOW + timedelta(hours=6)
    with db.read_session(demo_engine) as session:
        overdue = set(session.execute(select(Ticket.id).where(Ticket.is_open, Ticket.due_sort_at <= later)).scalars())
        came_due = set(
            session.execute(select(Ticket.id).where(Ticket.is_open, Ticket.breach_check_at <= later)).scalars()
        )
    sla_check(demo_engine, later)
    assert set(seen) == came_due  # only the tickets a clock came due on in those six hours,
    assert 0 < len(came_due) < len(overdue) / 2  # not every ticket whose first clock is past due
    assert full_recomputation(demo_engine, later) <= recorded(demo_engine)


def test_a_summary_no_clock_agrees_with_is_computed_once_not_on_every_check(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A raw write left a due time on a ticket no running clock has (every policy switched off
    behind the re-apply's back): computed once, then left until a write starts a clock."""
    ticket_id = new_ticket(engine, START)
    with db.write_session(engine) as session:
        session.execute(update(SlaPolicy.__table__).values(active=False))  # type: ignore[attr-defined]
        session.execute(update(Ticket.__table__).values(breach_check_at=None))  # type: ignore[attr-defined]
    seen = computed_tickets(monkeypatch)
    assert sla_check(engine, START + timedelta(days=3)) == 0
    assert sla_check(engine, START + timedelta(days=4)) == 0
    assert seen == [ticket_id]
