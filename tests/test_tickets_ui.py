"""The ticket queue driven by keys, asserting on the screen and in the database."""

from __future__ import annotations

from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import Person, Ticket
from dtc_tui.ui.widgets.window_table import WindowTable
from tests.conftest import make_app, screen_text


def ticket(engine: Engine, ticket_id: int) -> Ticket:
    with db.read_session(engine) as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        return found


async def filter_queue(pilot, text: str) -> None:
    await pilot.press("slash")
    for char in text:
        await pilot.press("space" if char == " " else ("colon" if char == ":" else char))
    await pilot.press("enter")
    await pilot.pause()


def queue(app) -> WindowTable:
    return app.screen.query_one("#queue", WindowTable)


async def test_queue_opens_sorted_by_time_to_breach(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = queue(app)
        rows = table.source.fetch(0, 30)
        dues = [r.next_due_at for r in rows if r.next_due_at is not None]
        assert dues == sorted(dues)
        assert table.row_count == 300
        assert "1/300" in str(app.screen.query_one("#queue-status").render())


async def test_claim_assigns_the_operator_in_the_database(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await filter_queue(pilot, "assignee:none")
        first = queue(app).cursor_row
        assert first.assignee_id is None
        await pilot.press("c")
        await pilot.pause()
        claimed = ticket(sqlite_demo_engine, first.id)
        with db.read_session(sqlite_demo_engine) as session:
            me = session.execute(select(Person).where(Person.os_user == "tester")).scalars().one()
        assert claimed.assignee_id == me.id
        # The unassigned filter no longer shows it.
        assert queue(app).cursor_row.id != first.id
        # Claiming a ticket someone holds is refused with the holder's name.
        await pilot.press("escape")
        await filter_queue(pilot, "assignee:ana")
        held = queue(app).cursor_row
        await pilot.press("c")
        await pilot.pause()
        assert ticket(sqlite_demo_engine, held.id).assignee_id == held.assignee_id
        assert any("already claimed by ana" in n.message for n in app._notifications)


async def test_assign_status_and_priority_through_pickers(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        row = queue(app).cursor_row
        await pilot.press("a")  # picker: "nobody", then people by handle: ana, ben, chen, dana...
        await pilot.press("home", "j", "j", "enter")
        await pilot.pause()
        with db.read_session(sqlite_demo_engine) as session:
            ben = session.execute(select(Person).where(Person.handle == "ben")).scalars().one()
        assert ticket(sqlite_demo_engine, row.id).assignee_id == ben.id
        await pilot.press("s")  # statuses: new, open, pending... (the picker opens on the current one)
        await pilot.press("home", "j", "j", "enter")
        await pilot.pause()
        after = ticket(sqlite_demo_engine, row.id)
        assert after.status == "pending"
        assert after.paused_since == clock.now()
        await pilot.press("p")  # priorities from urgent down
        await pilot.press("home", "enter")
        await pilot.pause()
        assert ticket(sqlite_demo_engine, row.id).priority == "urgent"


async def test_filter_by_fields_and_text(sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await filter_queue(pilot, "channel:whatsapp lang:de")
        table = queue(app)
        rows = table.source.fetch(0, table.row_count)
        assert rows and all(r.channel == "whatsapp" and r.language == "de" for r in rows)
        status = str(app.screen.query_one("#queue-status").render())
        assert "channel:whatsapp" in status
        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        assert queue(app).row_count == 300


async def test_bad_filter_field_is_a_warning_not_a_crash(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await filter_queue(pilot, "colour:red")
        assert any("unknown field 'colour'" in n.message for n in app._notifications)
        assert queue(app).row_count == 300


async def test_views_cycle_with_v(sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        counts = {}
        for _ in range(6):
            await pilot.press("v")
            await pilot.pause()
            counts[app.screen.view] = queue(app).row_count
        assert counts["mine"] == 0  # the tester owns nothing yet
        assert 0 < counts["breached"] < 300
        assert 0 < counts["at_risk"] < counts["breached"] + 300
        assert counts["waiting"] > 0


async def test_escalate_routes_to_the_category_owner(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await filter_queue(pilot, "cat:site_incident")
        row = queue(app).cursor_row
        await pilot.press("e")
        await pilot.pause()
        escalated = ticket(sqlite_demo_engine, row.id)
        with db.read_session(sqlite_demo_engine) as session:
            dana = session.execute(select(Person).where(Person.handle == "dana")).scalars().one()
        assert escalated.escalated_to_id == dana.id
        assert escalated.priority in ("high", "urgent")


async def test_bulk_status_change_on_marked_tickets_then_undo(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await filter_queue(pilot, "status:new")
        table = queue(app)
        ids = [r.id for r in table.source.fetch(0, 3)]
        await pilot.press("space", "space", "space")
        assert table.marked == set(ids)
        await pilot.press("s")
        await pilot.press("j", "enter")  # open
        await pilot.pause()
        assert "set status open on 3 tickets? y/n" in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert {ticket(sqlite_demo_engine, i).status for i in ids} == {"open"}
        assert table.marked == set()
        await pilot.press("u")  # one undo step for the whole bulk change
        await pilot.pause()
        assert {ticket(sqlite_demo_engine, i).status for i in ids} == {"new"}


async def test_reply_from_the_ticket_view_stops_first_response(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await filter_queue(pilot, "status:new")
        row = queue(app).cursor_row
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "TicketScreen"
        await pilot.press("r")
        for char in "Sorry":
            await pilot.press(char)
        await pilot.press("ctrl+s")
        await pilot.pause()
        replied = ticket(sqlite_demo_engine, row.id)
        assert replied.first_response_at == clock.now()
        assert replied.status == "open"
        assert "Sorry" in screen_text(app)
        await pilot.press("escape")
        assert type(app.screen).__name__ == "TicketsScreen"


async def test_markup_and_escape_codes_in_subjects_are_shown_literally(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    # Demo ticket 2's subject holds Rich markup, an [@click] action and ESC sequences.
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(160, 40)) as pilot:
        await filter_queue(pilot, "id:2")
        table = queue(app)
        line = table.render_line(1)
        text = "".join(segment.text for segment in line)
        assert "[@click=app.quit]now[/]" in text
        assert "\x1b" not in text
        for segment in line:
            assert segment.style is None or segment.style.meta.get("@click") is None
        await pilot.press("enter")
        await pilot.pause()
        shown = screen_text(app)
        assert "Refund [@click=app.quit]now[/]" in shown
        assert app.is_running  # the markup did not quit the app
        assert "\x1b" not in shown
