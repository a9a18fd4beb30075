"""Ticket changes on both backends: compare-and-set claim, version checks, SLA bookkeeping, undo."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from dtc_tui import db
from dtc_tui.models import AuditLog, Person, SlaBreach, SlaPolicy, Ticket, TicketEvent
from dtc_tui.services.tickets import ops
from dtc_tui.services.tickets.sla_breaches import record_due_breaches


def new_ticket(engine: Engine, now: datetime, **kw: object) -> int:
    args = {"subject": "Where is my order?", "channel": "email", "category": "logistics", "now": now, "actor": "test"}
    args.update(kw)
    return ops.create_ticket(engine, **args)  # type: ignore[arg-type]


def get(engine: Engine, ticket_id: int) -> Ticket:
    with db.read_session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


def test_new_ticket_gets_the_standard_policy_and_a_due_time(engine: Engine, now: datetime) -> None:
    ticket = get(engine, new_ticket(engine, now))
    assert ticket.next_due_metric == "first_response"
    assert ticket.next_due_at == now + timedelta(hours=12)
    assert ticket.due_sort_at == ticket.next_due_at
    assert ticket.next_risk_at == now + timedelta(hours=9)


def test_presales_gets_two_hours(engine: Engine, now: datetime) -> None:
    ticket = get(engine, new_ticket(engine, now, category="presales", subject="Do you ship to Spain?"))
    assert ticket.next_due_at == now + timedelta(hours=2)


def test_claim_is_compare_and_set(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    version_before = get(engine, ticket_id).version
    change = ops.claim(engine, ticket_id, "ana", now)
    assert change.after["assignee_id"] is not None
    # The version the undo checks against is the one stored, read back with the update itself.
    assert change.version_after == get(engine, ticket_id).version == version_before + 1
    assert "was not on the team" in change.message  # ana was added by her first claim...
    second = new_ticket(engine, now)
    assert "was not on the team" not in ops.claim(engine, second, "ana", now).message  # ...once
    with pytest.raises(ops.ClaimConflict) as conflict:
        ops.claim(engine, ticket_id, "ben", now)
    assert conflict.value.holder == "ana"
    assert "already claimed by ana" in str(conflict.value)
    ticket = get(engine, ticket_id)
    with db.read_session(engine) as session:
        ana = session.execute(select(Person).where(Person.handle == "ana")).scalars().one()
        assert ticket.assignee_id == ana.id
        assert (
            session.execute(select(func.count()).select_from(AuditLog).where(AuditLog.action == "claim")).scalar() == 2
        )


def test_stale_edit_is_refused_and_names_who_changed_it(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    seen_version = get(engine, ticket_id).version
    ops.set_priority(engine, ticket_id, "high", "ana", now, expected_version=seen_version)
    with pytest.raises(ops.StaleEdit, match="changed by ana"):
        ops.set_priority(engine, ticket_id, "low", "ben", now, expected_version=seen_version)
    assert get(engine, ticket_id).priority == "high"


def test_priority_change_reselects_the_policy(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    ops.set_priority(engine, ticket_id, "urgent", "ana", now + timedelta(minutes=10))
    ticket = get(engine, ticket_id)
    assert ticket.next_due_at == now + timedelta(minutes=60)  # Urgent: first response 1 h from creation


def test_policy_edit_applies_from_the_next_update(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    with db.write_session(engine) as session:
        standard = session.execute(select(SlaPolicy).where(SlaPolicy.name == "Standard")).scalars().one()
        standard.first_response_minutes = 360
    assert get(engine, ticket_id).next_due_at == now + timedelta(hours=12)  # unchanged until touched
    ops.set_tags(engine, ticket_id, "vip", "ana", now)
    assert get(engine, ticket_id).next_due_at == now + timedelta(hours=6)


def test_reply_stops_first_response_and_customer_message_starts_next_cycle(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    ops.add_reply(engine, ticket_id, "We are on it", "ana", now + timedelta(hours=1))
    ticket = get(engine, ticket_id)
    assert ticket.first_response_at == now + timedelta(hours=1)
    assert ticket.status == "open"
    assert ticket.next_due_metric == "resolution"
    ops.customer_message(engine, ticket_id, "Any news?", "Customer", now + timedelta(hours=3))
    ticket = get(engine, ticket_id)
    assert ticket.awaiting_since == now + timedelta(hours=3)
    assert ticket.next_due_metric == "next_response"
    assert ticket.next_due_at == now + timedelta(hours=15)  # next response 12 h (Standard)


def test_pending_pauses_resolution_and_counts_paused_time(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    ops.add_reply(engine, ticket_id, "Please send a photo", "ana", now + timedelta(minutes=30), status_after="pending")
    paused = get(engine, ticket_id)
    assert paused.paused_since == now + timedelta(minutes=30)
    assert paused.next_due_at is None  # only the paused resolution clock is left
    ops.customer_message(engine, ticket_id, "Here it is", "Customer", now + timedelta(hours=10, minutes=30))
    resumed = get(engine, ticket_id)
    assert resumed.status == "open"
    assert resumed.paused_minutes == pytest.approx(600)
    with db.read_session(engine) as session:
        from dtc_tui.services.tickets.sla_store import SlaContext

        resolution = {c.metric: c for c in SlaContext(session).clocks(resumed, now + timedelta(hours=11))}["resolution"]
    assert resolution.due_at == now + timedelta(hours=48 + 10)


def test_solve_and_reopen(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    ops.set_status(engine, ticket_id, "solved", "ana", now + timedelta(hours=1))
    solved = get(engine, ticket_id)
    assert (solved.is_open, solved.solved_at) == (False, now + timedelta(hours=1))
    ops.customer_message(engine, ticket_id, "Still broken", "Customer", now + timedelta(hours=2))
    reopened = get(engine, ticket_id)
    assert reopened.is_open and reopened.solved_at is None and reopened.status == "open"


def test_breach_is_recorded_once_when_it_happens(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now, category="presales")
    with db.write_session(engine) as session:
        assert record_due_breaches(session, now + timedelta(hours=1)) == 0
    with db.write_session(engine) as session:
        assert record_due_breaches(session, now + timedelta(hours=3)) == 1
    with db.write_session(engine) as session:
        assert record_due_breaches(session, now + timedelta(hours=4)) == 0
    with db.read_session(engine) as session:
        breach = session.execute(select(SlaBreach).where(SlaBreach.ticket_id == ticket_id)).scalars().one()
    assert breach.metric == "first_response"
    assert breach.due_at == now + timedelta(hours=2)  # the moment it happened, not when it was seen


def test_late_reply_records_the_first_response_breach(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now, category="presales")
    ops.add_reply(engine, ticket_id, "Sorry for the wait", "ana", now + timedelta(hours=3))
    with db.read_session(engine) as session:
        metrics = session.execute(select(SlaBreach.metric).where(SlaBreach.ticket_id == ticket_id)).scalars().all()
    assert metrics == ["first_response"]


def test_escalate_uses_the_default_owner_when_routing_finds_nobody(engine: Engine, now: datetime) -> None:
    with db.write_session(engine) as session:
        session.add(Person(name="Dana", handle="dana"))
    ticket_id = new_ticket(engine, now, category="site_incident", subject="Checkout down")
    change = ops.escalate(engine, ticket_id, "ana", now, default_owner="dana")
    ticket = get(engine, ticket_id)
    assert ticket.escalated_at == now
    assert ticket.priority == "high"
    assert "dana" in change.message
    with pytest.raises(ops.TicketError, match="nobody to escalate"):
        ops.escalate(engine, new_ticket(engine, now), "ana", now)


def test_bulk_change_is_one_transaction(engine: Engine, now: datetime) -> None:
    ids = [new_ticket(engine, now) for _ in range(3)]
    result = ops.bulk(engine, ids + [999_999], operator="ana", now=now, status="pending", priority="high")
    assert len(result.changes) == 3
    assert result.skipped == {999_999: "does not exist"}
    assert {get(engine, i).status for i in ids} == {"pending"}
    with pytest.raises(ops.TicketError):
        ops.bulk(engine, ids, operator="ana", now=now, status="bogus")


def test_undo_restores_while_nobody_touched_the_ticket(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    change = ops.set_priority(engine, ticket_id, "urgent", "ana", now)
    ops.undo(engine, change, "ana", now)
    ticket = get(engine, ticket_id)
    assert ticket.priority == "normal"
    assert ticket.next_due_at == now + timedelta(hours=12)
    second = ops.set_status(engine, ticket_id, "pending", "ana", now)
    ops.set_tags(engine, ticket_id, "x", "ben", now)
    with pytest.raises(ops.StaleEdit, match="no longer safe"):
        ops.undo(engine, second, "ana", now)
    with db.read_session(engine) as session:
        kinds = (
            session.execute(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))
            .scalars()
            .all()
        )
    assert kinds == ["created", "priority", "undo", "status", "tags"]


def test_reply_without_text_and_unknown_values_are_refused(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    with pytest.raises(ops.TicketError, match="needs some text"):
        ops.add_reply(engine, ticket_id, "   ", "ana", now)
    with pytest.raises(ops.TicketError, match="unknown priority"):
        ops.set_priority(engine, ticket_id, "asap", "ana", now)
    with pytest.raises(ops.TicketNotFound):
        ops.set_status(engine, 424242, "open", "ana", now)


def test_escalation_follows_the_role_matrix(demo_engine: Engine, now: datetime) -> None:
    # Demo routing: site incidents -> duty site_build -> dana (Lisbon, 10:00-19:00, on duty at 14:00 UTC).
    ticket_id = new_ticket(demo_engine, now, category="site_incident", subject="Checkout returns 500")
    change = ops.escalate(demo_engine, ticket_id, "ana", now)
    ticket = get(demo_engine, ticket_id)
    with db.read_session(demo_engine) as session:
        dana = session.execute(select(Person).where(Person.handle == "dana")).scalars().one()
    assert ticket.escalated_to_id == dana.id
    assert ticket.assignee_id == dana.id
    assert "dana is accountable for site_build" in change.message


def test_auto_assign_routes_unassigned_tickets_and_skips_the_rest(demo_engine: Engine, now: datetime) -> None:
    # Whoever the demo's routing names at this moment (accountable owner or on-duty backup) gets each ticket.
    logistics = new_ticket(demo_engine, now, category="logistics")
    returns = new_ticket(demo_engine, now, category="returns")
    owned = new_ticket(demo_engine, now, category="returns")
    ops.claim(demo_engine, owned, "ben", now)
    result = ops.auto_assign(demo_engine, [logistics, returns, owned], operator="ana", now=now)
    assert {c.ticket_id for c in result.changes} == {logistics, returns}
    assert result.skipped == {owned: "already owned by ben"}
    with db.read_session(demo_engine) as session:
        from dtc_tui.services.team import matrix as team

        for ticket_id, category in ((logistics, "logistics"), (returns, "returns")):
            expected = team.route(session, category, now).person_id
            assert expected is not None
            assert session.get(Ticket, ticket_id).assignee_id == expected
