"""The reply editor in the app (Pilot): the draft survives Esc, a restart and a stale ticket; the
customer's last message is shown; macros picked by fuzzy name fill in the ticket's values; the
"send and set solved" key sets the status in the same change."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine, select
from textual.widgets import Input, Static, TextArea

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import Fulfillment, ReplyDraft, StoreOrder, Ticket, TicketMessage
from dtc_tui.services.tickets import macros, ops
from dtc_tui.ui.screens.tickets.macros import MacroForm, MacroPicker, MacroScreen
from dtc_tui.ui.screens.tickets.reply import ReplyScreen
from tests.conftest import make_app, screen_text

CUSTOMER_SAYS = "Where is my parcel? [bold]It has been 9 days[/bold]."


def parcel_ticket(engine: Engine, now, *, with_order: bool = True) -> int:
    """A ticket from Jana Nováková about order #4711, shipped with a tracking link (or without an order)."""
    ticket_id = ops.create_ticket(
        engine,
        subject="Parcel",
        channel="email",
        now=now - timedelta(hours=2),
        actor="test",
        customer_name="Jana Nováková",
        language="de",
        body=CUSTOMER_SAYS,
    )
    if with_order:
        with db.write_session(engine) as session:
            order = StoreOrder(
                name="#4711",
                number="4711",
                created_at=now - timedelta(days=9),
                created_day=date(2026, 11, 11),
                currency="EUR",
            )
            session.add(order)
            session.flush()
            session.add(Fulfillment(order_id=order.id or 0, tracking_url="https://track.example/4711", carrier="DHL"))
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            ticket.order_ref = "4711"
            session.add(ticket)
    return ticket_id


def draft_of(engine: Engine, ticket_id: int, operator: str = "tester") -> str | None:
    with db.read_session(engine) as session:
        return session.execute(
            select(ReplyDraft.body).where(ReplyDraft.ticket_id == ticket_id, ReplyDraft.operator == operator)
        ).scalar()


def replies(engine: Engine, ticket_id: int) -> list[str]:
    with db.read_session(engine) as session:
        return list(
            session.execute(
                select(TicketMessage.body).where(TicketMessage.ticket_id == ticket_id, TicketMessage.kind == "reply")
            ).scalars()
        )


def ticket_row(engine: Engine, ticket_id: int) -> Ticket:
    with db.read_session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


async def open_reply(app, pilot, ticket_id: int) -> TextArea:
    from dtc_tui.ui.screens.tickets.view import TicketScreen

    app.push_screen(TicketScreen(ticket_id))
    await pilot.pause()
    await pilot.press("r")
    await pilot.pause()
    assert isinstance(app.screen, ReplyScreen)
    return app.screen.query_one("#reply-text", TextArea)


async def settle(app, pilot) -> None:
    """Let the autosave timer fire and its worker finish."""
    await pilot.pause(0.8)
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_esc_keeps_the_draft_and_reopening_restores_it(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    ticket_id = parcel_ticket(sqlite_demo_engine, clock.now())
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reply(app, pilot, ticket_id)
        await pilot.press(*"Hallo Jana")
        await pilot.press("escape")  # at once: no time for the autosave; Esc saves what is typed
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "TicketScreen"
        assert any("draft kept" in n.message for n in app._notifications)
        assert draft_of(sqlite_demo_engine, ticket_id) == "Hallo Jana"
        assert "unsent reply draft" in screen_text(app)
        await pilot.press("r")
        await pilot.pause()
        assert app.screen.query_one("#reply-text", TextArea).text == "Hallo Jana"
        assert "draft restored" in screen_text(app)
    assert replies(sqlite_demo_engine, ticket_id) == []


async def test_the_draft_autosaves_while_typing_and_survives_a_restart(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    ticket_id = parcel_ticket(sqlite_demo_engine, clock.now())
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reply(app, pilot, ticket_id)
        await pilot.press(*"Paket ist unterwegs")
        await settle(app, pilot)
        assert draft_of(sqlite_demo_engine, ticket_id) == "Paket ist unterwegs"  # saved with the editor open
        assert "draft saved" in screen_text(app)
    # The app is gone (as after a crash: the editor was never closed); a new one restores the text.
    again = make_app(sqlite_demo_engine, clock, settings)
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "✎" not in screen_text(again)
        await pilot.press("slash", *f"id:{ticket_id}", "enter")
        await pilot.pause()
        assert f"✎{ticket_id}" in screen_text(again)  # the queue marks the ticket with a draft of mine
        area = await open_reply(again, pilot, ticket_id)
        assert area.text == "Paket ist unterwegs"


async def test_a_stale_ticket_refuses_the_send_shows_what_changed_and_keeps_the_text(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    ticket_id = parcel_ticket(sqlite_demo_engine, clock.now())
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_reply(app, pilot, ticket_id)
        area.insert("Your parcel is with DHL.")
        ops.set_priority(sqlite_demo_engine, ticket_id, "urgent", "bea", clock.now())  # a colleague, meanwhile
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReplyScreen)
        assert area.text == "Your parcel is with DHL."
        changes = str(app.screen.query_one("#reply-changes", Static).render())
        assert "bea set the priority: priority urgent" in changes
        assert replies(sqlite_demo_engine, ticket_id) == []
        await settle(app, pilot)
        assert draft_of(sqlite_demo_engine, ticket_id) == "Your parcel is with DHL."
        await pilot.press("ctrl+s")  # seen: the second send goes to the fresh ticket
        await pilot.pause()
        assert not isinstance(app.screen, ReplyScreen)
    assert replies(sqlite_demo_engine, ticket_id) == ["Your parcel is with DHL."]
    assert draft_of(sqlite_demo_engine, ticket_id) is None


async def test_send_and_set_solved_is_one_change_and_deletes_the_draft(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    ticket_id = parcel_ticket(sqlite_demo_engine, clock.now())
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reply(app, pilot, ticket_id)
        await pilot.press(*"Refunded")
        await settle(app, pilot)
        assert draft_of(sqlite_demo_engine, ticket_id) == "Refunded"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert type(app.screen).__name__ == "TicketScreen"
    ticket = ticket_row(sqlite_demo_engine, ticket_id)
    assert (ticket.status, ticket.is_open, ticket.first_response_at) == ("solved", False, clock.now())
    assert replies(sqlite_demo_engine, ticket_id) == ["Refunded"]
    assert draft_of(sqlite_demo_engine, ticket_id) is None


async def test_send_and_set_pending(sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    ticket_id = parcel_ticket(sqlite_demo_engine, clock.now())
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reply(app, pilot, ticket_id)
        await pilot.press(*"Photo please")
        await pilot.press("ctrl+t")
        await pilot.pause()
    assert ticket_row(sqlite_demo_engine, ticket_id).status == "pending"


async def test_the_customers_last_message_is_shown_as_text(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    ticket_id = parcel_ticket(sqlite_demo_engine, clock.now())
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reply(app, pilot, ticket_id)
        text = screen_text(app)
        assert "[bold]It has been 9 days[/bold]" in text  # markup shown literally, never applied
        assert "Customer's last message" in text


async def test_a_macro_picked_by_fuzzy_name_fills_the_customer_and_order(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    ticket_id = parcel_ticket(sqlite_demo_engine, clock.now())  # a German ticket: the de macro comes first
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_reply(app, pilot, ticket_id)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, MacroPicker)
        await pilot.press(*"wism")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReplyScreen)
        assert area.text.startswith("Hallo Jana,\n\nIhre Bestellung #4711 ist unterwegs")
        assert "https://track.example/4711" in area.text
        assert "status pending" in screen_text(app)  # the macro's changes, applied on send
        await pilot.press("ctrl+s")
        await pilot.pause()
    ticket = ticket_row(sqlite_demo_engine, ticket_id)
    assert (ticket.status, ticket.tags) == ("pending", "wismo")
    assert replies(sqlite_demo_engine, ticket_id)[0].startswith("Hallo Jana,")


async def test_a_missing_placeholder_is_a_visible_gap_and_is_never_sent(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    ticket_id = parcel_ticket(sqlite_demo_engine, clock.now(), with_order=False)
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_reply(app, pilot, ticket_id)
        await pilot.press("ctrl+o")
        await pilot.press(*"refund")
        await pilot.press("enter")
        await pilot.pause()
        assert "[[missing: order.number]]" in area.text
        assert any("No value for {order.number}" in n.message for n in app._notifications)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReplyScreen)  # refused
        assert any("still has [[missing: order.number]]" in n.message for n in app._notifications)
        assert replies(sqlite_demo_engine, ticket_id) == []


async def test_discard_deletes_the_draft_after_asking(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    ticket_id = parcel_ticket(sqlite_demo_engine, clock.now())
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reply(app, pilot, ticket_id)
        await pilot.press(*"Nope")
        await settle(app, pilot)
        assert draft_of(sqlite_demo_engine, ticket_id) == "Nope"
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press("down", "enter")  # "Yes, discard the draft"
        await pilot.pause()
        assert type(app.screen).__name__ == "TicketScreen"
    assert draft_of(sqlite_demo_engine, ticket_id) is None


async def test_macros_are_added_from_the_palette_list(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Macros")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MacroScreen)
        assert "Where is my order" in screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, MacroForm)
        app.screen.query_one("#name", Input).value = "Exchange"
        app.screen.query_one("#set_status", Input).value = "pending"
        app.screen.query_one("#body", TextArea).text = "Hi {customer.first_name}, pick a size: {order.numbr}"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MacroForm)  # an unknown placeholder: the form stays, with a warning
        assert any("unknown placeholder {order.numbr}" in n.message for n in app._notifications)
        app.screen.query_one("#body", TextArea).text = "Hi {customer.first_name}, pick a size for {order.number}"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MacroScreen)
        assert "Exchange" in screen_text(app)
    with db.read_session(sqlite_demo_engine) as session:
        names = [m.name for m in macros.list_macros(session)]
    assert "Exchange" in names


async def test_a_busy_database_skips_the_autosave_and_retries_while_typing_goes_on(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, monkeypatch
) -> None:
    import sqlite3

    from dtc_tui.ui.screens.tickets import reply

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(reply, "RETRY_SECONDS", 0.3)
    path = str(sqlite_demo_engine.url.database)
    engine = db.make_engine(f"sqlite:///{path}")
    ticket_id = parcel_ticket(engine, clock.now())
    app = make_app(engine, clock, settings)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            area = await open_reply(app, pilot, ticket_id)
            holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the busy timeout
            holder.execute("UPDATE change_counter SET counter = counter WHERE 0")
            await pilot.press(*"Moment")
            await pilot.pause(1.2)  # the autosave ran, met the lock, gave up after 0.2 s
            await pilot.press(*" bitte")  # typing goes on meanwhile
            assert area.text == "Moment bitte"
            assert draft_of(engine, ticket_id) is None
            assert "not saved yet" in screen_text(app)
            holder.execute("ROLLBACK")
            for _ in range(30):  # the retry stores it once the lock is gone
                await pilot.pause(0.2)
                if draft_of(engine, ticket_id) == "Moment bitte":
                    break
            assert draft_of(engine, ticket_id) == "Moment bitte"
            await app.workers.wait_for_complete()
    finally:
        holder.close()
        engine.dispose()


async def test_a_draft_restored_after_the_ticket_changed_says_what_changed_at_once(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    from dtc_tui.services.tickets import drafts

    ticket_id = parcel_ticket(sqlite_demo_engine, clock.now())
    with db.read_session(sqlite_demo_engine) as session:
        seen = drafts.reply_context(session, ticket_id, "tester")
    assert seen is not None
    drafts.save_draft(
        sqlite_demo_engine,
        ticket_id,
        "tester",
        "Yesterday's text",
        clock.now(),
        ticket_version=seen.version,
        last_event_id=seen.last_event_id,
    )
    ops.set_status(sqlite_demo_engine, ticket_id, "on_hold", "bea", clock.now())  # overnight
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_reply(app, pilot, ticket_id)
        assert area.text == "Yesterday's text"
        changes = app.screen.query_one("#reply-changes", Static)
        assert changes.display and "bea set the status: status on_hold" in str(changes.render())
        await pilot.press("ctrl+s")  # the changes were shown before any key: this send goes through
        await pilot.pause()
        assert not isinstance(app.screen, ReplyScreen)
    assert replies(sqlite_demo_engine, ticket_id) == ["Yesterday's text"]
