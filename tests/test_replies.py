"""Reply drafts and macros as services (both backends): drafts per ticket and operator, a sent reply
takes its draft with it, macros fill placeholders as plain text, leave visible gaps, rank by name."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.models import AuditLog, Macro, ReplyDraft, Ticket
from dtc_tui.services.tickets import drafts, macros, ops
from dtc_tui.services.tickets.macros import MacroError, MacroView


def new_ticket(engine: Engine, now: datetime, name: str = "Ana Müller") -> int:
    return ops.create_ticket(
        engine, subject="Where is my parcel?", channel="email", now=now, actor="test", customer_name=name
    )


def stored_drafts(engine: Engine) -> list[tuple[int, str, str]]:
    with db.read_session(engine) as session:
        rows = session.execute(select(ReplyDraft.ticket_id, ReplyDraft.operator, ReplyDraft.body)).all()
    return sorted((r[0], r[1], r[2]) for r in rows)


def test_a_draft_is_kept_per_ticket_and_operator_and_updated_in_place(engine: Engine, now: datetime) -> None:
    first, second = new_ticket(engine, now), new_ticket(engine, now)
    assert drafts.save_draft(engine, first, "ana", "Hello", now, ticket_version=1, last_event_id=1)
    assert drafts.save_draft(engine, first, "ana", "Hello there", now + timedelta(seconds=1))
    assert drafts.save_draft(engine, first, "eli", "Mine", now)
    assert drafts.save_draft(engine, second, "ana", "Other", now)
    assert stored_drafts(engine) == [(first, "ana", "Hello there"), (first, "eli", "Mine"), (second, "ana", "Other")]
    with db.read_session(engine) as session:
        draft = drafts.get_draft(session, first, "ana")
        assert draft is not None and draft.updated_at == now + timedelta(seconds=1)
        assert drafts.tickets_with_drafts(session, "ana") == {first, second}
        assert drafts.tickets_with_drafts(session, "ana", [second]) == {second}
        assert drafts.tickets_with_drafts(session, "bea") == set()


def test_emptied_text_or_a_discard_deletes_the_draft(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    drafts.save_draft(engine, ticket_id, "ana", "Hello", now)
    assert drafts.save_draft(engine, ticket_id, "ana", "  \n", now) is False
    assert stored_drafts(engine) == []
    drafts.save_draft(engine, ticket_id, "ana", "Hello", now)
    assert drafts.discard_draft(engine, ticket_id, "ana") is True
    assert stored_drafts(engine) == []


def test_sending_deletes_the_draft_and_sets_status_tags_priority_in_one_audited_change(
    engine: Engine, now: datetime
) -> None:
    ticket_id = new_ticket(engine, now)
    drafts.save_draft(engine, ticket_id, "ana", "Your refund is on its way", now)
    drafts.save_draft(engine, ticket_id, "eli", "not mine to lose", now)
    with db.read_session(engine) as session:
        version = session.get(Ticket, ticket_id).version  # type: ignore[union-attr]
    change = ops.add_reply(
        engine,
        ticket_id,
        "Your refund is on its way",
        "ana",
        now,
        expected_version=version,
        status_after="solved",
        priority_after="high",
        add_tags="refund",
        remove_tags="wismo",
    )
    assert change.after["status"] == "solved" and change.after["priority"] == "high"
    assert stored_drafts(engine) == [(ticket_id, "eli", "not mine to lose")]
    with db.read_session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and (ticket.status, ticket.priority, ticket.tags) == ("solved", "high", "refund")
        rows = session.execute(
            select(AuditLog).where(AuditLog.entity == "ticket", AuditLog.action != "create")
        ).scalars()
        audits = list(rows)
    assert len(audits) == 1 and audits[0].action == "reply"
    assert json.loads(audits[0].after)["status"] == "solved"


def test_a_stale_send_is_refused_keeps_the_draft_and_says_what_changed(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    with db.read_session(engine) as session:
        seen = drafts.reply_context(session, ticket_id, "ana")
    assert seen is not None
    drafts.save_draft(
        engine, ticket_id, "ana", "Typed", now, ticket_version=seen.version, last_event_id=seen.last_event_id
    )
    ops.set_status(engine, ticket_id, "pending", "bea", now + timedelta(minutes=5))
    with pytest.raises(ops.StaleEdit):
        ops.add_reply(engine, ticket_id, "Typed", "ana", now, expected_version=seen.version)
    assert stored_drafts(engine) == [(ticket_id, "ana", "Typed")]
    with db.read_session(engine) as session:
        lines = drafts.changes_since(session, ticket_id, seen.last_event_id)
    assert lines == ["14:05 bea set the status: status pending"]


def test_reply_context_has_the_customers_last_message_and_placeholder_values(engine: Engine, now: datetime) -> None:
    ticket_id = new_ticket(engine, now)
    ops.customer_message(engine, ticket_id, "Still nothing. [bold]Help[/bold]", "Ana Müller", now + timedelta(hours=1))
    with db.read_session(engine) as session:
        ctx = drafts.reply_context(session, ticket_id, "ana")
    assert ctx is not None
    assert ctx.last_customer_body == "Still nothing. [bold]Help[/bold]"
    values = ctx.placeholder_values()
    assert values["customer.first_name"] == "Ana" and values["customer.name"] == "Ana Müller"
    assert values["ticket.id"] == str(ticket_id) and values["agent.name"] == "ana"
    assert values["order.number"] is None  # no order linked


def test_fill_puts_values_in_as_plain_text_and_leaves_visible_gaps() -> None:
    filled = macros.fill(
        "Hi {customer.first_name}, order {order.number}: {order.tracking_url} {not a placeholder} {agent.name}",
        {"customer.first_name": "[red]Mal\x1b]52;c;x\x07lory\n", "order.number": None, "agent.name": "Eli"},
    )
    assert filled.text == (
        "Hi [red]Mal]52;c;xlory, order [[missing: order.number]]: [[missing: order.tracking_url]] "
        "{not a placeholder} Eli"
    )
    assert filled.missing == ("order.number", "order.tracking_url")
    assert macros.gaps_in(filled.text) == ["order.number", "order.tracking_url"]
    assert macros.gaps_in("all filled in") == []


def test_a_macro_with_an_unknown_placeholder_or_status_is_refused(engine: Engine, now: datetime) -> None:
    with pytest.raises(MacroError, match=r"unknown placeholder \{order.numbr\}"):
        macros.save_macro(engine, operator="ana", now=now, name="x", body="{order.numbr}")
    with pytest.raises(MacroError, match="status 'done'"):
        macros.save_macro(engine, operator="ana", now=now, name="x", body="hi", set_status="done")
    with pytest.raises(MacroError, match="both added and removed"):
        macros.save_macro(engine, operator="ana", now=now, name="x", body="hi", add_tags="a", remove_tags="a")


def test_macros_are_saved_edited_and_deleted_with_audit_rows(engine: Engine, now: datetime) -> None:
    made = macros.save_macro(
        engine, operator="ana", now=now, name="Refund issued", body="Done, {customer.first_name}", add_tags="+refund"
    )
    macros.save_macro(engine, operator="ana", now=now, name="Refund issued", language="de", body="Erledigt")
    with pytest.raises(macros.MacroExists):
        macros.save_macro(engine, operator="ana", now=now, name="Refund issued", body="again")
    changed = macros.save_macro(
        engine, operator="eli", now=now, macro_id=made.id, name="Refund issued", body="Done!", set_status="solved"
    )
    assert (changed.body, changed.set_status, changed.add_tags) == ("Done!", "solved", "")
    ticket_id = new_ticket(engine, now)
    drafts.save_draft(engine, ticket_id, "ana", "text", now, macro_id=made.id)
    macros.delete_macro(engine, made.id, operator="ana", now=now)
    with db.read_session(engine) as session:
        names = [(m.name, m.language) for m in session.execute(select(Macro)).scalars()]
        audit = select(AuditLog.action).where(AuditLog.entity == "macro").order_by(AuditLog.id)
        actions = list(session.execute(audit).scalars())
        draft = drafts.get_draft(session, ticket_id, "ana")
    assert names == [("Refund issued", "de")]
    assert actions == ["create", "create", "update", "delete"]
    assert draft is not None and draft.body == "text" and draft.macro_id is None  # the text survives


def view(name: str, language: str = "en", macro_id: int = 0) -> MacroView:
    return MacroView(macro_id, name, language, "body")


def test_fuzzy_ranking_by_name_prefers_the_tickets_language() -> None:
    found = [
        view("Refund issued", "en", 1),
        view("Where is my order", "en", 2),
        view("Where is my order", "de", 3),
        view("Wrong size exchange", "en", 4),
    ]
    assert [m.id for m in macros.rank(found, "wism", "de")] == [3, 2]
    assert [m.id for m in macros.rank(found, "wism", "en")] == [2, 3]
    assert [m.id for m in macros.rank(found, "refnd", "en")] == [1]
    assert macros.rank(found, "zzz", "en") == []
    assert [m.id for m in macros.rank(found, "", "de")][0] == 3
    assert macros.fuzzy_score("wh", "Where") > macros.fuzzy_score("wh", "Show hours")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_macros_export_and_import_back_exactly(engine: Engine, now: datetime, tmp_path, fmt: str) -> None:
    from dtc_tui.services.common.exporters import export_table
    from dtc_tui.services.importers.pipeline import run_import

    macros.save_macro(
        engine,
        operator="ana",
        now=now,
        name="=Refund, issued",
        language="de",
        body='Hallo {customer.first_name},\n"erstattet": {order.number}',
        set_status="solved",
        add_tags="refund",
        remove_tags="wismo",
    )
    path = tmp_path / f"macros.{fmt}"
    with open(path, "w", encoding="utf-8", newline="") as out:
        assert export_table(engine, "macros", out, fmt=fmt, now=now).rows == 1
    with db.write_session(engine) as session:
        before = [
            (m.name, m.language, m.body, m.set_status, m.add_tags, m.remove_tags, m.updated_at)
            for m in session.execute(select(Macro)).scalars()
        ]
        session.execute(Macro.__table__.delete())  # type: ignore[attr-defined]
    summary = run_import(engine, "macros", path, now=now, actor="ana")
    assert (summary.inserted, summary.errors) == (1, [])
    with db.read_session(engine) as session:
        after = [
            (m.name, m.language, m.body, m.set_status, m.add_tags, m.remove_tags, m.updated_at)
            for m in session.execute(select(Macro)).scalars()
        ]
    assert after == before
    assert run_import(engine, "macros", path, now=now, actor="ana").unchanged == 1
